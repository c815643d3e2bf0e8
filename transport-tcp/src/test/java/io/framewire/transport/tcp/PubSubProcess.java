package io.framewire.transport.tcp;

import io.framewire.Client;
import io.framewire.Delivery;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.OverflowPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A publisher or a subscriber in a JVM of its own, for {@link PubSubProcessesTest}. It reports on
 * stdout, one line per event: {@code READY}, then {@code OK <count>} or {@code FAIL <why>}.
 *
 * <p>Arguments: {@code subscribe|publish <address> <topic> <count>}.
 */
public final class PubSubProcess {
    private PubSubProcess() {}

    public static void main(String[] args) throws Exception {
        String role = args[0];
        String address = args[1];
        String topic = args[2];
        int count = Integer.parseInt(args[3]);
        try (Client client = Client.connect(address)) {
            if (role.equals("subscribe")) {
                subscribe(client, topic, count);
            } else {
                publish(client, topic, count);
            }
        }
    }

    private static void subscribe(Client client, String topic, int count) {
        // BLOCK: a subscriber that falls behind slows the publisher instead of losing messages.
        Subscription s = client.subscribe(topic, SubscribeOptions.DEFAULT.withOverflow(OverflowPolicy.BLOCK)
                .withBlockTimeout(Duration.ofSeconds(60)));
        report("READY");
        for (int i = 0; i < count; i++) {
            Delivery d = s.next(Duration.ofSeconds(60)).orElse(null);
            if (d == null) {
                report("FAIL nothing after " + i + " messages");
                return;
            }
            if (d instanceof Gap g) {
                report("FAIL lost messages: " + g);
                return;
            }
            Message m = (Message) d;
            String expected = "msg-" + i;
            if (m.sequence() != i + 1 || !m.text().equals(expected)) {
                report("FAIL out of order at " + i + ": got #" + m.sequence() + " '" + m.text() + "', expected #" + (i + 1)
                        + " '" + expected + "'");
                return;
            }
        }
        report("OK " + count);
    }

    private static void publish(Client client, String topic, int count) throws Exception {
        for (int i = 0; i < count - 1; i++) {
            client.publish(topic, ("msg-" + i).getBytes(StandardCharsets.UTF_8));
        }
        // The last one acknowledged: once it is queued for every subscriber, so are all before it.
        client.publishAcked(topic, ("msg-" + (count - 1)).getBytes(StandardCharsets.UTF_8), Metadata.EMPTY)
                .get(60, TimeUnit.SECONDS);
        report("OK " + count);
    }

    private static void report(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
