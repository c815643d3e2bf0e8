package io.framewire.transport.udp;

import static io.framewire.transport.udp.UdpPubSubTest.deliverSequence;
import static io.framewire.transport.udp.UdpPubSubTest.explode;
import static io.framewire.transport.udp.UdpPubSubTest.pubsubFrame;
import static io.framewire.transport.udp.UdpPubSubTest.text;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Client;
import io.framewire.Delivery;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.Metadata;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tail of a subscription's stream over udp:// (PROTOCOL.md section 9.6, TAIL): deliveries lost
 * just before the publisher falls silent are reported as a LOST gap without a later message; a TAIL
 * that races its deliveries, arrives late, twice or not at all makes no false gap; bad TAIL datagrams
 * are dropped and counted. Through the public {@link Client}, with a {@link ScriptedRelay} between
 * the subscriber and the server.
 */
@Timeout(60)
class UdpPubSubTailTest extends UdpPubSubFixture {

    static boolean isTail(byte[] d) {
        return d.length > DatagramLayout.KIND_OFFSET && d[DatagramLayout.KIND_OFFSET] == DatagramLayout.TAIL;
    }

    static boolean isDeliver(byte[] r) {
        return pubsubFrame(r) == FrameType.DELIVER.code();
    }

    /** Forwards every datagram (a BATCH as its records) but the records from the server that {@code lose} picks. */
    static ScriptedRelay.Script losing(java.util.function.Predicate<byte[]> lose) {
        return (fromServer, d) -> {
            List<byte[]> out = new ArrayList<>();
            for (byte[] r : explode(d)) {
                if (!(fromServer && lose.test(r))) {
                    out.add(r);
                }
            }
            return out;
        };
    }

    private static List<Delivery> recorded(Client c, String topic) {
        List<Delivery> seen = new CopyOnWriteArrayList<>();
        c.subscribe(topic, SubscribeOptions.DEFAULT, Subscription.Listener.of(seen::add, seen::add));
        return seen;
    }

    private static void publish(Client publisher, String topic, int n) throws Exception {
        for (int i = 1; i <= n; i++) {
            publisher.publishAcked(topic, text(topic + i), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        }
    }

    private static List<Long> messages(List<Delivery> seen) {
        return seen.stream().filter(d -> d instanceof Message).map(d -> ((Message) d).sequence()).toList();
    }

    private static boolean noGaps(List<Delivery> seen) {
        return seen.stream().allMatch(d -> d instanceof Message);
    }

    @Test
    void theLastDeliveriesLostBeforeThePublisherFallsSilentAreReportedAsALostGap() throws Exception {
        startServer(UdpOptions.defaults());
        // Subscriptions 1 and 2 lose their last two deliveries (4 and 5) and the publisher says no more.
        ScriptedRelay relay = relay(losing(r -> isDeliver(r) && deliverSequence(r) >= 4));
        Client subscriber = client(relay.port(), UdpOptions.defaults());
        Client publisher = client(server.address().port(), UdpOptions.defaults());
        List<Delivery> a = recorded(subscriber, "a");
        List<Delivery> b = recorded(subscriber, "b");
        publish(publisher, "a", 5);
        publish(publisher, "b", 5);
        long silent = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> a.size() == 4 && b.size() == 4);
        // A figure for the report, not an assertion: tailInterval (100 ms) + the reorder window (100 ms) + ticks.
        System.out.printf("udp tail loss: reported %d ms after the publisher's last acknowledged publish%n",
                (System.nanoTime() - silent) / 1_000_000);
        for (List<Delivery> seen : List.of(a, b)) {
            assertEquals(List.of(1L, 2L, 3L), messages(seen.subList(0, 3)));
            Gap gap = assertInstanceOf(Gap.class, seen.get(3));
            assertEquals(4, gap.firstSequence());
            assertEquals(5, gap.lastSequence().orElseThrow());
            assertEquals(Gap.Reason.LOST, gap.reason());
        }
        UdpCounters c = connectionTo(relay.port()).counters;
        assertEquals(4, c.pubsubLost.sum());
        assertTrue(c.tailsReceived.sum() >= 2, "the gaps came from TAIL records: " + c.tailsReceived.sum());
        // Told 1, 3, 7 and 15 intervals after the last delivery: the repeats report nothing twice.
        await().atMost(Duration.ofSeconds(10)).until(() -> c.tailsReceived.sum() >= 2 * UdpPubSubPeer.TAIL_REPEATS);
        assertEquals(4, c.pubsubLost.sum());
        assertEquals(4, a.size());
        assertEquals(4, b.size());
    }

