package io.framewire.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A child JVM's side of {@link ChildJvm}'s line protocol: control lines out on stdout, each
 * {@link #PREFIX}, a keyword and space-separated words; commands in on stdin, one a line.
 *
 * <p>A child halts when its stdin reaches end of file: the harness closed it, or the harness is gone
 * (its end of the pipe closed). halt, not exit: nothing in a child needs shutdown hooks or a graceful
 * drain, and the harness removes whatever files a child leaves.
 */
final class HarnessLink {
    static final String PREFIX = "@@ ";

    /** The keyword of the control line that reports a failure; the rest of the line describes it. */
    static final String FAILED = "FAILED";

    private static final BufferedReader COMMANDS = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    private HarnessLink() {}

    /** Prints one control line; safe from any thread. */
    static void tell(String keyword, Object... words) {
        String line = PREFIX + keyword + (words.length == 0 ? ""
                : Arrays.stream(words).map(String::valueOf).collect(Collectors.joining(" ", " ", "")));
        System.out.println(line);
        System.out.flush();
    }

    /** Reports a failure to the harness, with the stack trace on stderr. */
    static void fail(String what, Throwable cause) {
        cause.printStackTrace(System.err);
        System.err.flush();
        tell(FAILED, (what + ": " + cause).replace('\n', ' '));
    }

    /** The harness's next command; halts the JVM if there is none (stdin ended). */
    static String nextCommand() {
        try {
            String line = COMMANDS.readLine();
            if (line != null) {
                return line.trim();
            }
        } catch (IOException e) {
            // A broken pipe means the same as end of file: the harness is gone.
        }
        Runtime.getRuntime().halt(0);
        throw new AssertionError("halt returned");
    }

    /** Ignores commands until stdin ends, then halts. For children that only serve. */
    static void serveUntilEnd() {
        while (true) {
            nextCommand();
        }
    }
}
