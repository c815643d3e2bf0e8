package io.framewire.grpc.interop;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A program started in a JVM of its own (the JDK running the tests), its output (stdout and stderr
 * together) written to a log file, so that no pipe can fill up and block it. {@link #close} ends it and
 * any process it started, on every path.
 */
final class ChildJvm implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private ChildJvm(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code mainClass} with {@code args} on {@code classpath}; the log goes to {@code logDir}.
     * The JVM options keep a short-lived JVM cheap: serial GC, C1 only, a bounded heap, a CDS archive.
     */
    static ChildJvm start(String name, List<String> classpath, String mainClass, List<String> args, Path logDir) {
        String javaCommand = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot tell which java runs this JVM"));
        List<String> command = new ArrayList<>();
        command.add(javaCommand);
        command.add("-Xmx512m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("--enable-native-access=ALL-UNNAMED");
        // JVM start-up dominates these runs: a CDS archive per main class (made by the first run, checked
        // against JDK and classpath by every later one, remade when they differ) halves a start's CPU.
        // The JVM can archive classes from jar files only: a classpath with class directories gets none.
        String workDir = System.getProperty("interop.workDir");
        if (workDir != null && classpath.stream().allMatch(entry -> entry.endsWith(".jar"))) {
            Path archives = Path.of(workDir, "cds");
            try {
                Files.createDirectories(archives);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            command.add("-XX:SharedArchiveFile=" + archives.resolve(mainClass + ".jsa"));
            command.add("-XX:+AutoCreateSharedArchive");
            command.add("-Xlog:cds=off,cds+dynamic=off");
        }
        command.add("-cp");
        command.add(String.join(File.pathSeparator, classpath));
        command.add(mainClass);
        command.addAll(args);
        Path log = logDir.resolve(name.replaceAll("[^A-Za-z0-9_.-]", "_") + ".log");
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        try {
            return new ChildJvm(name, builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    /** Waits for the program to end by itself and returns its exit code; ends it and fails after {@code timeout}. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            close();
            throw new AssertionError(name + " did not finish within " + timeout + "; its output:\n" + output());
        }
        return process.exitValue();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Everything the program has printed so far. */
    String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    String name() {
        return name;
    }

    /**
     * Ends the program and its descendants: a polite signal first, then a forcible one. Through the
     * process handle, so that nothing of this JVM's (no pipe: there is none) is closed on the way.
     */
    @Override
    public void close() {
        ProcessHandle handle = process.toHandle();
        List<ProcessHandle> all = new ArrayList<>(handle.descendants().toList());
        all.add(handle);
        all.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                h.destroyForcibly();
            } catch (ExecutionException | TimeoutException e) {
                h.destroyForcibly();
            }
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
