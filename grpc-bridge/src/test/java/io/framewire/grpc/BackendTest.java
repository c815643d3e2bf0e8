package io.framewire.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Client;
import io.framewire.Deadline;
import io.framewire.StatusException;
import io.framewire.protocol.StatusCode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway's connection to its backend: a call waits for the shared connect attempt no longer than
 * its own deadline, however long the attempt may take.
 */
@Timeout(30)
class BackendTest {
    /** A TCP listener that accepts and never says a word: a Framewire handshake to it waits for its timeout. */
    private ServerSocket silent;
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private Thread acceptor;

    @BeforeEach
    void silentListener() throws IOException {
        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofPlatform().daemon(true).start(() -> {
            try {
                while (true) {
                    held.add(silent.accept());
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
    }

    @AfterEach
    void close() throws Exception {
        silent.close();
        acceptor.join(5_000);
        for (Socket s : held) {
            s.close();
        }
    }

    @Test
    void aCallWaitsForTheConnectAttemptNoLongerThanItsDeadline() {
        String address = "tcp://127.0.0.1:" + silent.getLocalPort();
        Backend backend = new Backend(address, Client.builder(address).connectTimeout(Duration.ofSeconds(20)),
                Duration.ofSeconds(1));
        try {
            long start = System.nanoTime();
            StatusException e = assertThrows(StatusException.class,
                    () -> backend.client(Deadline.after(Duration.ofMillis(300))));
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(StatusCode.DEADLINE_EXCEEDED, e.status().code(), e.status().toString());
            assertTrue(e.status().description().contains(address), e.status().toString());
            // Far below the 20 s connect timeout that bounds the attempt itself.
            assertTrue(tookMillis < 10_000, "waited " + tookMillis + " ms");
            // A deadline already past fails at once, the attempt still going on.
            StatusException again = assertThrows(StatusException.class,
                    () -> backend.client(Deadline.after(Duration.ZERO)));
            assertEquals(StatusCode.DEADLINE_EXCEEDED, again.status().code());
        } finally {
            backend.close();
        }
    }
}
