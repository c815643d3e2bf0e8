package io.framewire.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started by the harness: the same java binary and class path as the harness, identical JVM
 * flags for every child, and a line protocol on its standard streams. The harness writes commands to
 * the child's stdin, one a line; the child answers with control lines on stdout, which start with
 * {@link HarnessLink#PREFIX}; any other line it prints is passed through with the child's name.
 * Its stderr goes straight to the harness's.
 *
 * <p>Every process started is destroyed by {@link #close} and, should the harness exit another way,
 * by a shutdown hook. A child also ends itself when its stdin reaches end of file ({@link HarnessLink}),
 * so none outlives a harness that was killed.
 */
final class ChildJvm implements AutoCloseable {
    /** The same for every child, so no system gets a bigger heap or other JIT settings. */
    static final List<String> JVM_FLAGS = List.of("-Xms512m", "-Xmx512m", "--enable-native-access=ALL-UNNAMED");

    /** Queued after the child's last line: not a line a child can print, so never mistaken for one. */
    private static final String ENDED = "\0ended";
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "kill-children"));
    }

    private final String name;
    private final Process process;
    private final Writer commands;
    private final BlockingQueue<String> control = new LinkedBlockingQueue<>();

    private ChildJvm(String name, Process process) {
        this.name = name;
        this.process = process;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /** Starts {@code main} with {@code args} in a JVM of its own, labelled {@code name} in the output. */
    static ChildJvm start(String name, Class<?> main, List<String> args) throws IOException {
        return start(name, main, JVM_FLAGS, args);
    }

    /**
     * As {@link #start(String, Class, List)} with other JVM flags than every benchmark child's; for the
     * load test's server, whose heap is small so that a leak shows.
     */
    static ChildJvm start(String name, Class<?> main, List<String> jvmFlags, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(javaBinary());
        command.addAll(jvmFlags);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        LIVE.add(process);
        ChildJvm child = new ChildJvm(name, process);
        Thread.ofPlatform().daemon().name(name + "-stdout").start(child::readStdout);
        return child;
    }

    /**
     * The java binary running this JVM, so children run on the JDK the build's toolchain chose for the
     * harness rather than whatever {@code java} is first on the PATH.
     */
    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    String name() {
        return name;
    }

    /** Writes one command line to the child's stdin. */
    void send(String command) throws IOException {
        commands.write(command);
        commands.write('\n');
        commands.flush();
    }

    /**
     * Waits for the child's next control line, which must be {@code keyword}, and returns the words
     * after the keyword.
     *
     * @throws IOException if the child reported a failure ({@code FAILED ...}), ended, said something
     *         else, or said nothing within {@code timeout}
     */
    List<String> await(String keyword, Duration timeout) throws IOException, InterruptedException {
        String line = control.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (line == null) {
            throw new IOException(name + " did not answer " + keyword + " within " + timeout.toSeconds() + " s");
        }
        if (line.equals(ENDED)) {
            control.add(ENDED); // for any later wait, which must fail the same way
            throw new IOException(name + " ended (" + exitDescription() + ") before it answered " + keyword);
        }
        List<String> words = List.of(line.split(" "));
        if (words.getFirst().equals(HarnessLink.FAILED)) {
            throw new IOException(name + " failed: " + line.substring(HarnessLink.FAILED.length()).trim());
        }
        if (!words.getFirst().equals(keyword)) {
            throw new IOException(name + " answered '" + line + "' where " + keyword + " was expected");
        }
        return words.subList(1, words.size());
    }

    /** The CPU time the child has used so far, in nanoseconds ({@link ProcessCpu}), or -1 if it cannot be read. */
    long cpuNanos() {
        return ProcessCpu.nanos(process.toHandle());
    }

    /** The CPU time the child's JIT compiler threads have used so far, in nanoseconds ({@link JitCpu}), or -1 if it cannot be read. */
    long jitNanos() {
        return JitCpu.nanos(process.pid());
    }

    /** Kills the child at once. Used when a phase hangs. */
    void kill() {
        process.destroyForcibly();
    }

    /** Asks the child to stop, forces it after ten seconds, and waits until it is gone. */
    @Override
    public void close() {
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

    private String exitDescription() {
        try {
            return process.waitFor(1, TimeUnit.SECONDS) ? "exit code " + process.exitValue() : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown state";
        }
    }

    /**
     * Sorts the child's stdout on a thread of its own: control lines to the queue, anything else to the
     * harness's stdout. Keeps draining, so a chatty child never blocks on a full pipe.
     */
    private void readStdout() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(HarnessLink.PREFIX)) {
                    control.add(line.substring(HarnessLink.PREFIX.length()));
                } else {
                    System.out.println("[" + name + "] " + line);
                }
            }
        } catch (IOException e) {
            System.out.println("[" + name + "] stdout unreadable: " + e);
        }
        control.add(ENDED);
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
