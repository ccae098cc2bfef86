package dev.ltx4j.replica.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP front for {@link StoreInTheMiddle} that stamps every response's {@code Date} header with a store clock
 * {@code offset} from this machine's (the JDK's HTTP server always writes its own). One request per connection
 * ({@code Connection: close}), so the response ends where the upstream connection does. Field probes, round 7.
 */
final class DateStampingFront implements AutoCloseable {
    private final ServerSocket server;
    private final URI upstream;
    private final Duration offset;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "date-stamping-front");
        t.setDaemon(true);
        return t;
    });

    DateStampingFront(URI upstream, Duration offset) throws IOException {
        this.upstream = upstream;
        this.offset = offset;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.execute(this::accept);
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                pool.execute(() -> relay(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void relay(Socket client) {
        try (client; Socket store = new Socket(upstream.getHost(), upstream.getPort())) {
            InputStream fromClient = client.getInputStream();
            String head = readHead(fromClient);
            if (head == null) {
                return;
            }
            OutputStream toStore = store.getOutputStream();
            toStore.write(withHeader(head, "Connection", "close").getBytes(StandardCharsets.ISO_8859_1));
            toStore.flush();
            pool.execute(() -> {
                try {
                    fromClient.transferTo(toStore); // the body, as it comes (after a 100 Continue too)
                } catch (IOException e) {
                    // the exchange ended
                }
            });
            InputStream fromStore = store.getInputStream();
            OutputStream toClient = client.getOutputStream();
            while (true) {
                String response = readHead(fromStore);
                if (response == null) {
                    return;
                }
                String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().plus(offset)
                        .atZone(ZoneOffset.UTC));
                toClient.write(withHeader(withHeader(response, "Date", date), "Connection", "close")
                        .getBytes(StandardCharsets.ISO_8859_1));
                toClient.flush();
                if (!response.startsWith("HTTP/1.1 1")) {
                    break;
                }
            }
            fromStore.transferTo(toClient);
            toClient.flush();
        } catch (IOException e) {
            // a client that went away
        }
    }

    /** The head up to and including the blank line, or null at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        for (int b; (b = in.read()) >= 0; ) {
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) ? state + 1
                    : (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static String withHeader(String head, String name, String value) {
        StringBuilder out = new StringBuilder();
        String[] lines = head.split("\r\n");
        out.append(lines[0]).append("\r\n");
        for (int i = 1; i < lines.length; i++) {
            if (!lines[i].isEmpty() && !lines[i].regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                out.append(lines[i]).append("\r\n");
            }
        }
        return out.append(name).append(": ").append(value).append("\r\n\r\n").toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
