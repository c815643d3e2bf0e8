package io.framewire.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A server JVM started by the harness: the same java binary and class path as the harness, identical
 * JVM flags for every system, and a port read from the server's {@code PORT <n>} line.
 *
 * <p>Every process started is destroyed by {@link #close} and, should the harness exit another way,
 * by a shutdown hook.
 */
final class ServerProcess implements AutoCloseable {
    /** The same for every server, so no system gets a bigger heap or other JIT settings. */
    static final List<String> JVM_FLAGS = List.of("-Xms512m", "-Xmx512m", "--enable-native-access=ALL-UNNAMED");

    private static final long STARTUP_TIMEOUT_SECONDS = 30;
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-servers"));
    }

    private final String name;
    private final Process process;
    private final int port;

    private ServerProcess(String name, Process process, int port) {
        this.name = name;
        this.process = process;
        this.port = port;
    }

    /** Starts {@code system}'s server and waits until it reports its port. */
    static ServerProcess start(EchoSystem system) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(javaBinary());
        command.addAll(JVM_FLAGS);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(system.serverMain().getName());
        command.addAll(system.serverArgs());

        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        LIVE.add(process);
        ServerProcess server = null;
        try {
            server = new ServerProcess(system.name(), process, awaitPort(system.name(), process));
            return server;
        } finally {
            if (server == null) {
                stop(process);
            }
        }
    }

    /**
     * The java binary running this JVM, so servers run on the JDK the build's toolchain chose for the
     * harness rather than whatever {@code java} is first on the PATH.
     */
    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    int port() {
        return port;
    }

    /** Kills the server at once; calls waiting on it fail. Used when a phase hangs. */
    void kill() {
        process.destroyForcibly();
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
                        + " s; the " + name + " server was killed", e);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        stop(process);
    }

    /** Asks the server to stop, forces it after ten seconds, and waits until it is gone. */
    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        LIVE.remove(process);
    }

    /**
     * Reads the server's stdout on a thread of its own until the {@code PORT} line, passing any other
     * line through, and keeps draining afterwards so a chatty server never blocks on a full pipe.
     */
    private static int awaitPort(String name, Process process) throws InterruptedException, IOException {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name(name + "-server-stdout").start(() -> {
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    if (!port.isDone() && line.startsWith(ChildServer.PORT_PREFIX)) {
                        port.complete(Integer.parseInt(line.substring(ChildServer.PORT_PREFIX.length()).trim()));
                    } else {
                        System.out.println("[" + name + " server] " + line);
                    }
                }
            } catch (IOException | RuntimeException e) {
                port.completeExceptionally(e);
            }
            port.completeExceptionally(new IOException(name + " server closed stdout without printing its port"));
        });
        try {
            return port.get(STARTUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            String exit = process.isAlive() ? "still running" : "exit code " + process.waitFor();
            throw new IOException(name + " server did not start (" + exit + ")", e.getCause());
        } catch (TimeoutException e) {
            throw new IOException(name + " server printed no port within " + STARTUP_TIMEOUT_SECONDS + " s");
        }
    }
}
