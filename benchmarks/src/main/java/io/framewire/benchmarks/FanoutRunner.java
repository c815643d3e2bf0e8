package io.framewire.benchmarks;

import java.util.Locale;

/**
 * Runs the fan-out scenario for one variant: a {@link FanoutProbe} phase per number of subscribers,
 * each with fresh processes, printing what each measured. A phase that fails is reported and the next
 * one runs.
 */
final class FanoutRunner {
    private final BenchOptions options;

    FanoutRunner(BenchOptions options) {
        this.options = options;
    }

    FanoutResults run(FanoutVariant variant) {
        FanoutResults results = new FanoutResults(variant);
        for (int subscribers : options.subscribers()) {
            try {
                FanoutProbe.Result r = FanoutProbe.measure(variant, subscribers, options);
                results.put(r);
                progress(variant, subscribers, summary(r));
            } catch (Exception | Error e) {
                results.failed(subscribers, e);
                progress(variant, subscribers, "FAILED: " + e);
                e.printStackTrace(System.out);
            }
        }
        return results;
    }

    private static String summary(FanoutProbe.Result r) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
                "published %,.0f/s; per subscriber %,.0f/s (slowest %,.0f/s); lost in the window %,d",
                r.publishedPerSecond(), r.perSubscriberMean(), r.perSubscriberMin(), r.lost()));
        if (r.lost() > 0) {
            s.append(String.format(Locale.ROOT, " (%.1f%%)", 100.0 * r.lost() / (r.lost() + r.received())));
        }
        if (r.gaps() > 0 || r.disordered() > 0) {
            s.append(String.format(Locale.ROOT, ", %,d gaps (%,d messages), %,d out of order", r.gaps(), r.gapLost(), r.disordered()));
        }
        if (r.checkedRun()) {
            s.append(String.format(Locale.ROOT, "; over the run %,d published, %s", r.publishedInRun(),
                    r.runLost() == 0 && r.runGaps() == 0 ? "every subscriber got every one, in order"
                            : String.format(Locale.ROOT, "%,d not received in order, %,d gaps", r.runLost(), r.runGaps())));
        }
        return s.toString();
    }

    private static void progress(FanoutVariant variant, int subscribers, String what) {
        System.out.printf(Locale.ROOT, "  %-15s %2d sub%s  %s%n", variant.label(), subscribers, subscribers == 1 ? " " : "s", what);
    }
}
