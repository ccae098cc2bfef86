package dev.ltx4j.conformance;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback server that accepts connections and never reads or answers, like an endpoint behind a black hole that
 * completes the TCP handshake: exercises request timeouts deterministically, and counts connections (one per request
 * attempt, since a timed-out connection is not reused). Also gives a port where nothing listens.
 */
public final class SilentServer implements AutoCloseable {
    private final ServerSocket server;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> held = new ArrayList<>();
    private final Thread acceptor;

    public SilentServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "silent-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                synchronized (held) {
                    held.add(s);
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** A loopback port that nothing listens on (bound and released at once): connections to it are refused. */
    public static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (held) {
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
