package io.framewire.benchmarks;

import java.time.Duration;

/**
 * Throughput with a fixed number of calls in flight on one connection, however the client keeps them
 * there ({@link EchoClient#sustain}): a warm-up run, then a measured run whose completed calls are
 * divided by its wall time (including the last calls' drain, which the count includes too).
 */
final class ThroughputProbe {
    private ThroughputProbe() {}

    record Result(long calls, long nanos) {
        double perSecond() {
            return calls * 1e9 / nanos;
        }
    }

    static Result measure(EchoClient client, byte[] payload, int outstanding, Duration warmup, Duration duration)
            throws Exception {
        System.gc(); // the previous phase's garbage, collected now rather than during this one
        if (!warmup.isZero()) {
            client.sustain(payload, outstanding, System.nanoTime() + warmup.toNanos());
        }
        long start = System.nanoTime();
        long calls = client.sustain(payload, outstanding, start + duration.toNanos());
        return new Result(calls, System.nanoTime() - start);
    }
}
