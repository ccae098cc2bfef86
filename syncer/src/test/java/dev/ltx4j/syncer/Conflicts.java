package dev.ltx4j.syncer;

import dev.ltx4j.ltx.LtxDecoder;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Decodes a saved conflicts/ file completely (file checksum verified). */
final class Conflicts {
    private Conflicts() {}

    static Map<Long, byte[]> pages(Path file, int pageSize) throws Exception {
        Map<Long, byte[]> out = new TreeMap<>();
        try (InputStream in = Files.newInputStream(file); LtxDecoder d = new LtxDecoder(in, file.toString())) {
            long p;
            byte[] buf = new byte[pageSize];
            while ((p = d.readPage(buf, 0)) != 0) {
                out.put(p, buf.clone());
            }
        }
        return out;
    }
}
