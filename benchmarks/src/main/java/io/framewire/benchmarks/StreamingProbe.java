package io.framewire.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Server-streaming throughput: N streams on one connection, each asking the server for messages
 * without end. They run unmeasured for the warm-up; then every stream's count of messages consumed
 * (and checked) by the client is read at the start and at the end of a fixed window, and the
 * difference is the measurement. The streams are then cancelled, and each must end as cancelled.
 *
 * <p>Both systems apply flow control, so the server can only run as far ahead of the client as the
 * client's window allows: the count at the client is the rate the whole pipeline sustains, not the
 * rate at which a server fills its own memory.
 */
final class StreamingProbe {
    /** How long a stream may take to end once it has been cancelled. */
    private static final Duration END_TIMEOUT = Duration.ofSeconds(10);

    /** How long the streams of the completion check may take, all together, to deliver their messages and end. */
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(60);

    private StreamingProbe() {}

    /**
     * What one phase counted.
     *
     * @param perStream messages each stream received within the window
     * @param nanos the window's measured length
     * @param clientCpuNanos CPU time the client's JVM (the harness) used within the window, -1 if unknown
     * @param serverCpuNanos CPU time the server's JVM used within the window (the gateway's holds its
     *        backend too), -1 if unknown
     * @param warmup how the phase's warm-up went
     * @param clientJitNanos CPU time the client JVM's JIT compiler threads used within the window, -1 if unknown
     * @param serverJitNanos the same of the server's JVM
     */
    record Result(long[] perStream, long nanos, long clientCpuNanos, long serverCpuNanos, JitWarmup.Outcome warmup,
                  long clientJitNanos, long serverJitNanos) {
        int streams() {
            return perStream.length;
        }

        long messages() {
            long sum = 0;
            for (long n : perStream) {
                sum += n;
            }
            return sum;
        }

        /** Messages per second over all streams. */
        double perSecond() {
            return rate(messages());
        }

        double perStreamMean() {
            return perSecond() / perStream.length;
        }

        double perStreamMin() {
            long min = Long.MAX_VALUE;
            for (long n : perStream) {
                min = Math.min(min, n);
            }
            return rate(min);
        }

        double perStreamMax() {
            long max = 0;
            for (long n : perStream) {
                max = Math.max(max, n);
            }
            return rate(max);
        }

        private double rate(long messages) {
            return messages * 1e9 / nanos;
        }

        /** The client's CPU nanoseconds per message received, or -1 if unknown. */
        double clientCpuPerMessage() {
            return perMessage(clientCpuNanos);
        }

        /** The server's CPU nanoseconds per message received, or -1 if unknown. */
        double serverCpuPerMessage() {
            return perMessage(serverCpuNanos);
        }

        /** For a progress line: the warm-up, and the compilers' share of a CPU within the window. */
        String describeJit() {
            return warmup.describe() + "; JIT in the window: client " + share(clientJitNanos) + ", server "
                    + share(serverJitNanos) + " of a CPU";
        }

        private String share(long jitNanos) {
            return jitNanos < 0 ? "n/a" : String.format(java.util.Locale.ROOT, "%.0f%%", 100.0 * jitNanos / nanos);
        }

        private double perMessage(long cpuNanos) {
            long n = messages();
            return cpuNanos < 0 || n == 0 ? -1 : (double) cpuNanos / n;
        }
    }

    /** A stream the probe opened, with what its client has seen of it. */
    private record Open(StreamTally tally, StreamClient.Stream stream) {
        static Open start(StreamClient client, FloodRequest request) throws Exception {
            StreamTally tally = new StreamTally(request);
            return new Open(tally, client.open(tally));
        }

        void stop() {
            tally.stopping();
            stream.cancel();
        }
    }

