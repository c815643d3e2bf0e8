package io.framewire.benchmarks;

import static io.framewire.benchmarks.Arguments.integer;
import static io.framewire.benchmarks.Arguments.seconds;

import io.framewire.ExecutionMode;
import io.framewire.transport.tcp.TcpOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * The harness's run parameters, parsed from {@code --name=value} arguments.
 *
 * @param scenarios which scenarios run (in the order unary, streaming, fan-out)
 * @param warmup how long each unary phase runs before it is measured, and how long each system is loaded first at least
 * @param warmupMost how long a unary warm-up (a system's first load, each phase's own) and a streaming phase's
 *        warm-up may go on while a JVM's JIT compilers are still busy ({@link JitWarmup}); at or below their least,
 *        they last their least
 * @param duration how long each unary phase is measured
 * @param systems the unary and streaming systems to run, in order
 * @param transports the transports each unary system runs over, in order (streaming is TCP only)
 * @param payloads the unary payload sizes in bytes, in order
 * @param outstanding calls in flight in the unary throughput phases
 * @param reader Framewire's TCP reader threads (client and server), or null for the transport's default
 * @param fwHandler where the Framewire server of the {@code framewire} system runs the unary echo handler
 * @param gwHandler where the Framewire server behind the gateway ({@code gateway} system) runs it
 * @param streams concurrent streams on one connection in the streaming phases, one phase per entry
 * @param streamWarmup how long the streams of a streaming phase run at least before they are counted
 * @param streamDuration the window in which a streaming phase counts the messages received
 * @param grpcAhead messages the manual-flow-control gRPC client keeps requested per stream
 * @param fanoutSystems the fan-out variants to run, in order
 * @param subscribers subscriber processes in the fan-out phases, the rounds of phases run per entry
 * @param fanoutSize bytes per fan-out message (the payload, without the topic)
 * @param fanoutWarmup how long the publisher of a fan-out phase runs before the subscribers are counted
 * @param fanoutDuration the window in which a fan-out phase counts the messages received
 * @param fanoutRounds fan-out rounds per number of subscribers, each a phase per variant (the table takes medians)
 */
