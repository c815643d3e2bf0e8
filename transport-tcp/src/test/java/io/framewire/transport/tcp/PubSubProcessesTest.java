package io.framewire.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Server;
import io.framewire.testing.LeakCheckExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Publish/subscribe between three separate JVMs (one publisher, two subscribers) over TCP loopback. */
@ExtendWith(LeakCheckExtension.class)
@Timeout(120)
class PubSubProcessesTest {
    static final int COUNT = 20_000;

    /** A child JVM running {@link PubSubProcess}, its stdout lines collected as they come. */
    static final class Child implements AutoCloseable {
        final Process process;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final String name;

        Child(String name, String... args) throws IOException {
            this.name = name;
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "-Xmx256m", "-cp", System.getProperty("java.class.path"), PubSubProcess.class.getName()));
            cmd.addAll(List.of(args));
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            Thread.startVirtualThread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                lines.add("EXIT");
            });
        }

        /** The next line it prints, waiting at most {@code seconds}. */
        String nextLine(int seconds) throws InterruptedException {
            String line = lines.poll(seconds, TimeUnit.SECONDS);
            return line == null ? "TIMEOUT after " + seconds + " s" : line;
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void onePublisherAndTwoSubscribersInSeparateProcessesDeliverEverythingInOrder() throws Exception {
        try (Server server = Server.builder().listen("tcp://127.0.0.1:0").build().start()) {
            String address = server.address().toString();
            try (Child a = new Child("subscriber A", "subscribe", address, "prices.eur", String.valueOf(COUNT));
                 Child b = new Child("subscriber B", "subscribe", address, "prices.*", String.valueOf(COUNT))) {
                assertEquals("READY", a.nextLine(60), a.name);
                assertEquals("READY", b.nextLine(60), b.name);
                try (Child publisher = new Child("publisher", "publish", address, "prices.eur", String.valueOf(COUNT))) {
                    CompletableFuture<String> published = CompletableFuture.supplyAsync(() -> {
                        try {
                            return publisher.nextLine(90);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    assertEquals("OK " + COUNT, a.nextLine(90), a.name);
                    assertEquals("OK " + COUNT, b.nextLine(90), b.name);
                    assertEquals("OK " + COUNT, published.get(90, TimeUnit.SECONDS), publisher.name);
                    assertTrue(publisher.process.waitFor(30, TimeUnit.SECONDS));
                    assertEquals(0, publisher.process.exitValue());
                }
                assertTrue(a.process.waitFor(30, TimeUnit.SECONDS) && b.process.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, a.process.exitValue());
                assertEquals(0, b.process.exitValue());
            }
        }
    }
}
