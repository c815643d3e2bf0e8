package io.framewire.benchmarks;

import io.framewire.protocol.OverflowPolicy;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The load test's closing table: per phase and kind of operation what was done, the errors, the rate
 * and the latency; the errors by status code; what the subscribers received and lost; the heap
 * readings; and a PASS or FAIL line per target.
 *
 * <p>Heap growth "within noise" means: the server's heap after a full GC at the end exceeds the one at
 * the start (after the warm-up) by at most {@link #NOISE_FLOOR_BYTES} or {@link #NOISE_FRACTION} of the
 * start, whichever is more. A heap after a full GC still moves with what happens to be alive at that
 * moment (buffers of idle connections, the JIT's and the broker's lazily grown tables, soft
 * references); the two readings taken back to back at the start show how much.
 */
final class LoadReport {
    static final long NOISE_FLOOR_BYTES = 5L << 20;
    static final double NOISE_FRACTION = 0.10;

    private final LoadOptions options;
    private final MixLoad.Result warmup;
    private final OperationStats.Result unary;
    private final MixLoad.Result mix;
    private final List<LoadTest.Reading> readings;

    /**
     * @param warmup the warm-up's mix, or null if there was none
     * @param readings {@link LoadTest#START}, {@link LoadTest#START_AGAIN}, {@link LoadTest#MID} and {@link LoadTest#END}, in that order
     */
    LoadReport(LoadOptions options, MixLoad.Result warmup, OperationStats.Result unary, MixLoad.Result mix,
               List<LoadTest.Reading> readings) {
        this.options = options;
        this.warmup = warmup;
        this.unary = unary;
        this.mix = mix;
        this.readings = readings;
    }

    /** 1234567 -> "1.2 MiB". */
    static String mebibytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static String signedMebibytes(long bytes) {
        return (bytes >= 0 ? "+" : "") + mebibytes(bytes);
    }

    /** The server's heap in use at the reading {@code when}, if it answered. */
    private OptionalLong heap(String when) {
        return readings.stream().filter(r -> r.when().equals(when)).findFirst().flatMap(LoadTest.Reading::server)
                .map(r -> OptionalLong.of(r.heapUsed())).orElse(OptionalLong.empty());
    }

    /** {@code heap(later) - heap(earlier)}, if the server answered both. */
    private OptionalLong growth(String earlier, String later) {
        OptionalLong a = heap(earlier);
        OptionalLong b = heap(later);
        return a.isPresent() && b.isPresent() ? OptionalLong.of(b.getAsLong() - a.getAsLong()) : OptionalLong.empty();
    }

    private long heapAllowed() {
        return Math.max(NOISE_FLOOR_BYTES, (long) (NOISE_FRACTION * heap(LoadTest.START).orElse(0)));
    }

    private static String signedMebibytes(OptionalLong bytes) {
        return bytes.isPresent() ? signedMebibytes(bytes.getAsLong()) : "unknown";
    }

    private List<Target> targets(boolean watchdogFired) {
        List<Target> t = new ArrayList<>();
        t.add(new Target(String.format(Locale.ROOT, "phase 1: all %,d unary calls succeeded", options.calls()),
                unary.done() == options.calls() && unary.errorCount() == 0,
                String.format(Locale.ROOT, "%,d succeeded, %,d errors", unary.done(), unary.errorCount())));
        long errors = unary.errorCount() + mix.errors() + (warmup == null ? 0 : warmup.errors());
        t.add(new Target("errors: none, in the warm-up, phase 1 or phase 2", errors == 0, String.format(Locale.ROOT, "%,d", errors)));
        List<SubscriberCheck.Summary> block = subscribers(OverflowPolicy.BLOCK);
        t.add(new Target("BLOCK: every subscriber received every message, in order",
                block.stream().allMatch(SubscriberCheck.Summary::complete), incomplete(block)));
        List<SubscriberCheck.Summary> drop = subscribers(OverflowPolicy.DROP_OLDEST);
        t.add(new Target("DROP_OLDEST: every message received or reported in a gap",
                drop.stream().allMatch(SubscriberCheck.Summary::complete), incomplete(drop)));
        OptionalLong growth = growth(LoadTest.START, LoadTest.END);
        t.add(new Target(String.format(Locale.ROOT, "server heap growth, end - start, at most max(%s, %.0f%% of start)",
                mebibytes(NOISE_FLOOR_BYTES), NOISE_FRACTION * 100), growth.isPresent() && growth.getAsLong() <= heapAllowed(),
                signedMebibytes(growth) + " of " + mebibytes(heapAllowed()) + " allowed"));
        t.add(new Target("finished within its time limit (" + options.limit().toSeconds() + " s)", !watchdogFired,
                watchdogFired ? "the watchdog killed the server" : ""));
        return t;
    }

    boolean passed() {
        return targets(false).stream().allMatch(Target::met);
    }

    private record Target(String name, boolean met, String detail) {}

    void print(PrintStream out, boolean watchdogFired) {
        out.println();
        out.printf(Locale.ROOT, "%-26s %5s %13s %8s %11s %10s %10s %10s %10s%n", "operation", "phase", "done", "errors", "per s",
                "p50 us", "p99 us", "p99.9 us", "max us");
        out.println(row("1", unary));
        for (OperationStats.Result r : mix.operations()) {
            out.println(row("2", r));
        }
        out.println("  latency: unary call, bidi round trip, request-reply: the round trip; server stream: from the call to");
        out.println("  its end; publish: the publish call (fire-and-forget; it waits only under backpressure); delivery: from");
        out.println("  publish to receipt (both in this JVM). Rates: operations done over the phase's whole time.");
        out.println();

        out.println("errors by kind and code:");
        int shown = errors(out, "warm-up", warmup == null ? List.of() : warmup.operations())
                + errors(out, "phase 1", List.of(unary)) + errors(out, "phase 2", mix.operations());
        if (shown == 0) {
            out.println("  none");
        }
        out.println();

        out.println("phase 2 subscribers (each topic's publisher numbers its messages; the last is acknowledged by the broker):");
        for (OverflowPolicy policy : List.of(OverflowPolicy.BLOCK, OverflowPolicy.DROP_OLDEST)) {
            List<SubscriberCheck.Summary> s = subscribers(policy);
            out.printf(Locale.ROOT, "  %-11s %2d subscriptions: %,d messages published to them, %,d received, %,d lost in %,d gaps%s%n",
                    policy, s.size(), s.stream().mapToLong(SubscriberCheck.Summary::published).sum(),
                    s.stream().mapToLong(SubscriberCheck.Summary::received).sum(),
                    s.stream().mapToLong(SubscriberCheck.Summary::dropped).sum(),
                    s.stream().mapToLong(SubscriberCheck.Summary::gaps).sum(),
                    policy == OverflowPolicy.DROP_OLDEST ? " (not errors)" : "");
        }
        out.println();

        out.printf(Locale.ROOT, "%-28s %s%n", "heap after full GC",
                readings.stream().map(r -> String.format(Locale.ROOT, "%14s", r.when())).collect(Collectors.joining()));
        out.printf(Locale.ROOT, "%-28s %s%n", "server (-Xmx" + options.serverHeap() + ")",
                columns(r -> r.server().map(s -> mebibytes(s.heapUsed())).orElse("no answer")));
        out.printf(Locale.ROOT, "%-28s %s%n", "server platform threads",
                columns(r -> r.server().map(s -> String.valueOf(s.threads())).orElse("-")));
        out.printf(Locale.ROOT, "%-28s %s%n", "this JVM (clients, results)", columns(r -> mebibytes(r.driver().heapUsed())));
        out.printf(Locale.ROOT, "  server growth: phase 1 (mid - start) %s, phase 2 (end - mid) %s, whole (end - start) %s;%n"
                        + "  two readings back to back at the start differ by %s. Noise allowed: max(%s, %.0f%% of start) = %s%n",
                signedMebibytes(growth(LoadTest.START, LoadTest.MID)), signedMebibytes(growth(LoadTest.MID, LoadTest.END)),
                signedMebibytes(growth(LoadTest.START, LoadTest.END)), signedMebibytes(growth(LoadTest.START, LoadTest.START_AGAIN)),
                mebibytes(NOISE_FLOOR_BYTES), NOISE_FRACTION * 100, mebibytes(heapAllowed()));
        out.println();

        out.printf(Locale.ROOT, "%-70s %s%n", "target", "verdict");
        List<Target> targets = targets(watchdogFired);
        for (Target t : targets) {
            out.printf(Locale.ROOT, "%-70s %s%s%n", t.name(), t.met() ? "PASS" : "FAIL", t.detail().isEmpty() ? "" : " (" + t.detail() + ")");
        }
        out.println("result: " + (targets.stream().allMatch(Target::met) ? "PASS" : "FAIL"));
    }

    /** One column a reading, {@code cell} of each. */
    private String columns(Function<LoadTest.Reading, String> cell) {
        return readings.stream().map(r -> String.format(Locale.ROOT, "%14s", cell.apply(r))).collect(Collectors.joining());
    }

    private static String row(String phase, OperationStats.Result r) {
        return String.format(Locale.ROOT, "%-26s %5s %,13d %,8d %,11.0f %10.1f %10.1f %10.1f %10.1f", r.kind(), phase, r.done(),
                r.errorCount(), r.perSecond(), r.micros(50), r.micros(99), r.micros(99.9), r.maxMicros());
    }

    /** Prints a line per kind with errors, and returns how many it printed. */
    private static int errors(PrintStream out, String phase, List<OperationStats.Result> results) {
        int lines = 0;
        for (OperationStats.Result r : results) {
            if (r.errorCount() > 0) {
                out.printf(Locale.ROOT, "  %-8s %-26s %s%n", phase, r.kind(), r.errors().entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%s %,d", e.getKey(), e.getValue())).collect(Collectors.joining(", ")));
                out.printf(Locale.ROOT, "  %-8s %-26s first: %s%n", "", "", r.firstError());
                lines++;
            }
        }
        return lines;
    }

    private List<SubscriberCheck.Summary> subscribers(OverflowPolicy policy) {
        return mix.subscribers().stream().filter(s -> s.policy() == policy).toList();
    }

    /** The first two subscriptions that are not complete, and how many more. */
    private static String incomplete(List<SubscriberCheck.Summary> summaries) {
        List<SubscriberCheck.Summary> missed = summaries.stream().filter(s -> !s.complete()).toList();
        return missed.stream().limit(2)
                .map(s -> String.format(Locale.ROOT, "%s: %,d received, %,d in gaps, of %,d%s", s.name(), s.received(), s.dropped(),
                        s.published(), s.drained() ? "" : ", not drained"))
                .collect(Collectors.joining("; ")) + (missed.size() > 2 ? "; " + (missed.size() - 2) + " more" : "");
    }
}
