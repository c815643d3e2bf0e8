package io.framewire.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Latency with one call outstanding: the calling thread makes one call after another, unmeasured for
 * the warm-up, then each call's round trip is recorded in an HdrHistogram.
 *
 * <p>This is a closed loop (the next call starts when the last one ends), so a stall delays the calls
 * that would have been made during it rather than appearing in them; with one caller that is the
 * quantity wanted: the round-trip time of a call on an otherwise idle connection.
 */
final class LatencyProbe {
    /** Round trips above this are recorded as this; far beyond anything a healthy system shows. */
    private static final long MAX_RECORDED_NANOS = TimeUnit.SECONDS.toNanos(10);

    private LatencyProbe() {}

    /** Latency figures in microseconds, and how the phase's warm-up went. */
    record Result(long calls, double p50, double p99, double p999, double max, JitWarmup.Outcome warmup) {
        static Result of(Histogram h, JitWarmup.Outcome warmup) {
            return new Result(h.getTotalCount(), micros(h.getValueAtPercentile(50)), micros(h.getValueAtPercentile(99)),
                    micros(h.getValueAtPercentile(99.9)), micros(h.getMaxValue()), warmup);
        }

        private static double micros(long nanos) {
            return nanos / 1_000.0;
        }
    }

    /**
     * Warms up with the same calls (until the JVMs' JIT compilers have settled on this single-caller
     * path, within the warm-up's bounds: a phase with one caller compiles paths a load of many did not),
     * then measures for {@code duration}.
     *
     * @param jits each JVM's compiler CPU time so far ({@link JitCpu}), for the warm-up
     */
    static Result measure(EchoClient client, byte[] payload, JitWarmup warmup, List<LongSupplier> jits, Duration duration)
            throws Exception {
        // Collect the previous phase's garbage now rather than during this one.
        System.gc();
        JitWarmup.Outcome warmed = warmup.run(length -> {
            long warmupEnd = System.nanoTime() + length.toNanos();
            while (System.nanoTime() - warmupEnd < 0) {
                Payload.check(payload, client.echo(payload));
            }
        }, jits);

        // Preallocated for the whole range, so recording never resizes (allocates) mid-run.
        Histogram histogram = new Histogram(1, MAX_RECORDED_NANOS, 3);
        long end = System.nanoTime() + duration.toNanos();
        long now;
        do {
            long start = System.nanoTime();
            byte[] echo = client.echo(payload);
            now = System.nanoTime();
            histogram.recordValue(Math.min(Math.max(now - start, 1), MAX_RECORDED_NANOS));
            Payload.check(payload, echo);
        } while (now - end < 0);
        return Result.of(histogram, warmed);
    }
}