    @Test
    void aQuietSubscriptionIsToldItsTailFourTimesThenNoMore() throws Exception {
        startServer(UdpOptions.builder().tailInterval(Duration.ofMillis(20)).build());
        // Renewals every 500 ms are the clock this test reads: told at 20, 60, 140 and 300 ms after the
        // delivery; a fifth, if there were one, would follow at 620 ms, well before the third renewal.
        Client subscriber = client(server.address().port(), UdpOptions.builder().leaseRenewal(Duration.ofMillis(500)).build());
        Client publisher = client();
        List<Delivery> seen = recorded(subscriber, "t");
        publish(publisher, "t", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.leasesRenewed.sum() >= 3);
        assertEquals(UdpPubSubPeer.TAIL_REPEATS, endpoint.counters.tailsSent.sum());
        assertEquals(List.of(1L), messages(seen));
        assertTrue(noGaps(seen));
    }

    @Test
    void aLostTailIsToldAgain() throws Exception {
        startServer(UdpOptions.defaults());
        AtomicInteger tailsLost = new AtomicInteger();
        ScriptedRelay relay = relay((fromServer, d) -> {
            if (fromServer && isTail(d) && tailsLost.get() < UdpPubSubPeer.TAIL_REPEATS - 1) {
                tailsLost.incrementAndGet(); // all but the last of the repeats
                return List.of();
            }
            return losing(r -> isDeliver(r) && deliverSequence(r) == 2).rewrite(fromServer, d);
        });
        Client subscriber = client(relay.port(), UdpOptions.defaults());
        Client publisher = client(server.address().port(), UdpOptions.defaults());
        List<Delivery> seen = recorded(subscriber, "t");
        publish(publisher, "t", 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
        Gap gap = assertInstanceOf(Gap.class, seen.get(1));
        assertEquals(2, gap.firstSequence());
        assertEquals(2, gap.lastSequence().orElseThrow());
        assertEquals(UdpPubSubPeer.TAIL_REPEATS - 1, tailsLost.get());
    }

    @Test
    void deliveriesOvertakenByTheirTailAreNoLossWithinTheReorderWindow() throws Exception {
        startServer(UdpOptions.defaults());
        // Deliveries 3 and 4, the last, are held until the second TAIL (200 ms after the first), so the
        // first TAIL overtakes them by many of the client's ticks; the client's reorder window is 1 s.
        List<byte[]> held = new ArrayList<>();
        AtomicInteger tails = new AtomicInteger();
        ScriptedRelay relay = relay((fromServer, d) -> {
            if (fromServer && isTail(d) && tails.incrementAndGet() == 2) {
                List<byte[]> out = new ArrayList<>();
                out.add(d);
                out.addAll(held);
                return out;
            }
            List<byte[]> out = new ArrayList<>();
            for (byte[] r : explode(d)) {
                if (fromServer && tails.get() < 2 && pubsubFrame(r) == FrameType.DELIVER.code() && deliverSequence(r) >= 3) {
                    held.add(r);
                    continue;
                }
                out.add(r);
            }
            return out;
        });
        UdpOptions patient = UdpOptions.builder().initialRetransmit(Duration.ofSeconds(1)).maxRetransmit(Duration.ofSeconds(2)).build();
        Client subscriber = client(relay.port(), patient);
        Client publisher = client(server.address().port(), UdpOptions.defaults());
        List<Delivery> seen = recorded(subscriber, "t");
        publish(publisher, "t", 4);
        UdpCounters c = connectionTo(relay.port()).counters;
        // Every TAIL of the burst has arrived, past the reorder window of the first.
        await().atMost(Duration.ofSeconds(10)).until(() -> c.tailsReceived.sum() >= UdpPubSubPeer.TAIL_REPEATS);
        assertEquals(List.of(1L, 2L, 3L, 4L), messages(seen));
        assertTrue(noGaps(seen), "no false gap: " + seen);
        assertEquals(0, c.pubsubLost.sum());
        assertEquals(0, c.dropped(Drop.PUBSUB_DUPLICATE));
    }

    @Test
    void aLateOrRepeatedTailIsNoLoss() throws Exception {
        startServer(UdpOptions.defaults());
        // The first TAIL (highest 2) is held until delivery 4 has passed, then sent twice.
        AtomicReference<byte[]> heldTail = new AtomicReference<>();
        AtomicBoolean released = new AtomicBoolean();
        ScriptedRelay relay = relay((fromServer, d) -> {
            if (fromServer && isTail(d) && heldTail.get() == null) {
                heldTail.set(d);
                return List.of();
            }
            List<byte[]> out = new ArrayList<>();
            for (byte[] r : explode(d)) {
                out.add(r);
                if (fromServer && pubsubFrame(r) == FrameType.DELIVER.code() && deliverSequence(r) == 4) {
                    out.add(heldTail.get());
                    out.add(heldTail.get());
                    released.set(true);
                }
            }
            return out;
        });
        Client subscriber = client(relay.port(), UdpOptions.defaults());
        Client publisher = client(server.address().port(), UdpOptions.defaults());
        List<Delivery> seen = recorded(subscriber, "t");
        publish(publisher, "t", 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> heldTail.get() != null);
        assertEquals(2, ByteBuffer.wrap(heldTail.get()).getLong(DatagramLayout.TAIL_RECORDS_OFFSET + 4));
        publish(publisher, "t", 2);
        await().atMost(Duration.ofSeconds(10)).until(released::get);
        UdpCounters c = connectionTo(relay.port()).counters;
        // The late TAIL twice, then the four of the second burst.
        await().atMost(Duration.ofSeconds(10)).until(() -> c.tailsReceived.sum() >= 2 + UdpPubSubPeer.TAIL_REPEATS);
        assertEquals(List.of(1L, 2L, 3L, 4L), messages(seen));
        assertTrue(noGaps(seen), "no false gap: " + seen);
        assertEquals(0, c.pubsubLost.sum());
    }

    @Test
    void tailsOfManySubscriptionsSpanSeveralDatagrams() throws Exception {
        UdpOptions small = UdpOptions.builder().maxDatagramSize(UdpOptions.MIN_DATAGRAM_SIZE).build();
        int perDatagram = (small.maxDatagramSize() - DatagramLayout.TAIL_RECORDS_OFFSET) / DatagramLayout.TAIL_RECORD_LENGTH;
        int n = 2 * perDatagram + 5;
        startServer(small);
        AtomicInteger largestTail = new AtomicInteger();
        ScriptedRelay relay = relay((fromServer, d) -> {
            if (fromServer && isTail(d)) {
                largestTail.accumulateAndGet((d.length - DatagramLayout.TAIL_RECORDS_OFFSET) / DatagramLayout.TAIL_RECORD_LENGTH,
                        Math::max);
            }
            return losing(UdpPubSubTailTest::isDeliver).rewrite(fromServer, d); // every delivery is lost
        });
        Client subscriber = client(relay.port(), small);
        Client publisher = client(server.address().port(), small);
        List<List<Delivery>> subscriptions = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            subscriptions.add(recorded(subscriber, "t." + i));
        }
        for (int i = 0; i < n; i++) {
            publisher.publish("t." + i, text("m"));
        }
        publisher.publishAcked("t.0", text("m"), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).until(() -> subscriptions.stream().allMatch(s -> !s.isEmpty()
                && s.get(s.size() - 1) instanceof Gap g && g.lastSequence().orElseThrow() == (s == subscriptions.get(0) ? 2 : 1)));
        // The records due in one tick went out in datagrams of at most this size (an oversized one would
        // have been dropped by the client, and its gaps never reported).
        assertTrue(largestTail.get() <= perDatagram, largestTail.get() + " records in one TAIL");
        assertEquals(n + 1, connectionTo(relay.port()).counters.pubsubLost.sum());
    }

