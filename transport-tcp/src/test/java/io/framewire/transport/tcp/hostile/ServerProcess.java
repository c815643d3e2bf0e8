package io.framewire.transport.tcp.hostile;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.transport.tcp.hostile.HostileServerMain.Figures;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link HostileServerMain} in a child JVM with a 128 MiB heap, and an admin client connected to it.
 * Its stdout lines are collected as they come; its stderr (the server's log) goes to
 * {@code target/hostile/<name>.server.log}, which a test reads to find, say, an OutOfMemoryError.
 */
final class ServerProcess implements AutoCloseable {
    static final String HEAP = "-Xmx128m";

    private final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path log;
    private final int port;
    private Client admin;

    private ServerProcess(String name, Map<String, String> options) throws IOException, InterruptedException {
        Path dir = Path.of("target", "hostile");
        Files.createDirectories(dir);
        log = dir.resolve(name + ".server.log");
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), HEAP,
                "-cp", System.getProperty("java.class.path"), HostileServerMain.class.getName()));
        options.forEach((k, v) -> cmd.add(k + "=" + v));
        // Extra options for every server of a run, for example -Dhostile.server=readerThreads=PLATFORM.
        for (String extra : System.getProperty("hostile.server", "").split(",")) {
            if (!extra.isBlank()) {
                cmd.add(extra.trim());
            }
        }
        process = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        Thread.startVirtualThread(() -> {
            try (BufferedReader out = process.inputReader(StandardCharsets.UTF_8)) {
                out.lines().forEach(lines::add);
            } catch (IOException | UncheckedIOException ended) {
                // the process ended
            }
            lines.add("EXIT");
        });
        String first = nextLine(Duration.ofSeconds(30));
        if (!first.startsWith("PORT ")) {
            process.destroyForcibly();
            throw new IllegalStateException("the server did not start: " + first + "; its log: " + tailOfLog());
        }
        port = Integer.parseInt(first.substring(5));
    }

    /** Starts a server with these {@link HostileServerMain} options. */
    static ServerProcess start(String name, Map<String, String> options) throws IOException, InterruptedException {
        return new ServerProcess(name, options);
    }

    int port() {
        return port;
    }

    String address() {
        return "tcp://127.0.0.1:" + port;
    }

    /** The next stdout line, or "TIMEOUT" / "EXIT". */
    String nextLine(Duration within) throws InterruptedException {
        String line = lines.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        return line == null ? "TIMEOUT after " + within.toMillis() + " ms" : line;
    }

    private Client admin() {
        if (admin == null) {
            admin = Client.builder(address()).connectTimeout(Duration.ofSeconds(3)).connect();
        }
        return admin;
    }

    /** Figures after full GCs; {@code reset} starts the peaks afresh from here. */
    Figures afterGc(boolean reset) {
        return Figures.parse(admin().call(HostileServerMain.AFTER_GC, reset ? "reset" : "",
                CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10))));
    }

    /** Figures now, without a GC. */
    Figures now() {
        return Figures.parse(admin().call(HostileServerMain.NOW, "", CallOptions.DEFAULT.withTimeout(Duration.ofSeconds(10))));
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The server's log so far. */
    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    String tailOfLog() {
        String l = log();
        return l.length() > 4000 ? "..." + l.substring(l.length() - 4000) : l;
    }

    /** The threads the log says an uncaught error ended (the JVM prints them even out of memory). */
    List<String> threadsKilled() {
        List<String> out = new ArrayList<>();
        String marker = "UncaughtExceptionHandler in thread \"";
        String l = log();
        for (int i = l.indexOf(marker); i >= 0; i = l.indexOf(marker, i + 1)) {
            int from = i + marker.length();
            out.add(l.substring(from, l.indexOf('"', from)));
        }
        l.lines().filter(line -> line.startsWith("Exception in thread \""))
                .forEach(line -> out.add(line.substring(21, line.indexOf('"', 21))));
        return out;
    }

    /** Occurrences of {@code text} in the server's log. */
    int countInLog(String text) {
        String l = log();
        int n = 0;
        for (int i = l.indexOf(text); i >= 0; i = l.indexOf(text, i + text.length())) {
            n++;
        }
        return n;
    }

    /**
     * SIGTERM, then waits up to {@code within} for the process to exit. Returns the shutdown line it
     * printed ("SHUTDOWN <millis>"), or what it printed instead.
     */
    String terminate(Duration within) throws InterruptedException {
        closeAdmin();
        // SIGTERM through the handle: Process.destroy() would also close our end of its stdout at once,
        // and the SHUTDOWN line it prints while shutting down would never be read.
        process.toHandle().destroy();
        long deadline = System.nanoTime() + within.toNanos();
        String line;
        do {
            line = nextLine(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
        } while (!line.startsWith("SHUTDOWN") && !line.equals("EXIT") && !line.startsWith("TIMEOUT"));
        boolean exited = process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        return exited ? line : line + " (still running)";
    }

    private void closeAdmin() {
        if (admin != null) {
            admin.close();
            admin = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        closeAdmin();
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
