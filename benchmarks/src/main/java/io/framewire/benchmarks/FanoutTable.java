package io.framewire.benchmarks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The fan-out scenario's closing table: per variant and number of subscribers, over the rounds, the
 * median of the publisher's rate, of each subscriber's (slowest, mean) and of all subscribers'
 * together, and the worst round's loss; the median CPU time the phase's processes spent per message
 * received; then the ratio of each Framewire variant's per-subscriber rate to JeroMQ's (target: at
 * least JeroMQ's), of the medians and per round, likewise for CPU per message; and whether Framewire
 * lost nothing under BLOCK in any round (target: nothing, in the window and over the whole run).
 * Medians, and ratios of phases of one round, because the machine's speed drifts between phases.
 */
final class FanoutTable {
    static final double RATE_TARGET = 1.0; // Framewire per subscriber at least JeroMQ's

    private final BenchOptions options;
    private final List<FanoutResults> results;

    FanoutTable(BenchOptions options, List<FanoutResults> results) {
        this.options = options;
        this.results = results;
    }

    /**
     * A Framewire variant's figure over JeroMQ's: the ratio of the two medians, and the ratios of the
     * two phases of each round in which both were measured.
     *
     * @param ofMedians the ratio of the medians (NaN if either was not measured)
     * @param min the lowest round's ratio
     * @param max the highest round's ratio
     * @param asGood rounds whose ratio was 1 or better (at least 1 where higher is better, at most 1 where lower is)
     * @param rounds rounds in which both were measured
     */
    private record Ratio(double ofMedians, double min, double max, int asGood, int rounds) {
        static Ratio of(FanoutResults fw, FanoutResults anchor, int subscribers, ToDoubleFunction<FanoutProbe.Result> figure,
                        boolean higherIsBetter) {
            SortedMap<Integer, FanoutProbe.Result> anchorRounds = anchor.rounds(subscribers);
            List<Double> perRound = new ArrayList<>();
            for (Map.Entry<Integer, FanoutProbe.Result> e : fw.rounds(subscribers).entrySet()) {
                FanoutProbe.Result b = anchorRounds.get(e.getKey());
                double r = b == null ? Double.NaN : figure.applyAsDouble(e.getValue()) / figure.applyAsDouble(b);
                if (!Double.isNaN(r)) {
                    perRound.add(r);
                }
            }
            return new Ratio(fw.median(subscribers, figure) / anchor.median(subscribers, figure),
                    perRound.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
                    perRound.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN),
                    (int) perRound.stream().filter(r -> higherIsBetter ? r >= 1 : r <= 1).count(), perRound.size());
        }

        String columns() {
            return String.format(Locale.ROOT, "%9s %9s %9s %6s", times(ofMedians), times(min), times(max),
                    rounds == 0 ? "-" : asGood + "/" + rounds);
        }
    }

    void print(PrintStream out) {
        out.printf(Locale.ROOT, "Fan-out: %s messages over TCP loopback, one publisher, each subscriber in a JVM of its own, "
                + "counted over %d s after %d s of warm-up; %d round%s per subscriber count%n", ReportTable.size(options.fanoutSize()),
                options.fanoutDuration().toSeconds(), options.fanoutWarmup().toSeconds(), options.fanoutRounds(),
                options.fanoutRounds() == 1 ? "" : "s");
        out.printf(Locale.ROOT, "%-15s %4s %6s %12s %12s %12s %12s %12s %7s %6s %10s%n", "variant", "subs", "rounds",
                "published/s", "sub min/s", "sub avg/s", "total recv/s", "lost", "lost %", "gaps", "run lost");
        for (int subscribers : options.subscribers()) {
            for (FanoutResults r : results) {
                out.println(figures(r, subscribers));
            }
        }
        out.println("  rounds: phases measured of those run. Rates: the median over the rounds measured, each column on its");
        out.println("  own; lost, lost %, gaps and run lost: the worst round's. lost: messages published in the window that a");
        out.println("  subscriber did not receive (holes in the payloads' sequence numbers), summed over subscribers; gaps:");
        out.println("  Framewire Gap deliveries in the window; run lost: Framewire only, messages of the whole run some");
        out.println("  subscriber did not receive in order once drained");
        out.println();

        out.printf(Locale.ROOT, "%-15s %4s %6s %12s %12s %12s %12s %9s%n", "CPU ns per msg", "subs", "rounds", "all",
                "publisher", "broker", "subscribers", "CPUs busy");
        for (int subscribers : options.subscribers()) {
            for (FanoutResults r : results) {
                out.println(cpu(r, subscribers));
            }
        }
        out.println("  CPU time (user + system) of the phase's processes in the window, per message the subscribers received");
        out.println("  in it, in nanoseconds; the median over the rounds, each column on its own (the harness's own JVM is not");
        out.printf(Locale.ROOT, "  counted). Read from %s%n", ProcessCpu.source());
        out.println();

        List<FanoutResults> framewire = results.stream().filter(r -> r.variant().framewire()).toList();
        List<FanoutResults> jeromq = results.stream().filter(r -> !r.variant().framewire()).toList();
        out.printf(Locale.ROOT, "%-56s %4s %9s %9s %9s %6s %8s  %s%n", "ratio of msgs/s per subscriber, avg (higher is better)",
                "subs", "medians", "round lo", "round hi", ">= 1x", "target", "verdict");
        for (int subscribers : options.subscribers()) {
            for (FanoutResults fw : framewire) {
                for (FanoutResults anchor : jeromq) {
                    Ratio ratio = Ratio.of(fw, anchor, subscribers, FanoutProbe.Result::perSubscriberMean, true);
                    String verdict = Double.isNaN(ratio.ofMedians()) ? "not measured"
                            : ratio.ofMedians() >= RATE_TARGET ? "met" : "MISSED";
                    out.printf(Locale.ROOT, "%-56s %4d %s %8s  %s%n", fw.variant().label() + " / " + anchor.variant().label(),
                            subscribers, ratio.columns(), ">= " + (int) RATE_TARGET + "x", verdict);
                }
            }
        }
        out.printf(Locale.ROOT, "%-56s %4s %9s %9s %9s %6s%n", "ratio of CPU ns per msg received (lower is better)",
                "subs", "medians", "round lo", "round hi", "<= 1x");
        for (int subscribers : options.subscribers()) {
            for (FanoutResults fw : framewire) {
                for (FanoutResults anchor : jeromq) {
                    out.printf(Locale.ROOT, "%-56s %4d %s%n", fw.variant().label() + " / " + anchor.variant().label(), subscribers,
                            Ratio.of(fw, anchor, subscribers, r -> r.cpuPerMessage(FanoutProbe.Cpu::total), false).columns());
                }
            }
        }
        out.println("  medians: the ratio of the two variants' medians (the verdict's); round lo, hi: the lowest and highest");
        out.println("  ratio of the two variants' phases in one round; >= 1x, <= 1x: in how many of the rounds in which both");
        out.println("  were measured Framewire did at least as well as JeroMQ");
        out.println();
        out.printf(Locale.ROOT, "%-56s %4s %8s  %s%n", "framewire under BLOCK loses nothing, in every round", "subs", "target",
                "verdict");
        for (int subscribers : options.subscribers()) {
            for (FanoutResults fw : framewire) {
                out.printf(Locale.ROOT, "%-56s %4d %8s  %s%n", fw.variant().label(), subscribers, "0 lost",
                        lossVerdict(fw, subscribers));
            }
        }
        for (FanoutResults r : results) {
            for (FanoutResults.Failure f : r.failures()) {
                out.println("FAILED: " + r.variant().label() + " with " + f.subscribers() + " subscriber(s), round "
                        + f.round() + ": " + f.cause());
            }
        }
    }

    private static String figures(FanoutResults r, int subscribers) {
        List<FanoutProbe.Result> rounds = List.copyOf(r.rounds(subscribers).values());
        String counted = rounds(r, subscribers);
        if (rounds.isEmpty()) {
            return String.format(Locale.ROOT, "%-15s %4d %6s %12s %12s %12s %12s %12s %7s %6s %10s%s", r.variant().label(),
                    subscribers, counted, "-", "-", "-", "-", "-", "-", "-", "-", r.failures(subscribers) > 0 ? "  FAILED" : "");
        }
        double lostPercent = rounds.stream().mapToDouble(m -> m.lost() == 0 ? 0 : 100.0 * m.lost() / (m.lost() + m.received()))
                .max().orElse(0);
        return String.format(Locale.ROOT, "%-15s %4d %6s %,12.0f %,12.0f %,12.0f %,12.0f %,12d %6.2f%% %6s %10s", r.variant().label(),
                subscribers, counted, r.median(subscribers, FanoutProbe.Result::publishedPerSecond),
                r.median(subscribers, FanoutProbe.Result::perSubscriberMin),
                r.median(subscribers, FanoutProbe.Result::perSubscriberMean), r.median(subscribers, FanoutProbe.Result::total),
                worst(rounds, FanoutProbe.Result::lost), lostPercent,
                r.variant().framewire() ? String.format(Locale.ROOT, "%,d", worst(rounds, FanoutProbe.Result::gaps)) : "-",
                rounds.getFirst().checkedRun() ? String.format(Locale.ROOT, "%,d", worst(rounds, FanoutProbe.Result::runLost)) : "-");
    }

    private static String cpu(FanoutResults r, int subscribers) {
        return String.format(Locale.ROOT, "%-15s %4d %6s %12s %12s %12s %12s %9s", r.variant().label(), subscribers,
                rounds(r, subscribers), nanos(r.median(subscribers, m -> m.cpuPerMessage(FanoutProbe.Cpu::total))),
                nanos(r.median(subscribers, m -> m.cpuPerMessage(FanoutProbe.Cpu::publisher))),
                r.variant().framewire() ? nanos(r.median(subscribers, m -> m.cpuPerMessage(FanoutProbe.Cpu::broker))) : "-",
                nanos(r.median(subscribers, m -> m.cpuPerMessage(FanoutProbe.Cpu::subscribers))),
                number("%.2f", r.median(subscribers, m -> m.cpu() == null ? Double.NaN : m.cpu().cores())));
    }

    /** Rounds measured of those run: "3/3". */
    private static String rounds(FanoutResults r, int subscribers) {
        int measured = r.rounds(subscribers).size();
        return measured + "/" + (measured + r.failures(subscribers));
    }

    private static long worst(List<FanoutProbe.Result> rounds, ToLongFunction<FanoutProbe.Result> figure) {
        return rounds.stream().mapToLong(figure).max().orElse(0);
    }

    private static String nanos(double value) {
        return number("%,.0f", value);
    }

    private static String times(double value) {
        return number("%.2fx", value);
    }

    /** {@code value} formatted, or "-" if it is not a number. */
    private static String number(String format, double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    /**
     * Whether a Framewire variant lost nothing in any round: no hole in the sequence numbers and no
     * Gap, in the window and over the whole run, and nothing out of order. A hole without a Gap is also
     * named: a loss the subscription did not report would be a Framewire bug beyond the loss itself.
     */
    private static String lossVerdict(FanoutResults fw, int subscribers) {
        SortedMap<Integer, FanoutProbe.Result> rounds = fw.rounds(subscribers);
        long failed = fw.failures(subscribers);
        if (rounds.isEmpty()) {
            return "not measured";
        }
        List<String> missed = new ArrayList<>();
        for (Map.Entry<Integer, FanoutProbe.Result> e : rounds.entrySet()) {
            FanoutProbe.Result m = e.getValue();
            boolean clean = m.lost() == 0 && m.gaps() == 0 && m.disordered() == 0 && m.runLost() == 0 && m.runGaps() == 0;
            if (!clean) {
                String silent = m.lost() > m.gapLost()
                        ? String.format(Locale.ROOT, "; %,d lost WITHOUT a Gap", m.lost() - m.gapLost()) : "";
                missed.add(String.format(Locale.ROOT, "round %d: window %,d lost, %,d gaps, %,d out of order; run %,d lost, %,d gaps%s",
                        e.getKey(), m.lost(), m.gaps(), m.disordered(), m.runLost(), m.runGaps(), silent));
            }
        }
        if (!missed.isEmpty()) {
            return "MISSED in " + String.join(" | ", missed);
        }
        return String.format(Locale.ROOT, "met in every round (%d measured%s; window and whole run)", rounds.size(),
                failed > 0 ? ", " + failed + " failed" : "");
    }
}
