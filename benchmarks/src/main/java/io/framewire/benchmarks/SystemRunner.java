package io.framewire.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;

/**
 * Runs every phase for one system over one transport: starts its server JVM (over AF_UNIX on a socket
 * file in the run's {@link SocketDirectory}), connects once, then for each payload measures latency
 * and throughput on that connection, and stops the server whatever happens.
 */
final class SystemRunner {
    /** Slack beyond a phase's planned length before the watchdog declares it hung. */
    static final Duration HANG_SLACK = Duration.ofSeconds(60);

    private final BenchOptions options;
    private final SocketDirectory sockets;

    SystemRunner(BenchOptions options, SocketDirectory sockets) {
        this.options = options;
        this.sockets = sockets;
    }

    SystemResults run(EchoSystem system) {
        SystemResults results = new SystemResults(system.name(), system.transport());
        Endpoint listen = switch (system.transport()) {
            case TCP -> new Endpoint.Tcp(0);
            case UNIX -> sockets.socket(system.name());
            case UDP -> new Endpoint.Udp(0);
        };
        try (ServerProcess server = ServerProcess.start(system, listen);
             EchoClient client = system.connect(server.endpoint())) {
            List<LongSupplier> jits = jits(server);
            JitWarmup.Outcome warmed = server.guarded(options.unaryWarmup().bound().plus(HANG_SLACK), () -> warmUp(client, jits));
            System.out.printf(Locale.ROOT, "  %-16s %7s  %s%n", system.label(), "", warmed.describe()
                    + " (load of " + options.outstanding() + " calls in flight, every payload in turn)");
            for (int size : options.payloads()) {
                byte[] payload = Payload.of(size);
                LatencyProbe.Result latency = guarded(server, () ->
                        LatencyProbe.measure(client, payload, options.unaryWarmup(), jits, options.duration()));
                results.latency(size, latency);
                progress(system, size, String.format(Locale.ROOT, "latency    p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us  (%,d calls; %s)",
                        latency.p50(), latency.p99(), latency.p999(), latency.max(), latency.calls(), latency.warmup().describe()));

                ThroughputProbe.Result throughput = guarded(server, () ->
                        ThroughputProbe.measure(client, payload, options.outstanding(), options.unaryWarmup(), jits, options.duration()));
                results.throughput(size, throughput);
                progress(system, size, String.format(Locale.ROOT, "throughput %,.0f calls/s  (%,d calls, %d in flight; %s)",
                        throughput.perSecond(), throughput.calls(), options.outstanding(), throughput.warmup().describe()));
            }
        } catch (Exception | Error e) {
            results.failed(e);
            System.out.println("  " + system.label() + " FAILED: " + e);
            e.printStackTrace(System.out);
        }
        return results;
    }

    /**
     * Loads both JVMs with every payload before the first phase, so the first phase's own (shorter,
     * single-caller) warm-up does not meet a cold JIT: gRPC in particular needs many thousands of calls.
     * The load lasts {@code --warmup} and then goes on while either JVM's JIT compilers are still busy
     * ({@link JitWarmup}, up to {@code --warmup-most}).
     */
    private JitWarmup.Outcome warmUp(EchoClient client, List<LongSupplier> jits) throws Exception {
        return options.unaryWarmup().run(length -> {
            long slice = length.toNanos() / options.payloads().size();
            for (int size : options.payloads()) {
                client.sustain(Payload.of(size), options.outstanding(), System.nanoTime() + slice);
            }
        }, jits);
    }

    /** The compilers of the client's JVM (this one) and of the server's. */
    private static List<LongSupplier> jits(ServerProcess server) {
        long self = ProcessHandle.current().pid();
        return List.of(() -> JitCpu.nanos(self), server::jitNanos);
    }

    /** Runs a phase under a watchdog that kills the server if the phase hangs, failing its calls. */
    private <T> T guarded(ServerProcess server, Callable<T> phase) throws Exception {
        return server.guarded(options.unaryWarmup().bound().plus(options.duration()).plus(HANG_SLACK), phase);
    }

    private static void progress(EchoSystem system, int payload, String what) {
        System.out.printf(Locale.ROOT, "  %-16s %7s  %s%n", system.label(), ReportTable.size(payload), what);
    }
}
