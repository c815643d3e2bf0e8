package io.framewire.benchmarks;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The benchmark's one entry point: unary echo over TCP loopback for Framewire, a raw-socket floor and
 * gRPC-Java, each server in a JVM of its own and this JVM as the client, ending in one table.
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
        SystemRunner runner = new SystemRunner(options);
        List<SystemResults> results = new ArrayList<>();
        for (EchoSystem system : systems) {
            results.add(runner.run(system));
        }
        System.out.println();
        new ReportTable(options, results).print(System.out);
        // A load average well above what the benchmark itself puts on the machine (about 2) hints that
        // something else ran alongside it, which matters most on a 2-core machine.
        System.out.printf(Locale.ROOT, "%ntotal time %.0f s, load average %.2f at the end%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis() / 1000.0, loadAverage());
        System.out.flush();

        // Exit explicitly: client libraries may leave non-daemon threads behind.
        System.exit(results.stream().anyMatch(r -> r.failure() != null) ? 1 : 0);
    }

    /** The one-minute system load average, or -1 where the platform has none. */
    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static EchoSystem system(String name, BenchOptions options) {
        return switch (name) {
            case "framewire" -> new FramewireSystem(options.reader(), options.fwHandler());
            case "raw" -> new RawSocketSystem();
            case "grpc" -> new GrpcSystem();
            default -> throw new IllegalArgumentException("unknown system " + name);
        };
    }

    private static void printHeader(BenchOptions o, List<EchoSystem> systems) {
        Runtime.Version v = Runtime.version();
        System.out.println("Framewire benchmark: unary echo over TCP loopback, each server in its own JVM");
        System.out.printf(Locale.ROOT, "  JVM         %s (%s %s), %s%n", v, System.getProperty("java.vm.vendor"),
                System.getProperty("java.vm.name"), ServerProcess.javaBinary());
        System.out.printf(Locale.ROOT, "  machine     %d CPUs, %s %s %s, load average %.2f at start%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"), loadAverage());
        System.out.printf(Locale.ROOT, "  phases      per system: %d s of load to warm both JVMs, then per payload latency and throughput,%n"
                + "              each %d s unmeasured warm-up + %d s measured%n",
                o.warmup().toSeconds(), o.warmup().toSeconds(), o.duration().toSeconds());
        System.out.printf(Locale.ROOT, "  payloads    %s%n",
                o.payloads().stream().map(ReportTable::size).collect(Collectors.joining(", ")));
        System.out.printf(Locale.ROOT, "  latency     1 call outstanding from one platform thread; HdrHistogram, 3 significant digits%n");
        System.out.printf(Locale.ROOT, "  throughput  %d calls in flight on one connection%n", o.outstanding());
        System.out.printf(Locale.ROOT, "  server JVMs %s%n", String.join(" ", ServerProcess.JVM_FLAGS));
        List<String> clientFlags = ManagementFactory.getRuntimeMXBean().getInputArguments();
        System.out.printf(Locale.ROOT, "  client JVM  %s%n", clientFlags.isEmpty() ? "(no flags)" : String.join(" ", clientFlags));
        for (EchoSystem s : systems) {
            System.out.printf(Locale.ROOT, "  %-11s %s%n", s.name(), s.describe());
        }
        System.out.println();
    }
}
