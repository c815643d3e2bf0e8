package io.framewire.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A phase's warm-up that lasts until the JIT compilers of the JVMs taking part have settled: at least
 * {@code least}, then on in one-second slices until a slice in which every JVM's compiler threads used at
 * most {@link #QUIET} of a CPU ({@link JitCpu}), but never beyond {@code most}. Where a JVM's compiler
 * time cannot be read, the warm-up is {@code least} alone. Every system of a run gets the same rule, so
 * none is measured while its compiler still competes with it for the machine's CPUs.
 *
 * @param least the shortest warm-up
 * @param most the longest; at or below {@code least}, the warm-up is {@code least} whatever the compilers do
 */
record JitWarmup(Duration least, Duration most) {
    /** The slices in which the compilers are watched. */
    static final Duration SLICE = Duration.ofSeconds(1);

    /**
     * The share of one CPU a JVM's compiler threads may use in a slice that counts as quiet: 5%, above
     * the occasional late compilation of a warm JVM (seen: up to 3% in most seconds of a settled
     * phase, with single seconds of 12%), far below a JVM still compiling its hot paths (60 to 80%).
     */
    static final double QUIET = 0.05;

    /** Whether it may go on past {@code least} while a compiler is busy (else it lasts {@code least}). */
    boolean goesOn() {
        return most.compareTo(least) > 0;
    }

    /** The longest a warm-up can last: its longest, and the slice it may have begun just before. */
    Duration bound() {
        return (goesOn() ? most : least).plus(SLICE);
    }

    /** Waits for a while, or fails if the phase can no longer be measured. */
    interface Runner {
        void runFor(Duration length) throws Exception;
    }

    /**
     * How a warm-up went.
     *
     * @param nanos how long it lasted
     * @param settled whether it ended on a quiet slice (false: it reached {@code most}, or nothing could be read)
     * @param watched whether the compilers could be read at all
     */
    record Outcome(long nanos, boolean settled, boolean watched) {
        /** For a progress line: "warm-up 11 s, JIT settled". */
        String describe() {
            String length = String.format(Locale.ROOT, "warm-up %.0f s", nanos / 1e9);
            if (!watched) {
                return length + " (JIT not watched)";
            }
            return length + (settled ? ", JIT settled" : ", JIT still busy");
        }
    }

    /**
     * Runs the warm-up.
     *
     * @param runner keeps the phase running for the time it is given
     * @param jits each taking JVM's compiler CPU time so far in nanoseconds ({@link JitCpu#nanos}), -1 if unknown
     */
    Outcome run(Runner runner, List<LongSupplier> jits) throws Exception {
        return run(runner, jits, System::nanoTime);
    }

    /** {@link #run(Runner, List)} on the clock {@code nanoTime} (a test's, which its runner advances). */
    Outcome run(Runner runner, List<LongSupplier> jits, LongSupplier nanoTime) throws Exception {
        long start = nanoTime.getAsLong();
        runner.runFor(least);
        long[] before = read(jits);
        boolean watched = known(before);
        if (!watched || !goesOn()) {
            return new Outcome(nanoTime.getAsLong() - start, false, watched);
        }
        long quietNanos = (long) (SLICE.toNanos() * QUIET);
        while (nanoTime.getAsLong() - start < most.toNanos()) {
            runner.runFor(SLICE);
            long[] after = read(jits);
            if (!known(after)) {
                return new Outcome(nanoTime.getAsLong() - start, false, false);
            }
            boolean quiet = true;
            for (int i = 0; i < after.length; i++) {
                quiet &= after[i] - before[i] <= quietNanos;
            }
            if (quiet) {
                return new Outcome(nanoTime.getAsLong() - start, true, true);
            }
            before = after;
        }
        return new Outcome(nanoTime.getAsLong() - start, false, true);
    }

    private static long[] read(List<LongSupplier> jits) {
        long[] out = new long[jits.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = jits.get(i).getAsLong();
        }
        return out;
    }

    private static boolean known(long[] readings) {
        for (long r : readings) {
            if (r < 0) {
                return false;
            }
        }
        return readings.length > 0;
    }
}
