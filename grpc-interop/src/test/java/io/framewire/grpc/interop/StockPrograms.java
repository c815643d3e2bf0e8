package io.framewire.grpc.interop;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * gRPC's own interop programs from grpc-interop-testing 1.79.0, each started in a JVM of its own on the
 * classpath that artifact declares (resolved by the module framewire-grpc-interop-classpath), never on
 * this module's: they bring grpc 1.79, unshaded Netty and protobuf-java 3.25.
 */
final class StockPrograms {
    /** As TestServiceServer and AbstractInteropTest.MAX_MESSAGE_SIZE: the largest message the suite sends. */
    static final int MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

    private static final String CLIENT_MAIN = "io.grpc.testing.integration.TestServiceClient";
    private static final String SERVER_MAIN = "io.grpc.testing.integration.TestServiceServer";
    private static final Duration CASE_TIMEOUT = Duration.ofSeconds(60);

    private StockPrograms() {}

    /** The interop artifact's own runtime classpath. */
    static List<String> interopClasspath() {
        return readClasspath("interop.classpath.file");
    }

    /** Framewire's jars (or class directories) and junixsocket, for a child JVM that uses FramewireChannel. */
    static List<String> framewireClasspath() {
        return readClasspath("framewire.classpath.file");
    }

    /** This module's compiled test classes (the child-side main classes live there). */
    static String testClasses() {
        return property("interop.testClasses");
    }

    private static List<String> readClasspath(String property) {
        Path file = Path.of(property(property));
        try {
            String line = Files.readString(file).strip();
            if (line.isEmpty()) {
                throw new IllegalStateException(file + " is empty");
            }
            return Arrays.asList(line.split(File.pathSeparator));
        } catch (IOException e) {
            throw new UncheckedIOException("no classpath file " + file + " (written by the Maven build)", e);
        }
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException("system property " + name + " is not set: run these tests through Maven");
        }
        return value;
    }

    /** A TCP port free on 127.0.0.1 a moment ago (for programs that cannot report the port they bound). */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts the stock TestServiceServer ({@code --use_tls=false}) on a free port and waits until it
     * says it listens. The caller closes it.
     */
    static StockServer startServer(Path logDir) {
        int port = freePort();
        ChildJvm jvm = ChildJvm.start("TestServiceServer", interopClasspath(), SERVER_MAIN,
                List.of("--port=" + port, "--use_tls=false"), logDir);
        try {
            await("TestServiceServer listening").atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(50))
                    .until(() -> jvm.output().contains("Server started on port") || !jvm.isAlive());
            if (!jvm.isAlive()) {
                throw new AssertionError("TestServiceServer ended at start-up:\n" + jvm.output());
            }
            return new StockServer(jvm, port);
        } catch (RuntimeException | Error e) {
            jvm.close();
            throw e;
        }
    }

    /**
     * Runs the stock TestServiceClient for one test case against {@code 127.0.0.1:port} without TLS, and
     * fails with the client's output unless it exits 0 (it exits non-zero when the case fails).
     */
    static void runClient(String testCase, int port, Path logDir) throws InterruptedException {
        List<String> args = List.of("--server_host=127.0.0.1", "--server_port=" + port, "--use_tls=false",
                "--test_case=" + testCase);
        runToCompletion("TestServiceClient-" + testCase, interopClasspath(), CLIENT_MAIN, args, logDir);
    }

    /** Runs {@code mainClass} to its end; fails with its output unless it exits 0. */
    static void runToCompletion(String name, List<String> classpath, String mainClass, List<String> args, Path logDir)
            throws InterruptedException {
        try (ChildJvm jvm = ChildJvm.start(name, classpath, mainClass, args, logDir)) {
            int exit = jvm.awaitExit(CASE_TIMEOUT);
            assertEquals(0, exit, () -> name + " " + String.join(" ", args) + " exited " + exit
                    + "; its output:\n" + jvm.output());
        }
    }

    /** The classpath of a child JVM that runs this module's own code on the interop classpath plus Framewire. */
    static List<String> interopPlusFramewireClasspath() {
        List<String> classpath = new ArrayList<>();
        classpath.add(testClasses());
        classpath.addAll(interopClasspath());
        classpath.addAll(framewireClasspath());
        return classpath;
    }

    /** A running stock TestServiceServer. */
    record StockServer(ChildJvm jvm, int port) implements AutoCloseable {
        @Override
        public void close() {
            jvm.close();
        }
    }
}