    /**
     * Runs {@code streams} endless streams of {@code size}-byte messages: warm-up (until both JVMs' JIT
     * compilers have settled, within its bounds), then a counted window, at whose start and end the
     * client's and the server's CPU time, and their compilers', are read too.
     *
     * @param serverCpu the server JVM's CPU time so far in nanoseconds (-1 if unknown)
     * @param serverJit the server JVM's compiler threads' CPU time so far in nanoseconds (-1 if unknown)
     */
    static Result measure(StreamClient client, int streams, int size, JitWarmup warmup, Duration window,
                          LongSupplier serverCpu, LongSupplier serverJit) throws Exception {
        System.gc(); // the previous phase's garbage, collected now rather than during this one
        List<Open> open = new ArrayList<>(streams);
        Result result;
        try {
            for (int i = 0; i < streams; i++) {
                open.add(Open.start(client, FloodRequest.unbounded(size)));
            }
            CompletableFuture<Object> anyEnd = CompletableFuture.anyOf(open.stream().map(o -> o.tally().end())
                    .toArray(CompletableFuture[]::new));
            ProcessHandle self = ProcessHandle.current();
            LongSupplier clientJit = () -> JitCpu.nanos(self.pid());
            JitWarmup.Outcome warmed = warmup.run(length -> runFor(length, anyEnd), List.of(clientJit, serverJit));
            long clientJitBefore = clientJit.getAsLong();
            long serverJitBefore = serverJit.getAsLong();
            long clientCpu = ProcessCpu.nanos(self);
            long serverCpuBefore = serverCpu.getAsLong();
            long[] before = counts(open);
            long start = System.nanoTime();
            runFor(window, anyEnd);
            long[] after = counts(open);
            long nanos = System.nanoTime() - start;
            clientCpu = difference(clientCpu, ProcessCpu.nanos(self));
            long serverCpuUsed = difference(serverCpuBefore, serverCpu.getAsLong());
            long clientJitUsed = difference(clientJitBefore, clientJit.getAsLong());
            long serverJitUsed = difference(serverJitBefore, serverJit.getAsLong());
            for (int i = 0; i < streams; i++) {
                after[i] -= before[i];
            }
            result = new Result(after, nanos, clientCpu, serverCpuUsed, warmed, clientJitUsed, serverJitUsed);
        } catch (Exception | Error e) {
            stopAfterFailure(open, e);
            throw e;
        }
        stopAll(open);
        return result;
    }

    /** {@code after - before} of two CPU readings, or -1 if either could not be read. */
    private static long difference(long before, long after) {
        return before < 0 || after < 0 ? -1 : after - before;
    }

    /**
     * Checks that streams also end well on their own: {@code streams} streams at once, each asking for
     * {@code count} messages, must each deliver exactly that many (in order) and end with OK.
     */
    static void checkCompletion(StreamClient client, int streams, int size, long count) throws Exception {
        List<Open> open = new ArrayList<>(streams);
        try {
            for (int i = 0; i < streams; i++) {
                open.add(Open.start(client, new FloodRequest(size, count)));
            }
            long deadline = System.nanoTime() + CHECK_TIMEOUT.toNanos();
            for (Open o : open) {
                awaitEnd(o, deadline, CHECK_TIMEOUT, "asked for " + count + " messages");
            }
        } catch (Exception | Error e) {
            stopAfterFailure(open, e);
            throw e;
        }
    }

    /** Waits {@code length}; throws at once if a stream ends meanwhile, which an endless stream must not do. */
    private static void runFor(Duration length, CompletableFuture<Object> anyEnd) throws Exception {
        try {
            anyEnd.get(length.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return; // every stream ran for the whole time
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        throw new IllegalStateException("a stream asked for endless messages ended on its own");
    }

    private static long[] counts(List<Open> open) {
        long[] counts = new long[open.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = open.get(i).tally().received();
        }
        return counts;
    }

    /** Cancels every stream and waits for each to end; throws the first failure, with the others suppressed. */
    private static void stopAll(List<Open> open) throws Exception {
        List<Exception> failures = stopEach(open);
        if (!failures.isEmpty()) {
            Exception first = failures.getFirst();
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    /** Cancels every stream after {@code failure}, adding to it whatever else went wrong. */
    private static void stopAfterFailure(List<Open> open, Throwable failure) {
        for (Exception e : stopEach(open)) {
            if (e != failure) {
                failure.addSuppressed(e);
            }
        }
    }

    /** Cancels every stream and waits for each to end, returning how those that ended badly failed. */
    private static List<Exception> stopEach(List<Open> open) {
        open.forEach(Open::stop);
        long deadline = System.nanoTime() + END_TIMEOUT.toNanos();
        List<Exception> failures = new ArrayList<>();
        for (Open o : open) {
            try {
                awaitEnd(o, deadline, END_TIMEOUT, "cancelled");
            } catch (Exception e) {
                failures.add(e);
            }
        }
        return failures;
    }

    /** Waits until {@code o} has ended, at the latest until {@code deadlineNanos}, {@code timeout} after the wait began. */
    private static void awaitEnd(Open o, long deadlineNanos, Duration timeout, String state) throws Exception {
        try {
            o.tally().end().get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            throw new IllegalStateException("a stream " + state + " did not end within " + timeout.toSeconds()
                    + " s (" + o.tally().received() + " messages received)");
        }
    }
}
