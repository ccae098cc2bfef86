package dev.ltx4j.replica.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A one-answer HTTP/1.1 server on 127.0.0.1 (every request gets the same 200 response, then the connection closes),
 * standing in for a credentials endpoint. Plain sockets, so the test module needs no jdk.httpserver.
 */
final class StubHttpServer implements AutoCloseable {
    private final ServerSocket socket;
    private final Thread thread;
    private final java.util.concurrent.atomic.AtomicReference<String> lastRequest =
            new java.util.concurrent.atomic.AtomicReference<>();

    StubHttpServer(String contentType, String body, AtomicInteger served) throws IOException {
        this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nContent-Length: " + bytes.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        this.thread = new Thread(() -> {
            while (!socket.isClosed()) {
                try (Socket c = socket.accept()) {
                    lastRequest.set(readRequest(c.getInputStream()));
                    served.incrementAndGet();
                    OutputStream out = c.getOutputStream();
                    out.write(head);
                    out.write(bytes);
                    out.flush();
                } catch (IOException e) {
                    // closed, or a client that went away: serve the next one
                }
            }
        }, "stub-http");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    /** The last request's body (form-encoded for STS), for asserting what a client sent. */
    java.util.concurrent.atomic.AtomicReference<String> lastRequest() {
        return lastRequest;
    }

    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int length = 0;
        for (int b; (b = in.read()) >= 0; ) {
            if (b != '\n') {
                line.write(b);
                continue;
            }
            String header = line.toString(StandardCharsets.US_ASCII).trim();
            line.reset();
            if (header.isEmpty()) {
                return new String(in.readNBytes(length), StandardCharsets.UTF_8);
            }
            if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(header.substring(15).trim());
            }
        }
        return "";
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
