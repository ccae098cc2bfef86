package dev.ltx4j.vfs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP forwarder to a store that can go silent: after {@link #silence()} it still accepts connections but answers
 * nothing, on new and open connections alike, like an endpoint whose network dropped (requests wait out their
 * timeout). {@link #resume()} forwards again.
 */
final class SilencingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean silent;

    SilencingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "silencing-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    void silence() {
        silent = true;
    }

    void resume() {
        silent = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                sockets.add(client);
                if (silent) continue; // held open, never answered
                Socket store = new Socket();
                store.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
                sockets.add(store);
                pump(client, store);
                pump(store, client);
            } catch (IOException e) {
                if (server.isClosed()) return;
            }
        }
    }

    /** Copies until the end; bytes arriving while silent are read and dropped, so nothing answers. */
    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(b)) > 0) {
                    if (silent) continue;
                    out.write(b, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // a side closed
            }
        }, "silencing-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) s.close();
    }
}
