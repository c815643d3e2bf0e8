package io.framewire.benchmarks;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fan-out scenario's closing table: per variant and number of subscribers, the publisher's rate,
 * each subscriber's (slowest, mean) and all subscribers' together, and what was lost; then the ratio of
 * each Framewire variant's per-subscriber rate to JeroMQ's (target: at least JeroMQ's), and whether
 * Framewire lost nothing under BLOCK (target: nothing, in the window and over the whole run).
 */
final class FanoutTable {
    static final double RATE_TARGET = 1.0; // Framewire per subscriber at least JeroMQ's

    private final BenchOptions options;
    private final List<FanoutResults> results;

    FanoutTable(BenchOptions options, List<FanoutResults> results) {
        this.options = options;
        this.results = results;
    }

    void print(PrintStream out) {
        out.printf(Locale.ROOT, "Fan-out: %s messages over TCP loopback, one publisher, each subscriber in a JVM of its own, "
                + "counted over %d s after %d s of warm-up%n", ReportTable.size(options.fanoutSize()),
                options.fanoutDuration().toSeconds(), options.fanoutWarmup().toSeconds());
        out.printf(Locale.ROOT, "%-15s %4s %12s %12s %12s %12s %12s %7s %6s %10s%n", "variant", "subs", "published/s",
                "sub min/s", "sub avg/s", "total recv/s", "lost", "lost %", "gaps", "run lost");
        for (int subscribers : options.subscribers()) {
            for (FanoutResults r : results) {
                out.println(figures(r, subscribers));
            }
        }
        out.println("  lost: messages published in the window that a subscriber did not receive (holes in the payloads'");
        out.println("  sequence numbers), summed over subscribers; gaps: Framewire Gap deliveries in the window; run lost:");
        out.println("  Framewire only, messages of the whole run some subscriber did not receive in order once drained");
        out.println();

        out.printf(Locale.ROOT, "%-56s %4s %8s %8s  %s%n", "ratio of msgs/s per subscriber, avg (higher is better)", "subs",
                "value", "target", "verdict");
        List<FanoutResults> framewire = results.stream().filter(r -> r.variant().framewire()).toList();
        List<FanoutResults> jeromq = results.stream().filter(r -> !r.variant().framewire()).toList();
        for (int subscribers : options.subscribers()) {
            for (FanoutResults fw : framewire) {
                for (FanoutResults anchor : jeromq) {
                    FanoutProbe.Result a = fw.get(subscribers);
                    FanoutProbe.Result b = anchor.get(subscribers);
                    String value = a == null || b == null ? "n/a"
                            : String.format(Locale.ROOT, "%.2fx", a.perSubscriberMean() / b.perSubscriberMean());
                    String verdict = a == null || b == null ? "not measured"
                            : a.perSubscriberMean() / b.perSubscriberMean() >= RATE_TARGET ? "met" : "MISSED";
                    out.printf(Locale.ROOT, "%-56s %4d %8s %8s  %s%n", fw.variant().label() + " / " + anchor.variant().label(),
                            subscribers, value, ">= " + (int) RATE_TARGET + "x", verdict);
                }
            }
        }
        out.println();
        out.printf(Locale.ROOT, "%-56s %4s %8s  %s%n", "framewire under BLOCK loses nothing", "subs", "target", "verdict");
        for (int subscribers : options.subscribers()) {
            for (FanoutResults fw : framewire) {
                out.printf(Locale.ROOT, "%-56s %4d %8s  %s%n", fw.variant().label(), subscribers, "0 lost",
                        lossVerdict(fw.get(subscribers)));
            }
        }
        for (FanoutResults r : results) {
            for (Map.Entry<Integer, Throwable> f : r.failures().entrySet()) {
                out.println("FAILED: " + r.variant().label() + " with " + f.getKey() + " subscriber(s): " + f.getValue());
            }
        }
    }

    private static String figures(FanoutResults r, int subscribers) {
        FanoutProbe.Result m = r.get(subscribers);
        if (m == null) {
            return String.format(Locale.ROOT, "%-15s %4d %12s %12s %12s %12s %12s %7s %6s %10s%s", r.variant().label(),
                    subscribers, "-", "-", "-", "-", "-", "-", "-", "-", r.failure(subscribers) != null ? "  FAILED" : "");
        }
        double lostPercent = m.lost() == 0 ? 0 : 100.0 * m.lost() / (m.lost() + m.received());
        return String.format(Locale.ROOT, "%-15s %4d %,12.0f %,12.0f %,12.0f %,12.0f %,12d %6.2f%% %6s %10s", r.variant().label(),
                subscribers, m.publishedPerSecond(), m.perSubscriberMin(), m.perSubscriberMean(), m.total(), m.lost(),
                lostPercent, r.variant().framewire() ? String.format(Locale.ROOT, "%,d", m.gaps()) : "-",
                m.checkedRun() ? String.format(Locale.ROOT, "%,d", m.runLost()) : "-");
    }

    /**
     * Whether a Framewire phase lost nothing: no hole in the sequence numbers and no Gap, in the window
     * and over the whole run, and nothing out of order. A hole without a Gap is also named: a loss the
     * subscription did not report would be a Framewire bug beyond the loss itself.
     */
    private static String lossVerdict(FanoutProbe.Result m) {
        if (m == null) {
            return "not measured";
        }
        boolean clean = m.lost() == 0 && m.gaps() == 0 && m.disordered() == 0 && m.runLost() == 0 && m.runGaps() == 0;
        if (clean) {
            return "met (window and whole run)";
        }
        String silent = m.lost() > m.gapLost() ? String.format(Locale.ROOT, "; %,d lost WITHOUT a Gap", m.lost() - m.gapLost()) : "";
        return String.format(Locale.ROOT, "MISSED: window %,d lost, %,d gaps, %,d out of order; run %,d lost, %,d gaps%s",
                m.lost(), m.gaps(), m.disordered(), m.runLost(), m.runGaps(), silent);
    }
}
