package dev.ltx4j.replica.azure;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A small HTTP/1.1 proxy on 127.0.0.1 in front of Azurite: every request is counted and either answered by
 * {@link #answer} (throttling, a wrong endpoint's answer) or relayed to Azurite unchanged (one connection per
 * request). Plain sockets, so the test module needs no jdk.httpserver. Field probes, round 8.
 */
final class AzuriteFront implements AutoCloseable {
    /** One request's first line and headers (lower-case names), as received. */
    record Request(String method, String target, List<String> headers) {
        String header(String name) {
            for (String h : headers) {
                int colon = h.indexOf(':');
                if (colon > 0 && h.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                    return h.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /** A made-up answer: status, reason, extra header lines (each ending CRLF), body. */
    record Answer(int status, String reason, String headers, String body) {
        /** Azure's error shape: the code in x-ms-error-code and in the XML body, with a request id (it is the service). */
        static Answer error(int status, String reason, String code) {
            String body = "\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>" + code + "</Code><Message>"
                    + reason + " (made up by the probe)\nRequestId:probe</Message></Error>";
            return new Answer(status, reason, "Content-Type: application/xml\r\nx-ms-error-code: " + code
                    + "\r\nx-ms-request-id: probe\r\n", body);
        }
    }

    private final ServerSocket server;
    private final URI azurite;
    private final List<Request> seen = new ArrayList<>();
    /** Answers instead of Azurite when it returns non-null. */
    volatile Function<Request, Answer> answer = r -> null;

    AzuriteFront(String blobEndpoint) throws IOException {
        this.azurite = URI.create(blobEndpoint);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "azurite-front");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The blob endpoint through this proxy, with {@code account} as its path. */
    String endpoint(String account) {
        return "http://127.0.0.1:" + server.getLocalPort() + "/" + account;
    }

    synchronized List<Request> seen() {
        return List.copyOf(seen);
    }

    synchronized int requests() {
        return seen.size();
    }

    synchronized void forget() {
        seen.clear();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "azurite-front-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            while (true) {
                List<String> head = readHead(in);
                if (head.isEmpty()) {
                    return;
                }
                String[] first = head.get(0).split(" ", 3);
                Request request = new Request(first[0], first[1], head.subList(1, head.size()));
                String length = request.header("content-length");
                byte[] body = length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
                synchronized (this) {
                    seen.add(request);
                }
                Answer made = answer.apply(request);
                if (made != null) {
                    byte[] b = made.body().getBytes(StandardCharsets.UTF_8);
                    boolean head_ = request.method().equals("HEAD");
                    out.write(("HTTP/1.1 " + made.status() + " " + made.reason() + "\r\n" + made.headers()
                            + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    if (!head_) {
                        out.write(b);
                    }
                    out.flush();
                    continue; // keep-alive, as the service does
                }
                relay(head, body, out);
                return;
            }
        } catch (IOException | RuntimeException e) {
            // the client went away
        }
    }

    /** Sends the request to Azurite with Connection: close and copies its whole answer back; then both close. */
    private void relay(List<String> head, byte[] body, OutputStream out) throws IOException {
        try (Socket upstream = new Socket(azurite.getHost(), azurite.getPort())) {
            StringBuilder sb = new StringBuilder(head.get(0)).append("\r\n");
            for (String h : head.subList(1, head.size())) {
                if (!h.toLowerCase(Locale.ROOT).startsWith("connection:")) {
                    sb.append(h).append("\r\n");
                }
            }
            sb.append("Connection: close\r\n\r\n");
            OutputStream up = upstream.getOutputStream();
            up.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
            up.write(body);
            up.flush();
            upstream.getInputStream().transferTo(out);
            out.flush();
        }
    }

    private static List<String> readHead(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) >= 0; ) {
            if (b == '\r') {
                continue;
            }
            if (b != '\n') {
                line.write(b);
                continue;
            }
            if (line.size() == 0) {
                return lines;
            }
            lines.add(line.toString(StandardCharsets.ISO_8859_1));
            line.reset();
        }
        return List.of();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
