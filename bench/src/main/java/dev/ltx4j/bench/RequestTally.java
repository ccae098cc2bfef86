package dev.ltx4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The rows of {@link RequestEconomyBenchmark}: HTTP requests per operation by kind and by outcome, as text or JSON. */
final class RequestTally {
    static final List<String> KINDS = List.of("LIST", "GET", "HEAD", "PUT", "DELETE", "other");
    static final List<String> OUTCOMES = List.of("2xx", "404", "412/409", "other");

    /**
     * One measured operation.
     *
     * @param units how many of {@code unit} the window held (syncs, seconds, 1 open), for the per-unit column
     */
    record Row(String store, String operation, double seconds, double units, String unit, Map<String, Long> kinds,
            Map<String, Long> outcomes, long total) {
        double perUnit() {
            return units == 0 ? Double.NaN : total / units;
        }
    }

    private final List<Row> rows = new ArrayList<>();

    Row add(EconomyStores store, String operation, double seconds, double units, String unit,
            List<CountingHttpProxy.Exchange> exchanges) {
        return add(store.type(), store, operation, seconds, units, unit, exchanges);
    }

    synchronized Row add(String label, EconomyStores store, String operation, double seconds, double units, String unit,
            List<CountingHttpProxy.Exchange> exchanges) {
        Map<String, Long> kinds = new LinkedHashMap<>();
        Map<String, Long> outcomes = new LinkedHashMap<>();
        KINDS.forEach(k -> kinds.put(k, 0L));
        OUTCOMES.forEach(o -> outcomes.put(o, 0L));
        for (CountingHttpProxy.Exchange e : exchanges) {
            kinds.merge(store.kind(e.method(), e.target()), 1L, Long::sum);
            outcomes.merge(EconomyStores.outcome(e.status()), 1L, Long::sum);
        }
        Row row = new Row(label, operation, seconds, units, unit, kinds, outcomes, exchanges.size());
        if (Boolean.getBoolean("ltx4j.bench.verbose")) {
            exchanges.forEach(e -> System.err.printf("      %s %s -> %d%n", e.method(), e.target(), e.status()));
        }
        rows.add(row);
        System.err.printf("  %s | %s | %s%n", label, operation, cells(row));
        return row;
    }

    private static String cells(Row r) {
        StringBuilder s = new StringBuilder();
        for (String k : KINDS) s.append(r.kinds().get(k)).append(" | ");
        for (String o : OUTCOMES) s.append(r.outcomes().get(o)).append(" | ");
        s.append(r.total()).append(" | ");
        s.append(r.unit().equals("s")
                ? String.format(Locale.ROOT, "%.2f per s over %.1f s", r.perUnit(), r.seconds())
                : String.format(Locale.ROOT, "%.2f per %s (%.0f in %.1f s)", r.perUnit(), r.unit(), r.units(), r.seconds()));
        return s.toString();
    }

    synchronized String table() {
        StringBuilder s = new StringBuilder();
        s.append("HTTP requests as the store saw them (counting proxy in front of the server: SDK retries, listing"
                + " pages and upload parts each count)\n\n");
        s.append("| store | operation | LIST | GET | HEAD | PUT | DELETE | other | 2xx | 404 | 412/409 | other | total | per unit |\n");
        s.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Row r : rows) {
            s.append("| ").append(r.store()).append(" | ").append(r.operation()).append(" | ").append(cells(r)).append(" |\n");
        }
        return s.toString();
    }

    synchronized String json() {
        StringBuilder s = new StringBuilder("{\"counted\":\"http-proxy\",\"rows\":[");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            if (i > 0) s.append(',');
            s.append("{\"store\":").append(quote(r.store())).append(",\"operation\":").append(quote(r.operation()))
                    .append(",\"seconds\":").append(String.format(Locale.ROOT, "%.3f", r.seconds()))
                    .append(",\"units\":").append(String.format(Locale.ROOT, "%.3f", r.units()))
                    .append(",\"unit\":").append(quote(r.unit()))
                    .append(",\"kinds\":").append(map(r.kinds())).append(",\"outcomes\":").append(map(r.outcomes()))
                    .append(",\"total\":").append(r.total())
                    .append(",\"perUnit\":").append(Double.isNaN(r.perUnit()) ? "null"
                            : String.format(Locale.ROOT, "%.4f", r.perUnit())).append('}');
        }
        return s.append("]}").toString();
    }

    private static String map(Map<String, Long> m) {
        StringBuilder s = new StringBuilder("{");
        m.forEach((k, v) -> s.append(s.length() > 1 ? "," : "").append(quote(k)).append(':').append(v));
        return s.append('}').toString();
    }

    private static String quote(String v) {
        StringBuilder s = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            if (c == '"' || c == '\\') s.append('\\').append(c);
            else if (c < 0x20) s.append(String.format("\\u%04x", (int) c));
            else s.append(c);
        }
        return s.append('"').toString();
    }
}