    @Test
    void badTailDatagramsAreDroppedAndCountedAndChangeNothing() throws Exception {
        startServer(UdpOptions.defaults());
        AtomicBoolean injected = new AtomicBoolean();
        ScriptedRelay relay = relay((fromServer, d) -> {
            if (!fromServer || !isTail(d) || injected.getAndSet(true)) {
                return List.of(d);
            }
            long session = ByteBuffer.wrap(d).getLong(DatagramLayout.SESSION_OFFSET);
            int sub = ByteBuffer.wrap(d).getInt(DatagramLayout.TAIL_RECORDS_OFFSET);
            List<byte[]> out = new ArrayList<>();
            out.add(java.util.Arrays.copyOf(d, DatagramLayout.TAIL_RECORDS_OFFSET + 5)); // truncated
            byte[] wrongChannel = d.clone();
            wrongChannel[DatagramLayout.CHANNEL_OFFSET] = DatagramLayout.CHANNEL_CALL;
            out.add(wrongChannel);
            out.add(java.util.Arrays.copyOf(d, d.length + 3)); // a partial record
            out.add(DatagramLayout.tail(session, new int[] {sub, 0}, new long[] {9, 9}, 0, 2)); // subscription 0
            out.add(DatagramLayout.tail(session, new int[] {sub}, new long[] {0}, 0, 1)); // highest 0
            out.add(DatagramLayout.tail(session, new int[] {sub}, new long[] {Long.MIN_VALUE}, 0, 1)); // above 2^63
            out.add(DatagramLayout.tail(session, new int[] {sub, 99}, new long[] {1, 9}, 0, 2)); // 99: not a subscription
            out.add(DatagramLayout.tail(session, new int[] {sub}, new long[] {2 + UdpPubSubClient.TAIL_MAX_AHEAD}, 0, 1));
            out.add(d);
            return out;
        });
        Client subscriber = client(relay.port(), UdpOptions.defaults());
        Client publisher = client(server.address().port(), UdpOptions.defaults());
        List<Delivery> seen = recorded(subscriber, "t");
        publish(publisher, "t", 1);
        UdpCounters c = connectionTo(relay.port()).counters;
        await().atMost(Duration.ofSeconds(10)).until(() -> c.tailsReceived.sum() >= 2);
        assertEquals(1, c.dropped(Drop.TRUNCATED));
        assertEquals(5, c.dropped(Drop.PUBSUB_MALFORMED));
        assertEquals(1, c.dropped(Drop.PUBSUB_STALE));
        assertEquals(1, c.dropped(Drop.PUBSUB_TAIL_AHEAD));
        // The subscription goes on from where it was: no gap, the next message is number 2.
        publish(publisher, "t", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() >= 2);
        assertEquals(List.of(1L, 2L), messages(seen));
        assertTrue(noGaps(seen), "no gap: " + seen);
        // A server takes no TAIL: an unknown kind from a client.
        try (RawUdpPeer raw = new RawUdpPeer(server.address().port())) {
            raw.handshake();
            long unknown = endpoint.counters.dropped(Drop.UNKNOWN_KIND);
            raw.send(DatagramLayout.tail(raw.session, new int[] {1}, new long[] {5}, 0, 1));
            await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.UNKNOWN_KIND) == unknown + 1);
        }
    }

    @Test
    void tailIntervalOutOfRangeIsRefusedByName() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> UdpOptions.builder().tailInterval(Duration.ZERO).build());
        assertTrue(e.getMessage().startsWith("tailInterval must be positive"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> UdpOptions.builder().tailInterval(Duration.ofDays(400 * 365)).build());
        assertTrue(e.getMessage().startsWith("tailInterval must be at most PT1M"), e.getMessage());
        assertEquals(Duration.ofMillis(100), UdpOptions.defaults().tailInterval());
    }
}
