import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the harness's text reports of two builds (base and current), several runs each, and prints
 * the key figures side by side: the median over each build's runs, the ratio current/base, the lowest
 * and highest ratio of the runs paired by round, and each build's own spread over its runs (max/min).
 * A figure is flagged {@code worse?} when the ratio is worse than 1 by more than the larger of the two
 * spreads, that is by more than the runs of one build differ among themselves.
 *
 * <p>Parses the closing tables as {@code ReportTable}, {@code StreamingTable} and {@code FanoutTable}
 * print them (their header lines, then a row a line up to a blank line), from the right, since labels
 * hold spaces: unary p50, p99 and calls/s per system, transport and payload; streaming msgs/s, and
 * the client's and the server's CPU ns per message, per variant and streams; fan-out messages/s per
 * subscriber (mean) and CPU ns per message (all processes) per variant and subscribers. A failed row
 * ({@code -}) is left out of its build's runs; a table a report lacks (an older build's) gives no figures.
 *
 * <p>A single-file program, run by {@code compare.sh} with any java 17+ on the PATH:
 * {@code java CompareReports.java --base b1.txt b2.txt --current c1.txt c2.txt}.
 */
public final class CompareReports {
    /** A figure of one row: how to find it and which way is better. */
    private record Column(String name, int fromRight, boolean higherIsBetter) {}

    /**
     * A closing table: the line its header starts with and contains; its columns after the label, of
     * which the first is part of a row's name if {@code keyColumn} names it; and the figures taken.
     */
    private record Table(String scenario, String headerStart, String headerContains, int columnsAfterLabel, String keyColumn,
                         List<Column> figures) {}

    private static final List<Table> TABLES = List.of(
            // system transport payload(2) p50 p99 p99.9 calls calls/s: 2 label words + payload's 2, then 5
            new Table("unary", "system ", "p50 us", 5, "", List.of(
                    new Column("p50 us", 5, false), new Column("p99 us", 4, false), new Column("calls/s", 1, true))),
            // variant... streams total per-stream slowest fastest messages
            new Table("streaming", "variant ", "msgs/s total", 6, "streams", List.of(new Column("msgs/s", 5, true))),
            // variant... streams client server (CPU ns per message; absent from reports before 2026-12-07)
            new Table("streaming", "CPU ns per msg ", "server", 3, "streams", List.of(
                    new Column("client CPU ns/msg", 2, false), new Column("server CPU ns/msg", 1, false))),
            // variant... subs rounds published/s min/s avg/s total/s lost lost% gaps run-lost
            new Table("fan-out", "variant ", "published/s", 10, "subs", List.of(new Column("msgs/s per sub", 6, true))),
            // variant... subs rounds all publisher broker subscribers busy
            new Table("fan-out", "CPU ns per msg ", "subscribers", 7, "subs", List.of(new Column("CPU ns/msg", 5, false))));

    private CompareReports() {}

    public static void main(String[] args) throws IOException {
        List<Path> base = new ArrayList<>();
        List<Path> current = new ArrayList<>();
        List<Path> to = null;
        for (String a : args) {
            switch (a) {
                case "--base" -> to = base;
                case "--current" -> to = current;
                default -> {
                    if (to == null) {
                        throw new IllegalArgumentException("usage: CompareReports --base FILE... --current FILE...");
                    }
                    to.add(Path.of(a));
                }
            }
        }
        List<Map<String, Double>> baseRuns = new ArrayList<>();
        for (Path p : base) {
            baseRuns.add(parse(Files.readAllLines(p)));
        }
        List<Map<String, Double>> currentRuns = new ArrayList<>();
        for (Path p : current) {
            currentRuns.add(parse(Files.readAllLines(p)));
        }
        print(baseRuns, currentRuns);
    }

