package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxSummary;
import dev.ltx4j.replica.ReplicaClient;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/**
 * One replica file read whole, streaming, through the strict decoder, for the {@link Hydrator}: from bytes the
 * engine already downloaded, through the parallel fetcher, or as one stream. Its pages are trusted only after
 * {@link #readPages} returns (the LTX file checksum is at the end of the stream).
 */
final class ReplicaFileStream {
    /** Receives each page of the file, in file order; {@code page} is reused for the next one. */
    @FunctionalInterface
    interface PageSink {
        void page(long pgno, byte[] page) throws IOException;
    }

    private ReplicaFileStream() {}

    /**
     * Streams every page of {@code file} to {@code sink}, reporting the bytes read so far to {@code progress}.
     *
     * @param whole the file's bytes if already downloaded, or null
     * @param fetcher parallel ranged reads, or null for one stream from {@code client}
     * @throws ReplicaFileCorruptException the file is malformed or is not what its listing said
     */
    static void readPages(RemoteFile file, int pageSize, byte[] whole, ParallelFetcher fetcher, ReplicaClient client,
            LongConsumer progress, PageSink sink) throws IOException {
        try (InputStream raw = whole != null ? new ByteArrayInputStream(whole)
                : fetcher != null ? fetcher.open(file, 0, file.sizeBytes())
                : client.openFile(file.level(), file.minTxid(), file.maxTxid(), 0, file.sizeBytes());
                LtxDecoder d = new LtxDecoder(new Progress(raw, progress), file.name())) { // it reads ahead 64 KiB
            LtxHeader h = d.header();
            if (h.pageSize() != pageSize || h.minTxid() != file.minTxid() || h.maxTxid() != file.maxTxid()) {
                throw new ReplicaFileCorruptException(file, "its header says page size " + h.pageSize() + ", TXIDs "
                        + h.range(), null);
            }
            byte[] page = new byte[pageSize];
            long pgno;
            while ((pgno = d.readPage(page, 0)) != 0) {
                sink.page(pgno, page);
            }
            LtxSummary s = d.summary();
            if (s.size() != file.sizeBytes()) {
                throw new ReplicaFileCorruptException(file, "it holds " + s.size() + " bytes but was listed with "
                        + file.sizeBytes(), null);
            }
        } catch (LtxFormatException e) {
            throw new ReplicaFileCorruptException(file, e.getMessage(), e);
        }
    }

    /** Counts downloaded bytes for the progress shown while a big file streams. */
    private static final class Progress extends FilterInputStream {
        private final LongConsumer progress;
        private long n;

        Progress(InputStream in, LongConsumer progress) {
            super(in);
            this.progress = progress;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int r = super.read(b, off, len);
            if (r > 0) {
                n += r;
                progress.accept(n);
            }
            return r;
        }
    }
}
