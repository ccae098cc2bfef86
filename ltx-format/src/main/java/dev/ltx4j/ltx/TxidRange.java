package dev.ltx4j.ltx;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The TXIDs an LTX file covers, which is also how it is named: {@code %016x-%016x.ltx}. */
public record TxidRange(long minTxid, long maxTxid) implements Comparable<TxidRange> {
    private static final Pattern FILENAME = Pattern.compile("^([0-9a-f]{16})-([0-9a-f]{16})\\.ltx$");

    public String filename() {
        return Txid.format(minTxid) + "-" + Txid.format(maxTxid) + ".ltx";
    }

    /**
     * Strict parse of a file name; anything else (upper case, {@code .tmp}, other names) is not an LTX file,
     * exactly as Litestream's listings skip it.
     */
    public static Optional<TxidRange> parseFilename(String name) {
        Matcher m = FILENAME.matcher(name);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new TxidRange(Long.parseUnsignedLong(m.group(1), 16), Long.parseUnsignedLong(m.group(2), 16)));
    }

    @Override
    public int compareTo(TxidRange o) {
        int c = Long.compareUnsigned(minTxid, o.minTxid);
        return c != 0 ? c : Long.compareUnsigned(maxTxid, o.maxTxid);
    }

    @Override
    public String toString() {
        return Txid.format(minTxid) + "-" + Txid.format(maxTxid);
    }
}
