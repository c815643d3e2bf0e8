package io.framewire.benchmarks;

import io.framewire.StatusException;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One kind of operation of the load test, counted from many threads at once: each success with its
 * latency (HdrHistogram), each error by its status code, or by a name the load test gives a wrong
 * answer ({@code WRONG_REPLY}, {@code LOST_UNDER_BLOCK}...). The first error's text is kept for the
 * report.
 */
final class OperationStats {
    /** Latencies above this are recorded as this: far beyond any deadline the load test sets. */
    private static final long MAX_RECORDED_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final String kind;
    private final Recorder latency = new Recorder(1, MAX_RECORDED_NANOS, 3);
    private final LongAdder done = new LongAdder();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final AtomicReference<String> firstError = new AtomicReference<>();

    OperationStats(String kind) {
        this.kind = kind;
    }

    String kind() {
        return kind;
    }

    /** One operation succeeded, taking {@code nanos}. */
    void ok(long nanos) {
        latency.recordValue(Math.min(Math.max(nanos, 1), MAX_RECORDED_NANOS));
        done.increment();
    }

    /** One operation failed: a {@link StatusException} counts under its code, anything else under its class. */
    void failed(Throwable e) {
        if (e instanceof StatusException se) {
            error(se.status().code().name(), se.getMessage());
        } else {
            error(e.getClass().getSimpleName(), String.valueOf(e));
        }
    }

    /** One error named {@code key} (a status code, or what was wrong), described by {@code what}. */
    void error(String key, String what) {
        errors.computeIfAbsent(key, k -> new LongAdder()).increment();
        firstError.compareAndSet(null, key + ": " + what);
    }

    /** Operations that succeeded so far. */
    long doneCount() {
        return done.sum();
    }

    /** Errors so far. */
    long errorCount() {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** The counts so far, for a progress line: "12,345 ok, 0 errors". */
    String progress() {
        long e = errorCount();
        return String.format(Locale.ROOT, "%,d ok, %,d error%s", doneCount(), e, e == 1 ? "" : "s");
    }

    /**
     * What was counted, from the start; call once, when the operations have stopped (the latencies
     * recorded so far are taken out of the recorder).
     */
    Result result(long nanos) {
        Map<String, Long> byKey = new TreeMap<>();
        errors.forEach((k, v) -> byKey.put(k, v.sum()));
        return new Result(kind, done.sum(), byKey, firstError.get(), latency.getIntervalHistogram(), nanos);
    }

    /**
     * @param kind the operation
     * @param done operations that succeeded
     * @param errors errors by status code or name
     * @param firstError the first error's description, or null
     * @param latency the successes' latencies in nanoseconds
     * @param nanos how long the operations ran
     */
    record Result(String kind, long done, Map<String, Long> errors, String firstError, Histogram latency, long nanos) {
        long errorCount() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }

        double perSecond() {
            return done * 1e9 / nanos;
        }

        /** A percentile of the latency in microseconds, or NaN if nothing succeeded. */
        double micros(double percentile) {
            return done == 0 ? Double.NaN : latency.getValueAtPercentile(percentile) / 1_000.0;
        }

        double maxMicros() {
            return done == 0 ? Double.NaN : latency.getMaxValue() / 1_000.0;
        }
    }
}
