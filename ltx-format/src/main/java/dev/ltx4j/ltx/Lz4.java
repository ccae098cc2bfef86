package dev.ltx4j.ltx;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/** The LZ4 primitives in use: lz4-java's fastest available (native, else Java) implementations, all stateless. */
final class Lz4 {
    private Lz4() {}

    static final LZ4Compressor COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();
    /** The safe decompressor bounds every read and write, so hostile input cannot overrun. */
    static final LZ4SafeDecompressor DECOMPRESSOR = LZ4Factory.fastestInstance().safeDecompressor();
    static final XXHash32 XXH32 = XXHashFactory.fastestInstance().hash32();
}
