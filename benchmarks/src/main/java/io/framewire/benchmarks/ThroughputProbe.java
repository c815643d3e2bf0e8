package io.framewire.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Throughput with a fixed number of calls in flight on one connection, however the client keeps them
 * there ({@link EchoClient#sustain}): a warm-up run, then a measured run whose completed calls are
 * divided by its wall time (including the last calls' drain, which the count includes too).
 */
final class ThroughputProbe {
    private ThroughputProbe() {}

    record Result(long calls, long nanos, JitWarmup.Outcome warmup) {
        double perSecond() {
            return calls * 1e9 / nanos;
        }
    }

    /** @param jits each JVM's compiler CPU time so far ({@link JitCpu}), for the warm-up ({@link JitWarmup}) */
    static Result measure(EchoClient client, byte[] payload, int outstanding, JitWarmup warmup, List<LongSupplier> jits,
                          Duration duration) throws Exception {
        System.gc(); // the previous phase's garbage, collected now rather than during this one
        JitWarmup.Outcome warmed = warmup.run(length -> {
            if (!length.isZero()) {
                client.sustain(payload, outstanding, System.nanoTime() + length.toNanos());
            }
        }, jits);
        long start = System.nanoTime();
        long calls = client.sustain(payload, outstanding, start + duration.toNanos());
        return new Result(calls, System.nanoTime() - start, warmed);
    }
}
