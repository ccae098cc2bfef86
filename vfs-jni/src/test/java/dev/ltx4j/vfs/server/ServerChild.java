package dev.ltx4j.vfs.server;

import java.io.File;
import java.lang.ref.WeakReference;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A servlet container in miniature: deploys {@link WebApp} in class loaders of its own. Probe driver. */
public final class ServerChild {
    private ServerChild() {
    }

    static String call(ClassLoader l, String method, String... args) throws Exception {
        Class<?> app = Class.forName("dev.ltx4j.vfs.server.WebApp", true, l);
        Class<?>[] types = new Class<?>[args.length];
        java.util.Arrays.fill(types, String.class);
        try {
            return (String) app.getMethod(method, types).invoke(null, (Object[]) args);
        } catch (InvocationTargetException e) {
            return "FAILED " + e.getCause();
        }
    }

    /** Whether another process can take the buffer's lock now (it must not while a writer in this one holds it). */
    static String lockProbe(String lock) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", "import fcntl,sys\nf=open(sys.argv[1],'r+')\ntry:\n"
                + "  fcntl.lockf(f, fcntl.LOCK_EX|fcntl.LOCK_NB); print('TAKEN by another process')\nexcept OSError as e:"
                + " print('refused', e.errno)", lock).redirectErrorStream(true).start();
        return new String(p.getInputStream().readAllBytes()).strip();
    }

    /** How many extracted copies of the native library this JVM has mapped (a System.load pins its loader). */
    static long nativeCopies() throws Exception {
        return java.nio.file.Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(l -> l.contains("/ltx4j-vfs-")).map(l -> l.substring(l.indexOf('/'))).distinct().count();
    }

    public static void main(String[] a) throws Exception {
        String mode = a[0], url = a[1], buffer = a[2], db = a[3];
        ClassLoader shared = ClassLoader.getPlatformClassLoader();
        List<URL> all = new ArrayList<>();
        for (String e : System.getProperty("webapp.classpath").split(File.pathSeparator)) {
            if (mode.startsWith("shared") && e.contains("sqlite-jdbc")) continue;
            all.add(Path.of(e).toUri().toURL());
        }
        if (mode.startsWith("shared")) {
            List<URL> s = new ArrayList<>();
            for (String e : System.getProperty("webapp.classpath").split(File.pathSeparator)) {
                if (e.contains("sqlite-jdbc")) s.add(Path.of(e).toUri().toURL());
            }
            shared = new URLClassLoader("server-lib", s.toArray(URL[]::new), shared);
        }
        boolean clean = !mode.endsWith("leak");
        if (mode.equals("shared-retry")) { // a first deployment whose load fails leaves the sqlite-jdbc unclaimed
            URLClassLoader failing = new URLClassLoader("webapp-0", all.toArray(URL[]::new), shared);
            System.setProperty("ltx4j.vfs.library", Path.of(buffer).resolveSibling("missing.so").toString());
            System.out.println("0 deploy " + call(failing, "deploy", url, buffer, "litestream"));
            System.clearProperty("ltx4j.vfs.library");
        }
        URLClassLoader first = new URLClassLoader("webapp-1", all.toArray(URL[]::new), shared);
        System.out.println("1 deploy " + call(first, "deploy", url, buffer, "litestream"));
        System.out.println("1 write " + call(first, "write", db, "3"));
        System.out.println("lock probe after 1 write " + lockProbe(buffer + ".lock"));
        System.out.println("1 undeploy " + call(first, "undeploy", Boolean.toString(clean)));
        WeakReference<ClassLoader> old = new WeakReference<>(first);
        first.close();
        first = null;
        URLClassLoader second = new URLClassLoader("webapp-2", all.toArray(URL[]::new), shared);
        System.out.println("2 deploy " + call(second, "deploy", url, buffer, "litestream"));
        if (mode.startsWith("shared")) System.out.println("native copies " + nativeCopies());
        System.out.println("2 read " + call(second, "read", db));
        System.out.println("lock probe " + lockProbe(buffer + ".lock"));
        System.out.println("2 write " + call(second, "write", db, "2"));
        System.out.println("2 undeploy " + call(second, "undeploy", "true"));
        for (int i = 0; i < 5 && old.get() != null; i++) {
            System.gc();
            Thread.sleep(200);
        }
        System.out.println("old loader collected " + (old.get() == null));
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("ltx4j")) System.out.println("thread " + t.getName() + " loader "
                    + t.getContextClassLoader());
        }
        System.out.println("end");
        System.exit(0);
    }
}