    /**
     * Every figure of one report, keyed "scenario|label|figure|direction" in the order printed. Rows
     * that failed, and tables that are absent, add nothing.
     */
    static Map<String, Double> parse(List<String> lines) {
        Map<String, Double> figures = new LinkedHashMap<>();
        for (Table table : TABLES) {
            int header = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).startsWith(table.headerStart()) && lines.get(i).contains(table.headerContains())) {
                    header = i;
                }
            }
            if (header < 0) {
                continue;
            }
            for (int i = header + 1; i < lines.size() && !lines.get(i).isBlank() && !lines.get(i).startsWith(" "); i++) {
                List<String> words = new ArrayList<>(Arrays.asList(lines.get(i).trim().split("\\s+")));
                if (words.get(words.size() - 1).equals("FAILED")) {
                    words.remove(words.size() - 1);
                }
                int labelEnd = words.size() - table.columnsAfterLabel();
                if (labelEnd < 1) {
                    continue;
                }
                String label = String.join(" ", words.subList(0, labelEnd))
                        + (table.keyColumn().isEmpty() ? "" : ", " + words.get(labelEnd) + " " + table.keyColumn());
                for (Column c : table.figures()) {
                    double v = number(words.get(words.size() - c.fromRight()));
                    if (!Double.isNaN(v)) {
                        figures.put(table.scenario() + "|" + label + "|" + c.name() + "|" + (c.higherIsBetter() ? "+" : "-"), v);
                    }
                }
            }
        }
        return figures;
    }

    /** "1,234.5" -> 1234.5; "-" (not measured) -> NaN. */
    private static double number(String word) {
        try {
            return Double.parseDouble(word.replace(",", "").replace("%", ""));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static void print(List<Map<String, Double>> base, List<Map<String, Double>> current) {
        List<String> keys = new ArrayList<>();
        for (List<Map<String, Double>> side : List.of(base, current)) {
            for (Map<String, Double> run : side) {
                run.keySet().stream().filter(k -> !keys.contains(k)).forEach(keys::add);
            }
        }
        String scenario = "";
        int flagged = 0;
        List<Double> sameDirection = new ArrayList<>();
        for (String key : keys) {
            String[] k = key.split("\\|");
            boolean higherIsBetter = k[3].equals("+");
            if (!k[0].equals(scenario)) {
                scenario = k[0];
                System.out.printf(Locale.ROOT, "%n%-44s %12s %12s %9s %15s %9s %9s%n", scenario, "base", "current", "cur/base",
                        "rounds lo..hi", "base max/min", "cur max/min");
            }
            List<Double> b = values(base, key);
            List<Double> c = values(current, key);
            double ratio = median(c) / median(b);
            List<Double> paired = new ArrayList<>();
            for (int i = 0; i < Math.min(base.size(), current.size()); i++) {
                Double bi = base.get(i).get(key);
                Double ci = current.get(i).get(key);
                if (bi != null && ci != null) {
                    paired.add(ci / bi);
                }
            }
            double spread = Math.max(spread(b), spread(c));
            boolean worse = !Double.isNaN(ratio) && (higherIsBetter ? ratio < 1 / spread : ratio > spread);
            flagged += worse ? 1 : 0;
            if (!Double.isNaN(ratio)) {
                sameDirection.add(higherIsBetter ? ratio : 1 / ratio);
            }
            System.out.printf(Locale.ROOT, "%-44s %12s %12s %9s %15s %9s %9s%s%n",
                    k[1] + "  " + k[2] + (higherIsBetter ? " (+)" : " (-)"), figure(median(b)), figure(median(c)),
                    times(ratio), paired.isEmpty() ? "-" : times(min(paired)) + ".." + times(max(paired)),
                    times(spread(b)), times(spread(c)), worse ? "  worse?" : "");
        }
        System.out.printf(Locale.ROOT, "%n(+) higher is better, (-) lower is better. Medians over %d base and %d current runs;%n"
                + "rounds lo..hi: the lowest and highest ratio of the runs of one round; max/min: how far one build's own runs%n"
                + "differ. worse?: the ratio is worse than 1 by more than the larger max/min (%d figure%s).%n",
                base.size(), current.size(), flagged, flagged == 1 ? "" : "s");
        if (!sameDirection.isEmpty()) {
            double logSum = sameDirection.stream().mapToDouble(Math::log).sum();
            System.out.printf(Locale.ROOT, "Geometric mean over %d figures of current/base, each turned so that above 1 is better: %.3fx%n",
                    sameDirection.size(), Math.exp(logSum / sameDirection.size()));
        }
    }

    private static List<Double> values(List<Map<String, Double>> runs, String key) {
        return runs.stream().map(r -> r.get(key)).filter(v -> v != null).toList();
    }

    private static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** max/min of one build's runs, 1 for one run. */
    private static double spread(List<Double> values) {
        return values.isEmpty() ? Double.NaN : max(values) / min(values);
    }

    private static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    private static String times(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, "%.2fx", v);
    }

    private static String figure(double v) {
        return Double.isNaN(v) ? "-" : v >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
