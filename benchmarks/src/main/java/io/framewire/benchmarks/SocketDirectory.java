package io.framewire.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the AF_UNIX servers of a run put their socket files: a fresh directory directly under /tmp
 * (mode 0700), so paths stay far below the kernel's limit of 108 bytes whatever {@code java.io.tmpdir}
 * says, and one socket per server in it. {@link #close} deletes the directory with everything in it,
 * whatever the servers left there (a killed server removes nothing; Framewire's server also keeps a
 * private directory beside its socket); a shutdown hook does the same if the harness exits another way.
 */
final class SocketDirectory implements AutoCloseable {
    /** Leaves room below the kernel's 108 bytes for what a server adds beside the path (Framewire: {@code .NAME.fw/s}). */
    private static final int MAX_PATH_BYTES = 90;

    private final Path directory;
    private final Thread cleanup;

    private SocketDirectory(Path directory) {
        this.directory = directory;
        this.cleanup = new Thread(() -> {
            try {
                delete();
            } catch (IOException e) {
                System.err.println("cannot delete the socket directory " + directory + ": " + e);
            }
        }, "delete-sockets");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    static SocketDirectory create() throws IOException {
        return new SocketDirectory(Files.createTempDirectory(Path.of("/tmp"), "fwb"));
    }

    Path directory() {
        return directory;
    }

    /** The path of the socket file for {@code name}, e.g. {@code /tmp/fwb123/framewire.sock}; nothing is created. */
    Endpoint.Unix socket(String name) {
        Path path = directory.resolve(name.replace(' ', '-') + ".sock");
        int bytes = path.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PATH_BYTES) {
            throw new IllegalStateException("socket path " + path + " has " + bytes + " bytes, more than " + MAX_PATH_BYTES);
        }
        return new Endpoint.Unix(path);
    }

    /** Deletes the directory and everything in it. */
    @Override
    public void close() throws IOException {
        Runtime.getRuntime().removeShutdownHook(cleanup);
        delete();
    }

    private void delete() throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        List<Path> deepestFirst;
        try (Stream<Path> walk = Files.walk(directory)) {
            deepestFirst = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : deepestFirst) {
            Files.deleteIfExists(p);
        }
    }
}
