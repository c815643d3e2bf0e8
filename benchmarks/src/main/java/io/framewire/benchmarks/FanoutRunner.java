package io.framewire.benchmarks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Runs the fan-out scenario: per number of subscribers, {@code --fanout-rounds} rounds, each a
 * {@link FanoutProbe} phase per variant, back to back, each with fresh processes, printing what each
 * measured. The machine's speed drifts over minutes, so the variants' phases are interleaved rather
 * than run one variant after the other, and the variants' order rotates by one each round, so none is
 * always first or always after the same one. A phase that fails is reported and the next one runs.
 */
final class FanoutRunner {
    private final BenchOptions options;

    FanoutRunner(BenchOptions options) {
        this.options = options;
    }

    /** One result per variant of {@code --fanout-systems}, in that order. */
    List<FanoutResults> run() {
        List<FanoutResults> results = options.fanoutSystems().stream().map(FanoutResults::new).toList();
        for (int subscribers : options.subscribers()) {
            for (int round = 1; round <= options.fanoutRounds(); round++) {
                for (FanoutResults variant : rotated(results, round - 1)) {
                    run(variant, subscribers, round);
                }
            }
        }
        return results;
    }

    private void run(FanoutResults results, int subscribers, int round) {
        FanoutVariant variant = results.variant();
        try {
            FanoutProbe.Result r = FanoutProbe.measure(variant, subscribers, options);
            results.put(round, r);
            progress(round, variant, subscribers, summary(variant, r));
        } catch (Exception | Error e) {
            results.failed(round, subscribers, e);
            progress(round, variant, subscribers, "FAILED: " + e);
            e.printStackTrace(System.out);
        }
    }

    /** {@code list} rotated left by {@code by}: by 1, (a, b, c) becomes (b, c, a). */
    static <T> List<T> rotated(List<T> list, int by) {
        List<T> out = new ArrayList<>(list);
        Collections.rotate(out, -by);
        return out;
    }

    private static String summary(FanoutVariant variant, FanoutProbe.Result r) {
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
        if (r.cpu() != null) {
            s.append(String.format(Locale.ROOT, "; CPU %,.0f ns per message received (publisher %,.0f%s), %.2f CPUs busy",
                    r.cpuPerMessage(FanoutProbe.Cpu::total), r.cpuPerMessage(FanoutProbe.Cpu::publisher),
                    variant.framewire() ? String.format(Locale.ROOT, ", broker %,.0f", r.cpuPerMessage(FanoutProbe.Cpu::broker)) : "",
                    r.cpu().cores()));
        }
        return s.toString();
    }

    private void progress(int round, FanoutVariant variant, int subscribers, String what) {
        int digits = String.valueOf(options.fanoutRounds()).length();
        System.out.printf(Locale.ROOT, "  round %" + digits + "d/%d  %-15s %2d sub%s  %s%n", round, options.fanoutRounds(),
                variant.label(), subscribers, subscribers == 1 ? " " : "s", what);
    }
}
