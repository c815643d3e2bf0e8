package io.framewire.benchmarks;

import io.framewire.benchmarks.BenchOptions.Scenario;
import io.framewire.protocol.Setting;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The benchmark's one entry point, each server in a JVM of its own. Three scenarios, each ending in a
 * table: unary echo for Framewire, a raw-socket floor and gRPC-Java (and on request gRPC-Java with
 * directExecutor and a gRPC client through the gRPC bridge's gateway to Framewire), over TCP loopback
 * and AF_UNIX with this JVM as the client; server streaming over TCP for Framewire (pulled and pushed) and
 * gRPC-Java, this JVM the client; and pub/sub fan-out over TCP for Framewire and JeroMQ, with the
 * publisher and every subscriber in a JVM of its own, the variants interleaved in rounds.
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
        BenchOptions options = Arguments.parseOrExit(args, BenchOptions.USAGE, BenchOptions::parse);

        long start = System.nanoTime();
        List<SystemResults> unary = List.of();
        List<StreamingResults> streaming = List.of();
        List<FanoutResults> fanout = List.of();
        Path socketDirectory;
        try (SocketDirectory sockets = SocketDirectory.create()) {
            socketDirectory = sockets.directory();
            List<EchoSystem> unarySystems = new ArrayList<>();
            for (Transport transport : options.transports()) {
                for (String name : options.systems()) {
                    if (transport == Transport.UDP && !name.equals("framewire") && !name.equals("raw")) {
                        continue; // only Framewire and the raw floor speak udp
                    }
                    unarySystems.add(system(name, transport, options, sockets.socket(GATEWAY + "-backend-" + transport.argName())));
                }
            }
            List<EchoSystem> streamingSystems = options.systems().stream()
                    .map(name -> system(name, Transport.TCP, options, sockets.socket(GATEWAY + "-backend-streaming")))
                    .toList();
            printHeader(options, unarySystems, streamingSystems, sockets);
            if (options.runs(Scenario.UNARY)) {
                unary = runUnary(options, unarySystems, sockets);
            }
            if (options.runs(Scenario.STREAMING)) {
                streaming = runStreaming(options, streamingSystems);
            }
            if (options.runs(Scenario.FANOUT)) {
                fanout = runFanout(options);
            }
        } catch (IOException e) {
            System.out.println("cannot make or remove the directory for AF_UNIX socket files: " + e);
            System.exit(1);
            return;
        }
        if (options.runs(Scenario.UNARY)) {
            System.out.println();
            new ReportTable(options, unary).print(System.out);
        }
        if (options.runs(Scenario.STREAMING)) {
            System.out.println();
            new StreamingTable(options, streaming).print(System.out);
        }
        if (options.runs(Scenario.FANOUT)) {
            System.out.println();
            new FanoutTable(options, fanout).print(System.out);
        }
        // A load average well above what the benchmark itself puts on the machine hints that something
        // else ran alongside it, which matters most on a 2-core machine. The unary and streaming phases
        // keep about 2 threads busy; a fan-out phase keeps every subscriber JVM and the publisher busy.
        System.out.printf(Locale.ROOT, "%ntotal time %.0f s, load average %.2f at the end; socket directory %s %s%n",
                Duration.ofNanos(System.nanoTime() - start).toMillis() / 1000.0, loadAverage(), socketDirectory,
                Files.exists(socketDirectory) ? "STILL THERE" : "removed");
        System.out.flush();

        // Exit explicitly: client libraries may leave non-daemon threads behind.
        boolean failed = unary.stream().anyMatch(r -> r.failure() != null)
                || streaming.stream().anyMatch(r -> r.failure() != null)
                || fanout.stream().anyMatch(r -> !r.failures().isEmpty());
        System.exit(failed ? 1 : 0);
    }

    private static List<SystemResults> runUnary(BenchOptions options, List<EchoSystem> systems, SocketDirectory sockets) {
        System.out.println("unary:");
        SystemRunner runner = new SystemRunner(options, sockets);
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
                System.out.printf(Locale.ROOT, "  %-22s skipped: no streams%n", system.name());
            } else {
                results.addAll(runner.run(system));
            }
        }
        return results;
    }

    private static List<FanoutResults> runFanout(BenchOptions options) {
        System.out.println("fanout:");
        return new FanoutRunner(options).run();
    }

    /** The one-minute system load average, or -1 where the platform has none. */
    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** The system that reaches Framewire through the gRPC bridge's gateway. */
    static final String GATEWAY = "gateway";

    /** @param gatewayBackend where the {@code gateway} system's Framewire server puts its socket file */
    private static EchoSystem system(String name, Transport transport, BenchOptions options, Endpoint.Unix gatewayBackend) {
        return switch (name) {
            case "framewire" -> new FramewireSystem(transport, options.reader(), options.fwHandler());
            case "raw" -> new RawSocketSystem(transport);
            case "grpc" -> new GrpcSystem(transport, options.grpcAhead(), false);
            case "grpc-direct" -> new GrpcSystem(transport, options.grpcAhead(), true);
            case GATEWAY -> new GatewaySystem(transport, gatewayBackend, options.grpcAhead(), options.gwHandler());
            default -> throw new IllegalArgumentException("unknown system " + name);
        };
    }

    private static void printHeader(BenchOptions o, List<EchoSystem> unarySystems, List<EchoSystem> streamingSystems,
                                    SocketDirectory sockets) {
        Runtime.Version v = Runtime.version();
        System.out.printf(Locale.ROOT, "Framewire benchmark, each server, publisher and subscriber in its own JVM; scenarios: %s%n",
                Arrays.stream(Scenario.values()).filter(o::runs).map(Scenario::argName).collect(Collectors.joining(", ")));
        System.out.printf(Locale.ROOT, "  JVM         %s (%s %s), %s%n", v, System.getProperty("java.vm.vendor"),
                System.getProperty("java.vm.name"), ChildJvm.javaBinary());
        System.out.printf(Locale.ROOT, "  machine     %d CPUs, %s %s %s, load average %.2f at start%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"), loadAverage());
        if (o.runs(Scenario.UNARY)) {
            printUnaryHeader(o, sockets);
        }
        if (o.runs(Scenario.STREAMING)) {
            printStreamingHeader(o);
        }
        if (o.runs(Scenario.FANOUT)) {
            printFanoutHeader(o);
        }
        System.out.printf(Locale.ROOT, "  child JVMs  %s%n", String.join(" ", ChildJvm.JVM_FLAGS));
        List<String> clientFlags = ManagementFactory.getRuntimeMXBean().getInputArguments();
        System.out.printf(Locale.ROOT, "  harness JVM %s (the unary and streaming client)%n",
                clientFlags.isEmpty() ? "(no flags)" : String.join(" ", clientFlags));
        if (o.runs(Scenario.UNARY)) {
            for (EchoSystem s : unarySystems) {
                System.out.printf(Locale.ROOT, "  %-16s %s%n", s.label(), s.describe());
            }
        }
        if (o.runs(Scenario.STREAMING)) {
            for (EchoSystem s : streamingSystems) {
                for (StreamingVariant variant : s.streamingVariants()) {
                    System.out.printf(Locale.ROOT, "  %-22s %s%n", variant.label(), variant.description());
                }
            }
        }
        if (o.runs(Scenario.FANOUT)) {
            for (FanoutVariant variant : o.fanoutSystems()) {
                System.out.printf(Locale.ROOT, "  %-17s subscribers: %s%n", variant.label(), variant.receiving());
            }
        }
        System.out.println();
    }

    private static void printUnaryHeader(BenchOptions o, SocketDirectory sockets) {
        System.out.printf(Locale.ROOT, "  unary       per system and transport: %s of load to warm both JVMs, then per payload latency and%n"
                + "              throughput, each %s + %d s measured%n",
                warmupRule(o.unaryWarmup()), o.unaryWarmup().goesOn()
                        ? "warmed up unmeasured by the same rule" : o.warmup().toSeconds() + " s unmeasured warm-up",
                o.duration().toSeconds());
        System.out.printf(Locale.ROOT, "  transports  %s%s%n",
                o.transports().stream().map(Transport::description).collect(Collectors.joining(", ")),
                o.transports().contains(Transport.UNIX) ? "; socket files in " + sockets.directory() + ", removed at the end" : "");
        System.out.printf(Locale.ROOT, "  payloads    %s%n",
                o.payloads().stream().map(ReportTable::size).collect(Collectors.joining(", ")));
        System.out.printf(Locale.ROOT, "  latency     1 call outstanding from one platform thread; HdrHistogram, 3 significant digits%n");
        System.out.printf(Locale.ROOT, "  throughput  %d calls in flight on one connection%n", o.outstanding());
    }

    private static void printStreamingHeader(BenchOptions o) {
        int mostStreams = o.streams().stream().max(Integer::compare).orElseThrow();
        System.out.printf(Locale.ROOT, "  streaming   over TCP loopback, server streaming of %s messages, server -> client. Per system a fresh server JVM; per variant%n"
                + "              one connection: first %d streams of %,d messages each must all end OK; then per stream count%n"
                + "              (%s) that many streams on the connection ask for endless messages, run %s unmeasured,%n"
                + "              and the messages each stream's client receives in the next %d s are counted (counters read at%n"
                + "              the window's start and end); then the streams are cancelled and must end CANCELLED.%n"
                + "              Every message is checked: length, sequence number in its stream, closing byte%n",
                ReportTable.size(StreamingRunner.MESSAGE_SIZE), mostStreams, StreamingRunner.checkMessages(mostStreams),
                o.streams().stream().map(String::valueOf).collect(Collectors.joining(", ")),
                warmupRule(o.streamingWarmup()), o.streamDuration().toSeconds());
        System.out.printf(Locale.ROOT, "  flow ctrl   framewire: the handler's call.send blocks while the client's window is full (default windows:%n"
                + "              %d KiB per stream, %d MiB per connection), and the client returns credit as it consumes messages;%n"
                + "              grpc: the server sends only while isReady() and resumes in its onReady handler; the client asks%n"
                + "              for messages one at a time (stub) or keeps %d requested (ahead), within HTTP/2's windows%n",
                Setting.INITIAL_STREAM_WINDOW.defaultValue() >> 10, Setting.CONNECTION_WINDOW.defaultValue() >> 20, o.grpcAhead());
    }

    private static void printFanoutHeader(BenchOptions o) {
        System.out.printf(Locale.ROOT, "  fanout      pub/sub over TCP loopback, %s messages (+ the topic '%s'), one publisher JVM and %s subscriber JVMs,%n"
                + "              all fresh per phase. The publisher publishes as fast as its system takes messages (one thread);%n"
                + "              once every subscriber has received a first message (JeroMQ's slow joiner), %d s of warm-up, then%n"
                + "              each process's counters are read at the start and end of a %d s window. Every payload carries its%n"
                + "              sequence number: a subscriber's loss is the holes in it. Framewire: finally the publisher's last%n"
                + "              message is acknowledged by the broker and every subscriber must have received every message, in order%n",
                ReportTable.size(o.fanoutSize()), FramewireFanout.TOPIC,
                o.subscribers().stream().map(String::valueOf).collect(Collectors.joining(" or ")),
                o.fanoutWarmup().toSeconds(), o.fanoutDuration().toSeconds());
        System.out.printf(Locale.ROOT, "  rounds      per subscriber count, %d round%s, each a phase per variant, back to back, in an order that%n"
                + "              rotates by one each round (round 1: %s; round 2 starts with the second).%n"
                + "              The machine's speed drifts over minutes: the table shows medians over the rounds, and each ratio%n"
                + "              also per round, of two phases run close together%n",
                o.fanoutRounds(), o.fanoutRounds() == 1 ? "" : "s",
                o.fanoutSystems().stream().map(FanoutVariant::label).collect(Collectors.joining(", ")));
        System.out.printf(Locale.ROOT, "  cpu time    of each process of a phase, read by the harness right after the window's counters, from%n"
                + "              %s%n", ProcessCpu.source());
        if (o.fanoutSystems().stream().anyMatch(FanoutVariant::framewire)) {
            System.out.printf(Locale.ROOT, "  framewire   broker in a server JVM of its own (a Server with no services); subscriptions: %s%n",
                    FramewireFanout.describe());
        }
        if (o.fanoutSystems().contains(FanoutVariant.JEROMQ)) {
            System.out.printf(Locale.ROOT, "  jeromq      JeroMQ %s, no broker: PUB binds in the publisher JVM, each SUB connects; %s;%n"
                    + "              the only socket option set is the SUB's subscription to the topic; one frame per message (topic +%n"
                    + "              payload); PUB drops silently for a subscriber whose pipe is full%n",
                    JeromqFanout.version(), JeromqFanout.describeDefaults());
        }
    }

    /** A warm-up's rule, for the header: at least its least, then on while a JIT compiler is busy. */
    private static String warmupRule(JitWarmup w) {
        return !w.goesOn() ? w.least().toSeconds() + " s"
                : String.format(Locale.ROOT, "at least %d s and on, up to %d s, until a second in which neither JVM's JIT%n"
                        + "              compilers used more than %.0f%% of a CPU,", w.least().toSeconds(), w.most().toSeconds(),
                        JitWarmup.QUIET * 100);
    }
}
