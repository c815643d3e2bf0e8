package io.framewire.transport.unix;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A JVM running {@link UnixChild}, as this user or as {@code nobody}; its stdout lines are collected
 * as they come. Closing it closes its stdin (a serving child then shuts down cleanly) and waits for
 * it, killing it if it does not end.
 */
final class ChildJvm implements AutoCloseable {
    /** The unprivileged user and group a child may run as (Debian's nobody:nogroup). */
    static final long NOBODY_UID = 65534;
    static final long NOGROUP_GID = 65534;

    private static Path readableClasspath;

    private final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();

    private ChildJvm(Process process) {
        this.process = process;
        Thread.ofPlatform().daemon().name("child-stdout").start(() -> collect(process.inputReader(StandardCharsets.UTF_8), lines));
        Thread.ofPlatform().daemon().name("child-stderr").start(() -> collect(process.errorReader(StandardCharsets.UTF_8), errors));
    }

    private static void collect(BufferedReader r, java.util.Collection<String> into) {
        try (r) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                into.add(line);
            }
        } catch (IOException ignored) {
            // the process ended
        }
        if (into instanceof LinkedBlockingQueue<String>) {
            into.add("EXIT");
        }
    }

    /** Starts {@code UnixChild args} as this process's user. */
    static ChildJvm start(String... args) throws IOException {
        return new ChildJvm(new ProcessBuilder(command(List.of(), System.getProperty("java.class.path"), args)).start());
    }

    /**
     * Starts {@code UnixChild args} as {@code nobody:nogroup} with no supplementary groups, on a copy
     * of the classpath that nobody can read. Skips the test (with the reason) where that is impossible.
     */
    static ChildJvm startAsNobody(String... args) throws IOException {
        Assumptions.assumeTrue(isRoot(), "running a process as another user needs root; this test runs as uid " + uid());
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "/usr/bin/setpriv is not installed");
        List<String> prefix = List.of("/usr/bin/setpriv", "--reuid=" + NOBODY_UID, "--regid=" + NOGROUP_GID, "--clear-groups", "--");
        return new ChildJvm(new ProcessBuilder(command(prefix, readableClasspath(), args)).start());
    }

    private static List<String> command(List<String> prefix, String classpath, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto", "-cp", classpath, UnixChild.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static boolean isRoot() {
        return uid() == 0;
    }

    /** This process's user id, as the kernel records it for a file this process creates. */
    static long uid() {
        return ownerOfANewFile("unix:uid");
    }

    /** This process's group id, as the kernel records it for a file this process creates in /tmp. */
    static long gid() {
        return ownerOfANewFile("unix:gid");
    }

    private static long ownerOfANewFile(String attribute) {
        try {
            Path probe = Files.createTempFile(Path.of("/tmp"), "framewire-id", ".probe");
            try {
                return ((Number) Files.getAttribute(probe, attribute)).longValue();
            } finally {
                Files.delete(probe);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** This JVM's classpath, copied to a directory everyone may read (the Maven repository is root's alone). */
    private static synchronized String readableClasspath() throws IOException {
        if (readableClasspath == null) {
            readableClasspath = Files.createTempDirectory(Path.of("/tmp"), "fwcp");
            Files.setPosixFilePermissions(readableClasspath, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<String> entries = new ArrayList<>();
        String[] original = System.getProperty("java.class.path").split(java.io.File.pathSeparator);
        for (int i = 0; i < original.length; i++) {
            Path from = Path.of(original[i]);
            if (!Files.exists(from)) {
                continue;
            }
            Path to = readableClasspath.resolve(i + "-" + from.getFileName());
            if (!Files.exists(to)) {
                copy(from, to);
            }
            entries.add(to.toString());
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                Files.copy(p, target);
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    /** Removes the copied classpath, if one was made. */
    static synchronized void deleteCopiedClasspath() throws IOException {
        if (readableClasspath == null) {
            return;
        }
        try (Stream<Path> all = Files.walk(readableClasspath)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        readableClasspath = null;
    }

    long pid() {
        return process.pid();
    }

    Process process() {
        return process;
    }

    /** The next line the child prints, waiting at most {@code timeout}; "TIMEOUT" or "EXIT" otherwise. */
    String nextLine(Duration timeout) throws InterruptedException {
        String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return line == null ? "TIMEOUT after " + timeout.toMillis() + " ms (stderr: " + errors + ")"
                : line.equals("EXIT") ? "EXIT (stderr: " + errors + ")" : line;
    }

    /** What the child wrote to stderr so far. */
    List<String> errors() {
        return List.copyOf(errors);
    }

    /** SIGKILL, and waits until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new AssertionError("a SIGKILLed process did not end within 10 s");
        }
    }

    @Override
    public void close() throws IOException {
        process.getOutputStream().close();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
