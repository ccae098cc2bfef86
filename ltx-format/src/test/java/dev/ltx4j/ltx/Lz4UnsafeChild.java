package dev.ltx4j.ltx;

import java.lang.reflect.Field;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The child JVM of {@link Lz4UnsafeWarningTest}: initializes {@code Lz4} (from the class path, or with
 * {@code loader} from a class loader of its own, as an application server or a fat jar does), round-trips a page
 * through its compressor and decompressor, and prints their implementations. Reflection only: this class may be
 * loaded where {@code Lz4} is not visible.
 */
public final class Lz4UnsafeChild {
    private Lz4UnsafeChild() {}

    public static void main(String[] args) throws Exception {
        ClassLoader loader = Lz4UnsafeChild.class.getClassLoader();
        if (args.length > 0 && args[0].equals("loader")) {
            URL[] urls = new URL[args.length - 1];
            for (int i = 1; i < args.length; i++) urls[i - 1] = new URL(args[i]);
            loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
        }
        Class<?> lz4 = Class.forName("dev.ltx4j.ltx.Lz4", true, loader);
        Object compressor = field(lz4, "COMPRESSOR");
        Object decompressor = field(lz4, "DECOMPRESSOR");
        Object xxh32 = field(lz4, "XXH32");
        byte[] page = new byte[4096];
        byte[] text = "a page of a database, ".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < page.length; i++) page[i] = text[i % text.length];
        byte[] packed = (byte[]) loader.loadClass("net.jpountz.lz4.LZ4Compressor").getMethod("compress", byte[].class).invoke(compressor, page);
        byte[] back = (byte[]) loader.loadClass("net.jpountz.lz4.LZ4SafeDecompressor").getMethod("decompress", byte[].class, int.class)
                .invoke(decompressor, packed, page.length);
        Object hash = loader.loadClass("net.jpountz.xxhash.XXHash32").getMethod("hash", byte[].class, int.class, int.class, int.class)
                .invoke(xxh32, page, 0, page.length, 0);
        System.out.println("compressor " + compressor + " decompressor " + decompressor + " xxhash " + xxh32
                + " round trip " + Arrays.equals(page, back) + " hash " + hash);
    }

    private static Object field(Class<?> c, String name) throws ReflectiveOperationException {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(null);
    }
}
