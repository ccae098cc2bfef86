package dev.ltx4j.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A plain HTTP/1.1 forwarding proxy on 127.0.0.1 that records every request exchanged with the server behind it, as
 * the store sees it: every SDK retry, every page of a listing, every part of an upload is one request here. Clients
 * point their endpoint at {@link #uri()}; bytes pass unchanged in both directions (the {@code Host} header too, so
 * request signatures stay valid), while each direction is parsed just enough to find message boundaries
 * (Content-Length, chunked, {@code 1xx} interim responses such as {@code 100 Continue}, bodiless {@code HEAD}/204/304
 * responses). Requests are paired with responses in order per connection (HTTP/1.1 without pipelining surprises). A
 * request whose connection closed before a response is recorded with status 0.
 */
final class CountingHttpProxy implements AutoCloseable {

    /** One request as the server saw it: method, request target (path and query) and final status (0: none). */
    record Exchange(String method, String target, int status) {}

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final ConcurrentLinkedQueue<Exchange> log = new ConcurrentLinkedQueue<>();
    private final List<Socket> sockets = new ArrayList<>();
    private volatile boolean closed;
    /** Added before each request is forwarded: a store's round trip (0: none). */
    private final long delayMillis;

    CountingHttpProxy(URI upstream) throws IOException {
        this(upstream, 0);
    }

    /** @param delayMillis waited before forwarding each request, as a distant store's latency (per connection) */
    CountingHttpProxy(URI upstream, long delayMillis) throws IOException {
        this.delayMillis = delayMillis;
        this.upstream = new InetSocketAddress(upstream.getHost(), upstream.getPort());
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "counting-proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    /** Where clients send their requests instead of the server: {@code http://127.0.0.1:<port>}. */
    URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Every request since the last {@link #drain()}, in completion order, and forgets them. */
    List<Exchange> drain() {
        List<Exchange> out = new ArrayList<>();
        for (Exchange e; (e = log.poll()) != null; ) {
            out.add(e);
        }
        return out;
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket up = new Socket();
                up.connect(upstream, 10_000);
                client.setTcpNoDelay(true);
                up.setTcpNoDelay(true);
                synchronized (sockets) {
                    sockets.add(client);
                    sockets.add(up);
                }
                BlockingQueue<String[]> pending = new LinkedBlockingQueue<>();
                start("counting-proxy-requests", () -> pumpRequests(client, up, pending));
                start("counting-proxy-responses", () -> pumpResponses(up, client, pending));
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("counting proxy: " + e);
                }
            }
        }
    }

    private static void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** Client to server: forwards each request, queueing its method and target for the response side. */
    private void pumpRequests(Socket client, Socket up, BlockingQueue<String[]> pending) {
        try (InputStream in = new BufferedInputStream(client.getInputStream(), 1 << 16)) {
            OutputStream out = new BufferedOutputStream(up.getOutputStream(), 1 << 16);
            while (true) {
                List<String> head = readHead(in);
                if (head == null) {
                    break;
                }
                String[] requestLine = head.get(0).split(" ", 3);
                if (delayMillis > 0) {
                    try {
                        Thread.sleep(delayMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                pending.add(new String[] {requestLine[0].toUpperCase(Locale.ROOT), requestLine.length > 1 ? requestLine[1] : ""});
                writeHead(out, head);
                copyBody(in, out, head, true, false);
            }
        } catch (IOException e) {
            // connection ended
        } finally {
            closeQuietly(up, true);
        }
    }

    /** Server to client: forwards each response and records the exchange it ends. */
    private void pumpResponses(Socket up, Socket client, BlockingQueue<String[]> pending) {
        try (InputStream in = new BufferedInputStream(up.getInputStream(), 1 << 16)) {
            OutputStream out = new BufferedOutputStream(client.getOutputStream(), 1 << 16);
            while (true) {
                List<String> head = readHead(in);
                if (head == null) {
                    break;
                }
                String[] statusLine = head.get(0).split(" ", 3);
                int status = statusLine.length > 1 ? Integer.parseInt(statusLine[1].trim()) : 0;
                writeHead(out, head);
                if (status >= 100 && status < 200) {
                    continue; // interim (100 Continue): the final response follows
                }
                String[] request = pending.poll();
                String method = request == null ? "?" : request[0];
                boolean bodiless = method.equals("HEAD") || status == 204 || status == 304;
                copyBody(in, out, head, false, bodiless);
                log.add(new Exchange(method, request == null ? "?" : request[1], status));
            }
        } catch (IOException | RuntimeException e) {
            // connection ended
        } finally {
            for (String[] r; (r = pending.poll()) != null; ) {
                log.add(new Exchange(r[0], r[1], 0));
            }
            closeQuietly(client, false);
        }
    }

    private static void closeQuietly(Socket s, boolean halfClose) {
        try {
            if (halfClose && !s.isClosed()) {
                s.shutdownOutput();
            } else {
                s.close();
            }
        } catch (IOException e) {
            // already closed
        }
    }

    /** The start line and header lines of one message, or null at a clean end of stream. */
    private static List<String> readHead(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = readLine(in, lines.isEmpty());
            if (line == null) {
                return null;
            }
            if (line.isEmpty()) {
                if (lines.isEmpty()) {
                    continue; // stray CRLF between messages
                }
                return lines;
            }
            lines.add(line);
        }
    }

    private static String readLine(InputStream in, boolean endAllowed) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (endAllowed && b.size() == 0) {
                    return null;
                }
                throw new EOFException("stream ended inside a message head");
            }
            if (c == '\n') {
                String s = b.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
    }

    private static void writeHead(OutputStream out, List<String> head) throws IOException {
        StringBuilder s = new StringBuilder();
        for (String line : head) {
            s.append(line).append("\r\n");
        }
        s.append("\r\n");
        out.write(s.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static String header(List<String> head, String name) {
        for (int i = 1; i < head.size(); i++) {
            String line = head.get(i);
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** Forwards the body the head announces: chunked, Content-Length, none, or (responses only) to end of stream. */
    private static void copyBody(InputStream in, OutputStream out, List<String> head, boolean request, boolean bodiless)
            throws IOException {
        if (bodiless) {
            return;
        }
        String te = header(head, "Transfer-Encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            while (true) {
                String sizeLine = readLine(in, false);
                out.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                int semi = sizeLine.indexOf(';');
                long size = Long.parseLong((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
                if (size == 0) {
                    for (String trailer; !(trailer = readLine(in, false)).isEmpty(); ) {
                        out.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    return;
                }
                copy(in, out, size);
                String crlf = readLine(in, false);
                out.write((crlf + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        String length = header(head, "Content-Length");
        if (length != null) {
            copy(in, out, Long.parseLong(length));
            out.flush();
            return;
        }
        if (!request) {
            in.transferTo(out); // a response delimited by closing the connection
            out.flush();
        }
    }

    private static void copy(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(1 << 16, Math.max(1, n))];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new EOFException("stream ended inside a message body");
            }
            out.write(buf, 0, r);
            out.flush();
            n -= r;
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        synchronized (sockets) {
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException e) {
                    // already closed
                }
            }
        }
    }
}
