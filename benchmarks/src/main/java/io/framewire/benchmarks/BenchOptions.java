package io.framewire.benchmarks;

import io.framewire.ExecutionMode;
import io.framewire.transport.tcp.TcpOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The harness's run parameters, parsed from {@code --name=value} arguments.
 *
 * @param warmup how long each phase runs before it is measured, and how long each system is loaded first
 * @param duration how long each phase is measured
 * @param systems the systems to run, in order
 * @param payloads the payload sizes in bytes, in order
 * @param outstanding calls in flight in the throughput phases
 * @param reader Framewire's TCP reader threads (client and server), or null for the transport's default
 * @param fwHandler where the Framewire server runs the echo handler
 */
record BenchOptions(Duration warmup, Duration duration, List<String> systems, List<Integer> payloads,
                    int outstanding, TcpOptions.ReaderThreads reader, ExecutionMode fwHandler) {

    static final List<String> KNOWN_SYSTEMS = List.of("framewire", "raw", "grpc");

    /** The largest payload accepted: well under the 4 MiB message limit of both Framewire and gRPC. */
    static final int MAX_PAYLOAD = 1 << 20;

    static final String USAGE = """
            usage: Harness [--duration=SECONDS] [--warmup=SECONDS] [--systems=framewire,raw,grpc]
                           [--payloads=64,4096] [--outstanding=32] [--reader=auto|virtual|platform]
                           [--fw-handler=virtual|inline]
              --duration     seconds each phase is measured (default 8)
              --warmup       seconds each phase runs unmeasured first, and of load per system before them (default 3)
              --systems      which systems to run, in this order (default framewire,raw,grpc)
              --payloads     payload sizes in bytes (default 64,4096)
              --outstanding  calls in flight in the throughput phases (default 32)
              --reader       Framewire TCP reader threads on client and server (default: TcpOptions default)
              --fw-handler   Framewire server handler execution mode (default virtual)
            With the defaults each system takes 3 s of warm-up then 4 phases of 11 s: about 2.5 minutes in all.""";

    static BenchOptions defaults() {
        return new BenchOptions(Duration.ofSeconds(3), Duration.ofSeconds(8), KNOWN_SYSTEMS, List.of(64, 4096),
                32, null, ExecutionMode.VIRTUAL_THREAD);
    }

    /**
     * Parses the arguments over the defaults.
     *
     * @throws IllegalArgumentException naming the bad argument
     */
    static BenchOptions parse(String[] args) {
        BenchOptions o = defaults();
        for (String arg : args) {
            if (arg.isBlank()) {
                continue; // an empty -Dbench.args leaves one behind
            }
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new IllegalArgumentException("expected --name=value, got '" + arg + "'");
            }
            o = o.with(arg.substring(2, eq), arg.substring(eq + 1));
        }
        return o;
    }

    private BenchOptions with(String name, String value) {
        return switch (name) {
            case "duration" -> new BenchOptions(warmup, seconds(name, value, 1), systems, payloads, outstanding, reader, fwHandler);
            case "warmup" -> new BenchOptions(seconds(name, value, 0), duration, systems, payloads, outstanding, reader, fwHandler);
            case "systems" -> new BenchOptions(warmup, duration, systemList(value), payloads, outstanding, reader, fwHandler);
            case "payloads" -> new BenchOptions(warmup, duration, systems, payloadList(value), outstanding, reader, fwHandler);
            case "outstanding" -> new BenchOptions(warmup, duration, systems, payloads, integer(name, value, 1, 10_000), reader, fwHandler);
            case "reader" -> new BenchOptions(warmup, duration, systems, payloads, outstanding, readerThreads(value), fwHandler);
            case "fw-handler" -> new BenchOptions(warmup, duration, systems, payloads, outstanding, reader, executionMode(value));
            default -> throw new IllegalArgumentException("unknown option --" + name);
        };
    }

    private static Duration seconds(String name, String value, int min) {
        return Duration.ofSeconds(integer(name, value, min, 3600));
    }

    private static int integer(String name, String value, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " must be a whole number, got '" + value + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("--" + name + " must be in " + min + ".." + max + ", got " + n);
        }
        return n;
    }

    private static List<String> systemList(String value) {
        List<String> out = new ArrayList<>();
        for (String s : value.split(",")) {
            String name = s.trim().toLowerCase(Locale.ROOT);
            if (!KNOWN_SYSTEMS.contains(name)) {
                throw new IllegalArgumentException("unknown system '" + s + "'; known: " + String.join(",", KNOWN_SYSTEMS));
            }
            if (!out.contains(name)) {
                out.add(name);
            }
        }
        return List.copyOf(out);
    }

    private static List<Integer> payloadList(String value) {
        List<Integer> out = new ArrayList<>();
        for (String s : value.split(",")) {
            int size = integer("payloads", s, 1, MAX_PAYLOAD);
            if (!out.contains(size)) {
                out.add(size);
            }
        }
        return List.copyOf(out);
    }

    private static TcpOptions.ReaderThreads readerThreads(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> TcpOptions.ReaderThreads.AUTO;
            case "virtual" -> TcpOptions.ReaderThreads.VIRTUAL;
            case "platform" -> TcpOptions.ReaderThreads.PLATFORM;
            default -> throw new IllegalArgumentException("--reader must be auto, virtual or platform, got '" + value + "'");
        };
    }

    private static ExecutionMode executionMode(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "virtual" -> ExecutionMode.VIRTUAL_THREAD;
            case "inline" -> ExecutionMode.INLINE;
            default -> throw new IllegalArgumentException("--fw-handler must be virtual or inline, got '" + value + "'");
        };
    }
}
