package dev.ltx4j.ltx;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** Test helpers: vector files, whole-file encode and decode. */
final class TestLtx {
    private TestLtx() {}

    static final Path VECTORS = Path.of("src/test/resources/vectors");

    static byte[] vector(String name) throws IOException {
        return Files.readAllBytes(VECTORS.resolve(name + ".ltx"));
    }

    static long hex(String s) {
        return Long.parseUnsignedLong(s, 16);
    }

    static String hex(long v) {
        return HexFormat.of().toHexDigits(v);
    }

    static byte[] fill(int size, int value) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /** A decoded file: header, pages in file order, and the verified summary. */
    record Decoded(LtxHeader header, Map<Long, byte[]> pages, LtxSummary summary) {}

    static Decoded decode(byte[] file, String name) throws IOException {
        return decode(new ByteArrayInputStream(file), name);
    }

    static Decoded decode(InputStream in, String name) throws IOException {
        LtxDecoder d = new LtxDecoder(in, name);
        LtxHeader h = d.header();
        Map<Long, byte[]> pages = new LinkedHashMap<>();
        byte[] buf = new byte[h.pageSize()];
        long pgno;
        while ((pgno = d.readPage(buf, 0)) != 0) {
            pages.put(pgno, buf.clone());
        }
        return new Decoded(h, pages, d.summary());
    }

    /** Encodes pages (ascending keys) with a computed snapshot post-apply when checksums are tracked. */
    static byte[] encode(LtxHeader h, Map<Long, byte[]> pages, long post) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder e = new LtxEncoder(out, h, "test");
        for (Map.Entry<Long, byte[]> p : pages.entrySet()) {
            e.writePage(p.getKey(), p.getValue(), 0);
        }
        LtxEncodeResult r = e.finish(post);
        byte[] bytes = out.toByteArray();
        if (r.size() != bytes.length) {
            throw new AssertionError("result size " + r.size() + " != " + bytes.length);
        }
        return bytes;
    }

    static long rolling(int pageSize, Map<Long, byte[]> pages) {
        DatabaseChecksum s = new DatabaseChecksum(pageSize);
        pages.forEach((pgno, data) -> s.toggle(pgno, data, 0));
        return s.value();
    }

    static Map<Long, byte[]> pages(Object... pgnoAndData) {
        Map<Long, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < pgnoAndData.length; i += 2) {
            m.put(((Number) pgnoAndData[i]).longValue(), (byte[]) pgnoAndData[i + 1]);
        }
        return m;
    }
}
