package io.framewire.benchmarks;

import io.framewire.benchmarks.BenchOptions.Scenario;
import io.framewire.protocol.Setting;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The benchmark's one entry point, over TCP loopback with each server in a JVM of its own and this JVM
 * as the client. Two scenarios, each ending in a table: unary echo for Framewire, a raw-socket floor
 * and gRPC-Java; and server streaming for Framewire (pulled and pushed) and gRPC-Java.
 *
 * <pre>
 * ./mvnw -q -B -pl benchmarks -am -Pbench -DskipTests package -Dbench.args="--duration=10"
 * </pre>
 *
 * {@link BenchOptions#USAGE} lists the arguments. Exits 0 when every system ran, 1 when one failed, 2
 * on bad arguments.
 */
public final class Harness {
    private Harness() {}

    public static void main(String[] args) {
        if (List.of(args).contains("--help")) {
            System.out.println(BenchOptions.USAGE);
            return;
        }
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        List<EchoSystem> systems = options.systems().stream().map(name -> system(name, options)).toList();
        printHeader(options, systems);

        long start = System.nanoTime();
        List<SystemResults> unary = options.runs(Scenario.UNARY) ? runUnary(options, systems) : List.of();
        List<StreamingResults> streaming = options.runs(Scenario.STREAMING) ? runStreaming(options, systems) : List.of();
        if (options.runs(Scenario.UNARY)) {
            System.out.println();
            new ReportTable(options, unary).print(System.out);
        }
        if (options.runs(Scenario.STREAMING)) {
            System.out.println();
            new StreamingTable(options, streaming).print(System.out);
        }
        // A load average well above what the benchmark itself puts on the machine (about 2) hints that
        // something else ran alongside it, which matters most on a 2-core machine.
        System.out.printf(Locale.ROOT, "%ntotal time %.0f s, load average %.2f at the end%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis() / 1000.0, loadAverage());
        System.out.flush();

        // Exit explicitly: client libraries may leave non-daemon threads behind.
        boolean failed = unary.stream().anyMatch(r -> r.failure() != null)
                || streaming.stream().anyMatch(r -> r.failure() != null);
        System.exit(failed ? 1 : 0);
    }

    private static List<SystemResults> runUnary(BenchOptions options, List<EchoSystem> systems) {
        System.out.println("unary:");
        SystemRunner runner = new SystemRunner(options);
        List<SystemResults> results = new ArrayList<>();
        for (EchoSystem system : systems) {
            results.add(runner.run(system));
        }
        return results;
    }

    private static List<StreamingResults> runStreaming(BenchOptions options, List<EchoSystem> systems) {
        System.out.println("streaming:");
        StreamingRunner runner = new StreamingRunner(options);
        List<StreamingResults> results = new ArrayList<>();
        for (EchoSystem system : systems) {
            if (system.streamingVariants().isEmpty()) {
                System.out.printf(Locale.ROOT, "  %-17s skipped: no streams%n", system.name());
            } else {
                results.addAll(runner.run(system));
            }
        }
        return results;
    }

    /** The one-minute system load average, or -1 where the platform has none. */
    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static EchoSystem system(String name, BenchOptions options) {
        return switch (name) {
            case "framewire" -> new FramewireSystem(options.reader(), options.fwHandler());
            case "raw" -> new RawSocketSystem();
            case "grpc" -> new GrpcSystem(options.grpcAhead());
            default -> throw new IllegalArgumentException("unknown system " + name);
        };
    }

    private static void printHeader(BenchOptions o, List<EchoSystem> systems) {
        Runtime.Version v = Runtime.version();
        System.out.printf(Locale.ROOT, "Framewire benchmark over TCP loopback, each server in its own JVM; scenarios: %s%n",
                Arrays.stream(Scenario.values()).filter(o::runs).map(Scenario::argName).collect(Collectors.joining(", ")));
        System.out.printf(Locale.ROOT, "  JVM         %s (%s %s), %s%n", v, System.getProperty("java.vm.vendor"),
                System.getProperty("java.vm.name"), ServerProcess.javaBinary());
        System.out.printf(Locale.ROOT, "  machine     %d CPUs, %s %s %s, load average %.2f at start%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"), loadAverage());
        if (o.runs(Scenario.UNARY)) {
            printUnaryHeader(o);
        }
        if (o.runs(Scenario.STREAMING)) {
            printStreamingHeader(o);
        }
        System.out.printf(Locale.ROOT, "  server JVMs %s%n", String.join(" ", ServerProcess.JVM_FLAGS));
        List<String> clientFlags = ManagementFactory.getRuntimeMXBean().getInputArguments();
        System.out.printf(Locale.ROOT, "  client JVM  %s%n", clientFlags.isEmpty() ? "(no flags)" : String.join(" ", clientFlags));
        for (EchoSystem s : systems) {
            System.out.printf(Locale.ROOT, "  %-11s %s%n", s.name(), s.describe());
        }
        if (o.runs(Scenario.STREAMING)) {
            for (EchoSystem s : systems) {
                for (StreamingVariant variant : s.streamingVariants()) {
                    System.out.printf(Locale.ROOT, "  %-17s %s%n", variant.label(), variant.description());
                }
            }
        }
        System.out.println();
    }

    private static void printUnaryHeader(BenchOptions o) {
        System.out.printf(Locale.ROOT, "  unary       per system: %d s of load to warm both JVMs, then per payload latency and throughput,%n"
                + "              each %d s unmeasured warm-up + %d s measured%n",
                o.warmup().toSeconds(), o.warmup().toSeconds(), o.duration().toSeconds());
        System.out.printf(Locale.ROOT, "  payloads    %s%n",
                o.payloads().stream().map(ReportTable::size).collect(Collectors.joining(", ")));
        System.out.printf(Locale.ROOT, "  latency     1 call outstanding from one platform thread; HdrHistogram, 3 significant digits%n");
        System.out.printf(Locale.ROOT, "  throughput  %d calls in flight on one connection%n", o.outstanding());
    }

    private static void printStreamingHeader(BenchOptions o) {
        int mostStreams = o.streams().stream().max(Integer::compare).orElseThrow();
        System.out.printf(Locale.ROOT, "  streaming   server streaming of %s messages, server -> client. Per system a fresh server JVM; per variant%n"
                + "              one connection: first %d streams of %,d messages each must all end OK; then per stream count%n"
                + "              (%s) that many streams on the connection ask for endless messages, run %d s unmeasured,%n"
                + "              and the messages each stream's client receives in the next %d s are counted (counters read at%n"
                + "              the window's start and end); then the streams are cancelled and must end CANCELLED.%n"
                + "              Every message is checked: length, sequence number in its stream, closing byte%n",
                ReportTable.size(StreamingRunner.MESSAGE_SIZE), mostStreams, StreamingRunner.checkMessages(mostStreams),
                o.streams().stream().map(String::valueOf).collect(Collectors.joining(", ")),
                o.streamWarmup().toSeconds(), o.streamDuration().toSeconds());
        System.out.printf(Locale.ROOT, "  flow ctrl   framewire: the handler's call.send blocks while the client's window is full (default windows:%n"
                + "              %d KiB per stream, %d MiB per connection), and the client returns credit as it consumes messages;%n"
                + "              grpc: the server sends only while isReady() and resumes in its onReady handler; the client asks%n"
                + "              for messages one at a time (stub) or keeps %d requested (ahead), within HTTP/2's windows%n",
                Setting.INITIAL_STREAM_WINDOW.defaultValue() >> 10, Setting.CONNECTION_WINDOW.defaultValue() >> 20, o.grpcAhead());
    }
}
