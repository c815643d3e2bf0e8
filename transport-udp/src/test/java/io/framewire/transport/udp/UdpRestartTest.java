package io.framewire.transport.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.framewire.Client;
import io.framewire.Message;
import io.framewire.Server;
import io.framewire.Subscription;
import io.framewire.protocol.Metadata;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A server restarted on the port its predecessor in this process used gets that port, though the JDK may
 * finish closing the old socket a moment after {@code close()} returned: seen failing about 1 restart in
 * 30 with "Address already in use" before the new server retried its bind for a port just let go.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UdpRestartTest extends ClosesAfterEach {
    private static final int RESTARTS = 60;

    @Test
    void aServerRestartedOnItsPredecessorsPortAlwaysBindsIt() throws Exception {
        Server[] current = {Server.builder().listen("udp://127.0.0.1:0").build().start()};
        open.add(() -> current[0].close());
        String address = current[0].address().toString();
        for (int i = 0; i < RESTARTS; i++) {
            // Traffic both ways, so the old socket has sends and a receive in flight when it closes.
            try (Client client = Client.builder(address).connectTimeout(Duration.ofSeconds(10)).connect();
                 Subscription s = client.subscribe("restart.t")) {
                client.publishAcked("restart.t", ("m" + i).getBytes(StandardCharsets.UTF_8), Metadata.EMPTY)
                        .get(20, TimeUnit.SECONDS);
                assertEquals("m" + i, new String(s.next(Duration.ofSeconds(20)).map(d -> ((Message) d).data())
                        .orElseThrow(), StandardCharsets.UTF_8));
                current[0].shutdownNow();
                current[0].awaitTermination(Duration.ofSeconds(10));
            }
            current[0] = Server.builder().listen(address).build().start(); // throws if the port is not free
            assertEquals(address, current[0].address().toString());
        }
    }
}
