package io.framewire.benchmarks;

import static io.framewire.benchmarks.Arguments.duration;
import static io.framewire.benchmarks.Arguments.integer;

import java.time.Duration;
import java.util.List;

/**
 * The load test's parameters ({@link LoadTest}), parsed from {@code --name=value} arguments.
 *
 * @param calls phase 1: unary calls to make
 * @param callers phase 1: virtual threads making them, spread over the connections
 * @param callsLimit phase 1: the longest it may take; calls not made by then are missing, which fails its target
 * @param mix phase 2: how long the mix runs
 * @param warmup how long the mix runs before the first heap reading, unmeasured
 * @param connections {@link io.framewire.Client}s, one connection each, shared by both phases
 * @param payload bytes of every unary request, streamed message, bidi message and published message
 * @param serverHeap the server JVM's heap, as {@code -Xms} and {@code -Xmx} take it ({@code 256m})
 * @param mixCallers phase 2: virtual threads making unary calls
 * @param mixStreams phase 2: virtual threads each opening one server stream after another
 * @param streamMessages messages per server stream
 * @param mixBidi phase 2: virtual threads each running one bidi echo call after another
 * @param bidiMessages round trips per bidi call
 * @param requesters phase 2: virtual threads each making one request-reply after another
 * @param topics phase 2: topics, one publisher and four subscribers each
 * @param publishRate phase 2: messages per second each publisher publishes
 */
record LoadOptions(int calls, int callers, Duration callsLimit, Duration mix, Duration warmup, int connections,
                   int payload, String serverHeap, int mixCallers, int mixStreams, int streamMessages, int mixBidi,
                   int bidiMessages, int requesters, int topics, int publishRate) {

    /** A published message carries its sequence number (8 bytes), its send time (8 bytes) and a closing mark. */
    static final int MIN_PAYLOAD = SequencedMessage.MIN_SIZE + Long.BYTES;

    /** Beyond the planned phases: startup, readings, draining and closing, before the watchdog fires. */
    static final Duration SLACK = Duration.ofMinutes(5);

    static final String USAGE = """
            usage: LoadTest [--load-calls=1000000] [--load-callers=256] [--load-limit=15m] [--load-mix=10m]
                            [--warmup=10s] [--connections=64] [--payload=64] [--server-heap=256m]
                            [--mix-callers=32] [--mix-streams=4] [--stream-messages=1000] [--mix-bidi=4]
                            [--bidi-messages=100] [--mix-requesters=4] [--topics=3] [--publish-rate=5000]
              --load-calls       phase 1: unary calls to make (default 1000000)
              --load-callers     phase 1: virtual threads making them (default 256)
              --load-limit       phase 1: the longest it may take, calls not made by then fail it (default 15m)
              --load-mix         phase 2: how long the mix runs (default 10m; 15s, 10m, 1h or plain seconds)
              --warmup           the mix, unmeasured, before the first heap reading (default 10s)
              --connections      Clients (one connection each) shared by both phases (default 64)
              --payload          bytes per request and message (default 64, at least 17)
              --server-heap      the server JVM's -Xms and -Xmx (default 256m)
              --mix-callers      phase 2: unary callers (default 32)
              --mix-streams      phase 2: threads opening server streams, one after another (default 4)
              --stream-messages  messages per server stream (default 1000)
              --mix-bidi         phase 2: threads running bidi echo calls, one after another (default 4)
              --bidi-messages    round trips per bidi echo call (default 100)
              --mix-requesters   phase 2: threads making request-reply calls (default 4)
              --topics           phase 2: topics, each with one publisher and four subscribers (default 3)
              --publish-rate     phase 2: messages per second per publisher (default 5000)
            Smoke run, under a minute: --load-calls=20000 --load-mix=15s --warmup=3s""";

    /**
     * Parses the arguments over the defaults.
     *
     * @throws IllegalArgumentException naming the bad argument
     */
    static LoadOptions parse(String[] args) {
        Builder b = new Builder();
        Arguments.forEach(args, b::set);
        return b.build();
    }

    /**
     * The JVM flags of the server: this heap, fixed; the flag every child gets; and an exit on running
     * out of memory, so that a server that does fails the test loudly instead of limping on.
     */
    List<String> serverJvmFlags() {
        return List.of("-Xms" + serverHeap, "-Xmx" + serverHeap, "-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED");
    }

    /** How long the whole test may take before the watchdog ends it. */
    Duration limit() {
        return warmup.plus(callsLimit).plus(mix).plus(SLACK);
    }

    private static final class Builder {
        private int calls = 1_000_000;
        private int callers = 256;
        private Duration callsLimit = Duration.ofMinutes(15);
        private Duration mix = Duration.ofMinutes(10);
        private Duration warmup = Duration.ofSeconds(10);
        private int connections = 64;
        private int payload = 64;
        private String serverHeap = "256m";
        private int mixCallers = 32;
        private int mixStreams = 4;
        private int streamMessages = 1_000;
        private int mixBidi = 4;
        private int bidiMessages = 100;
        private int requesters = 4;
        private int topics = 3;
        private int publishRate = 5_000;

        void set(String name, String value) {
            switch (name) {
                case "load-calls" -> calls = integer(name, value, 1, 1_000_000_000);
                case "load-callers" -> callers = integer(name, value, 1, 100_000);
                case "load-limit" -> callsLimit = duration(name, value, Duration.ofSeconds(1));
                case "load-mix" -> mix = duration(name, value, Duration.ofSeconds(1));
                case "warmup" -> warmup = duration(name, value, Duration.ZERO);
                case "connections" -> connections = integer(name, value, 1, 1_000);
                case "payload" -> payload = integer(name, value, MIN_PAYLOAD, BenchOptions.MAX_PAYLOAD);
                case "server-heap" -> serverHeap = heap(name, value);
                case "mix-callers" -> mixCallers = integer(name, value, 0, 100_000);
                case "mix-streams" -> mixStreams = integer(name, value, 0, 1_000);
                case "stream-messages" -> streamMessages = integer(name, value, 1, 10_000_000);
                case "mix-bidi" -> mixBidi = integer(name, value, 0, 1_000);
                case "bidi-messages" -> bidiMessages = integer(name, value, 1, 10_000_000);
                case "mix-requesters" -> requesters = integer(name, value, 0, 1_000);
                case "topics" -> topics = integer(name, value, 0, 100);
                case "publish-rate" -> publishRate = integer(name, value, 1, 10_000_000);
                default -> throw new IllegalArgumentException("unknown option --" + name);
            }
        }

        LoadOptions build() {
            return new LoadOptions(calls, callers, callsLimit, mix, warmup, connections, payload, serverHeap, mixCallers,
                    mixStreams, streamMessages, mixBidi, bidiMessages, requesters, topics, publishRate);
        }
    }

    /** A heap size as -Xmx takes it: a whole number and k, m or g. */
    private static String heap(String name, String value) {
        String v = value.trim().toLowerCase(java.util.Locale.ROOT);
        if (!v.matches("[1-9][0-9]*[kmg]")) {
            throw new IllegalArgumentException("--" + name + " must be a size such as 256m or 1g, got '" + value + "'");
        }
        return v;
    }
}
