package io.framewire.transport.unix;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A short temporary directory under /tmp for the socket files of one test class (AF_UNIX paths are
 * limited to 107 bytes; mode 0711), and the socket-file half of the leak check: after each test it must be empty
 * again, because every server a test started has been closed and a closed server removes its socket
 * file and private directory. Register it as a static {@code @RegisterExtension} field and call
 * {@link #delete()} from {@code @AfterAll}.
 */
final class SocketDirectory implements AfterEachCallback {
    private final Path dir;
    private final AtomicInteger next = new AtomicInteger();

    SocketDirectory() {
        try {
            dir = Files.createTempDirectory(Path.of("/tmp"), "fwu");
            // Others may pass through (not list): tests that run a client as another user need that.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path dir() {
        return dir;
    }

    /** A fresh path in the directory, e.g. {@code /tmp/fwu123/s7.sock}; nothing is there. */
    Path newPath() {
        return dir.resolve("s" + next.incrementAndGet() + ".sock");
    }

    /** {@link #newPath()} as a {@code unix://} address. */
    String newAddress() {
        return "unix://" + newPath();
    }

    /** What is in the directory now (names, sorted). */
    List<String> entries() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            // Servers remove their files while closing, which the test's own cleanup has done by now.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> entries().isEmpty());
        } catch (ConditionTimeoutException e) {
            List<String> left = entries();
            removeContents();
            throw new AssertionError("socket files (or private directories) left behind in " + dir + ": " + left);
        }
    }

    /** Removes everything in the directory (after a failed check, so one failure does not cascade). */
    private void removeContents() {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(dir)) {
                    p.toFile().setWritable(true);
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes the directory and whatever is in it. */
    void delete() {
        removeContents();
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
