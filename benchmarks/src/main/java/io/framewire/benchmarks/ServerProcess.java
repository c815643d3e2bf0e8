package io.framewire.benchmarks;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A server JVM started by the harness ({@link ChildJvm}): its main gets the endpoint to listen on as
 * its first argument, then the system's own arguments, and reports the endpoint it bound
 * ({@link ChildServer}).
 */
final class ServerProcess implements AutoCloseable {
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

    private final ChildJvm jvm;
    private final Endpoint endpoint;

    private ServerProcess(ChildJvm jvm, Endpoint endpoint) {
        this.jvm = jvm;
        this.endpoint = endpoint;
    }

    /** Starts {@code system}'s server on {@code listen} and waits until it reports its endpoint. */
    static ServerProcess start(EchoSystem system, Endpoint listen) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>();
        args.add(listen.toString());
        args.addAll(system.serverArgs());
        return start(system.label() + " server", system.serverMain(), args);
    }

    /** Starts {@code main} (a server main taking the endpoint first, then {@code args}) and waits for its endpoint. */
    static ServerProcess start(String name, Class<?> main, List<String> args) throws IOException, InterruptedException {
        return start(name, main, ChildJvm.JVM_FLAGS, args);
    }

    /** As {@link #start(String, Class, List)}, the JVM started with {@code jvmFlags}. */
    static ServerProcess start(String name, Class<?> main, List<String> jvmFlags, List<String> args)
            throws IOException, InterruptedException {
        ChildJvm jvm = ChildJvm.start(name, main, jvmFlags, args);
        try {
            Endpoint bound = Endpoint.parse(jvm.await(ChildServer.LISTENING, STARTUP_TIMEOUT).getFirst());
            return new ServerProcess(jvm, bound);
        } catch (IOException | InterruptedException | RuntimeException e) {
            jvm.close();
            throw e;
        }
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /** The CPU time the server JVM has used so far, in nanoseconds, or -1 if it cannot be read ({@link ProcessCpu}). */
    long cpuNanos() {
        return jvm.cpuNanos();
    }

    /** The CPU time the server's JIT compilers have used so far, in nanoseconds, or -1 if it cannot be read. */
    long jitNanos() {
        return jvm.jitNanos();
    }

    /** Kills the server at once; calls waiting on it fail. Used when a phase hangs. */
    void kill() {
        jvm.kill();
    }

    /**
     * Runs a phase under a watchdog that kills this server if the phase takes longer than
     * {@code limit}, which fails its calls and so ends the phase.
     */
    <T> T guarded(Duration limit, Callable<T> phase) throws Exception {
        Watchdog watchdog = Watchdog.arm(limit, this::kill);
        try (watchdog) {
            return phase.call();
        } catch (Exception e) {
            if (watchdog.fired()) {
                throw new IllegalStateException("phase did not finish within " + limit.toSeconds()
                        + " s; the " + jvm.name() + " was killed", e);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        jvm.close();
    }

    @Override
    public String toString() {
        return jvm.toString();
    }
}