record BenchOptions(Set<Scenario> scenarios, Duration warmup, Duration warmupMost, Duration duration, List<String> systems,
                    List<Transport> transports, List<Integer> payloads, int outstanding,
                    TcpOptions.ReaderThreads reader, ExecutionMode fwHandler, ExecutionMode gwHandler,
                    List<Integer> streams, Duration streamWarmup, Duration streamDuration, int grpcAhead,
                    List<FanoutVariant> fanoutSystems, List<Integer> subscribers, int fanoutSize,
                    Duration fanoutWarmup, Duration fanoutDuration, int fanoutRounds) {

    /** The parts of a run. */
    enum Scenario {
        UNARY, STREAMING, FANOUT;

        String argName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final List<String> KNOWN_SYSTEMS = List.of("framewire", "raw", "grpc", "grpc-direct", "gateway");

    /** The systems run without {@code --systems}; grpc-direct and gateway (about 3.5 minutes more) on request. */
    static final List<String> DEFAULT_SYSTEMS = List.of("framewire", "raw", "grpc");

    /** The largest payload accepted: well under the 4 MiB message limit of both Framewire and gRPC. */
    static final int MAX_PAYLOAD = 1 << 20;

    /** The most streams a streaming phase opens on its one connection. */
    static final int MAX_STREAMS = 1_000;

    /** The most subscriber processes a fan-out phase starts: each is a JVM. */
    static final int MAX_SUBSCRIBERS = 16;

    /** The most fan-out rounds: 20 rounds of the default phases take about 20 minutes. */
    static final int MAX_ROUNDS = 20;

    static final String USAGE = """
            usage: Harness [--scenarios=unary,streaming,fanout] [--duration=SECONDS] [--warmup=SECONDS] [--warmup-most=SECONDS]
                           [--systems=framewire,raw,grpc,grpc-direct,gateway] [--transports=tcp,unix,udp] [--payloads=64,4096]
                           [--outstanding=32] [--reader=auto|virtual|platform] [--fw-handler=virtual|inline] [--gw-handler=inline|virtual]
                           [--streams=1,8] [--stream-warmup=SECONDS] [--stream-duration=SECONDS] [--grpc-ahead=4096]
                           [--fanout-systems=framewire-pull,framewire-push,jeromq] [--subscribers=1,4]
                           [--fanout-size=64] [--fanout-warmup=SECONDS] [--fanout-duration=SECONDS] [--fanout-rounds=3]
              --scenarios        which scenarios to run (default unary,streaming,fanout)
              --duration         seconds each unary phase is measured (default 6)
              --warmup           seconds each unary phase runs unmeasured first, and of load per system before them (default 3)
              --warmup-most      seconds a unary warm-up (a system's first load, each phase's own) and a streaming phase's
                                 warm-up may go on while the client's or the server's JIT compilers are busy: past their
                                 least (--warmup, --stream-warmup) they go on in 1 s slices until one in which each
                                 JVM's compiler threads used at most 5% of a CPU (default 30; Linux only; at or below
                                 the least, they last their least)
              --systems          unary and streaming systems to run, in this order (default framewire,raw,grpc; raw has no streams).
                                 Also known: grpc-direct (gRPC-Java with directExecutor on both sides, async calls) and
                                 gateway (the same gRPC client -> the gRPC bridge's GrpcGateway -> Framewire over AF_UNIX),
                                 compared with each other: --systems=framewire,grpc,grpc-direct,gateway
              --transports       transports each unary system runs over, in this order (default tcp,unix; udp runs framewire and raw only)
              --payloads         unary payload sizes in bytes (default 64,4096)
              --outstanding      calls in flight in the unary throughput phases (default 32)
              --reader           Framewire TCP reader threads on client and server (default: TcpOptions default)
              --fw-handler       Framewire server unary handler execution mode (default virtual)
              --gw-handler       the same for the Framewire server behind the gateway (default inline, as
                                 grpc-direct's handler runs on gRPC's event loop with directExecutor)
              --streams          concurrent server streams on one connection, one streaming phase each (default 1,8)
              --stream-warmup    seconds a streaming phase's streams run at least before they are counted (default 3)
              --stream-duration  seconds in which a streaming phase counts the messages received (default 5)
              --grpc-ahead       messages the "grpc ahead" streaming client keeps requested per stream (default 4096:
                                 Framewire's default stream window, 256 KiB, in 64-byte messages)
              --fanout-systems   fan-out variants to run, in this order (default framewire-pull,framewire-push,jeromq)
              --subscribers      subscriber processes, one set of fan-out rounds each (default 1,4)
              --fanout-size      bytes per fan-out message, without the topic (default 64)
              --fanout-warmup    seconds a fan-out publisher runs before the subscribers are counted (default 3)
              --fanout-duration  seconds in which a fan-out phase counts the messages received (default 5)
              --fanout-rounds    rounds per subscriber count, each running every fan-out variant once, back to back,
                                 in an order that rotates by one each round; the table reports medians (default 3, 1..20)
            With the defaults the unary scenario takes about 4.5 minutes, the streaming one about 1 minute and the
            fan-out one about 3.5 minutes (18 phases of about 11 s: 3 rounds of 3 variants, for 1 and 4 subscribers);
            grpc-direct and gateway add about 3 minutes of unary and 1.5 of streaming. Warm-ups that wait for the JIT
            add to these: a gRPC or gateway system's first load lasted 12 to 22 s on 2 CPUs.""";

    /**
     * Parses the arguments over the defaults.
     *
     * @throws IllegalArgumentException naming the bad argument
     */
    static BenchOptions parse(String[] args) {
        Builder b = new Builder();
        Arguments.forEach(args, b::set);
        return b.build();
    }

    /** The rule of every unary warm-up: a system's first load, each latency and throughput phase's own. */
    JitWarmup unaryWarmup() {
        return new JitWarmup(warmup, warmupMost);
    }

    /** The rule of each streaming phase's warm-up. */
    JitWarmup streamingWarmup() {
        return new JitWarmup(streamWarmup, warmupMost);
    }

    boolean runs(Scenario scenario) {
        return scenarios.contains(scenario);
    }

    /** The options as they are parsed: the defaults, then each argument in turn. */
    private static final class Builder {
        private Set<Scenario> scenarios = EnumSet.allOf(Scenario.class);
        private Duration warmup = Duration.ofSeconds(3);
        private Duration warmupMost = Duration.ofSeconds(30);
        private Duration duration = Duration.ofSeconds(6);
        private List<String> systems = DEFAULT_SYSTEMS;
        private List<Transport> transports = List.of(Transport.TCP, Transport.UNIX);
        private List<Integer> payloads = List.of(64, 4096);
        private int outstanding = 32;
        private TcpOptions.ReaderThreads reader;
        private ExecutionMode fwHandler = ExecutionMode.VIRTUAL_THREAD;
        private ExecutionMode gwHandler = ExecutionMode.INLINE;
        private List<Integer> streams = List.of(1, 8);
        private Duration streamWarmup = Duration.ofSeconds(3);
        private Duration streamDuration = Duration.ofSeconds(5);
        private int grpcAhead = 4096;
        private List<FanoutVariant> fanoutSystems = List.of(FanoutVariant.values());
        private List<Integer> subscribers = List.of(1, 4);
        private int fanoutSize = 64;
        private Duration fanoutWarmup = Duration.ofSeconds(3);
        private Duration fanoutDuration = Duration.ofSeconds(5);
        private int fanoutRounds = 3;

        void set(String name, String value) {
            switch (name) {
                case "scenarios" -> scenarios = scenarioSet(value);
                case "duration" -> duration = seconds(name, value, 1);
                case "warmup" -> warmup = seconds(name, value, 0);
                case "warmup-most" -> warmupMost = seconds(name, value, 0);
                case "systems" -> systems = systemList(value);
                case "transports" -> transports = enumList(name, value, Transport::fromArg);
                case "payloads" -> payloads = integerList(name, value, 1, MAX_PAYLOAD);
                case "outstanding" -> outstanding = integer(name, value, 1, 10_000);
                case "reader" -> reader = readerThreads(value);
                case "fw-handler" -> fwHandler = executionMode(name, value);
                case "gw-handler" -> gwHandler = executionMode(name, value);
                case "streams" -> streams = integerList(name, value, 1, MAX_STREAMS);
                case "stream-warmup" -> streamWarmup = seconds(name, value, 0);
                case "stream-duration" -> streamDuration = seconds(name, value, 1);
                case "grpc-ahead" -> grpcAhead = integer(name, value, 1, 1 << 20);
                case "fanout-systems" -> fanoutSystems = enumList(name, value, FanoutVariant::fromArg);
                case "subscribers" -> subscribers = integerList(name, value, 1, MAX_SUBSCRIBERS);
                case "fanout-size" -> fanoutSize = integer(name, value, SequencedMessage.MIN_SIZE, 64 * 1024);
                case "fanout-warmup" -> fanoutWarmup = seconds(name, value, 0);
                case "fanout-duration" -> fanoutDuration = seconds(name, value, 1);
                case "fanout-rounds" -> fanoutRounds = integer(name, value, 1, MAX_ROUNDS);
                default -> throw new IllegalArgumentException("unknown option --" + name);
            }
        }

        BenchOptions build() {
            return new BenchOptions(Set.copyOf(scenarios), warmup, warmupMost, duration, systems, transports, payloads, outstanding,
                    reader, fwHandler, gwHandler, streams, streamWarmup, streamDuration, grpcAhead,
                    fanoutSystems, subscribers, fanoutSize, fanoutWarmup, fanoutDuration, fanoutRounds);
        }
    }

    private static Set<Scenario> scenarioSet(String value) {
        Set<Scenario> out = EnumSet.noneOf(Scenario.class);
        for (String s : value.split(",")) {
            String name = s.trim().toUpperCase(Locale.ROOT);
            try {
                out.add(Scenario.valueOf(name));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown scenario '" + s + "'; known: unary,streaming,fanout");
            }
        }
        return out;
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

    /** Distinct values, in order, each parsed from its lower-case name by {@code parse}. */
    private static <T> List<T> enumList(String name, String value, Function<String, T> parse) {
        List<T> out = new ArrayList<>();
        for (String s : value.split(",")) {
            T t;
            try {
                t = parse.apply(s.trim().toLowerCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--" + name + ": unknown value '" + s.trim() + "'");
            }
            if (!out.contains(t)) {
                out.add(t);
            }
        }
        return List.copyOf(out);
    }

    private static List<Integer> integerList(String name, String value, int min, int max) {
        List<Integer> out = new ArrayList<>();
        for (String s : value.split(",")) {
            int n = integer(name, s, min, max);
            if (!out.contains(n)) {
                out.add(n);
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

    private static ExecutionMode executionMode(String name, String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "virtual" -> ExecutionMode.VIRTUAL_THREAD;
            case "inline" -> ExecutionMode.INLINE;
            default -> throw new IllegalArgumentException("--" + name + " must be virtual or inline, got '" + value + "'");
        };
    }
}
