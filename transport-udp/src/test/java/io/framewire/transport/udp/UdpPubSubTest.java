package io.framewire.transport.udp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Client;
import io.framewire.Delivery;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.StatusCode;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pub/sub over udp:// through the public {@link Client}: order, fragmentation, a publish sent again
 * after a lost acknowledgement published once, lease expiry and renewal, lost deliveries reported as
 * LOST gaps (through a {@link ScriptedRelay}), the subscription bounds, and bad channel-2 datagrams.
 */
@Timeout(60)
class UdpPubSubTest extends UdpPubSubFixture {

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Message nextMessage(Subscription s) {
        Delivery d = s.next(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("no delivery within 10 s"));
        return assertInstanceOf(Message.class, d, "expected a message, got " + d);
    }

    // --- what a relay script looks at ---

    /** A BATCH split into its DATA records (a receiver takes them one by one just the same). */
    static List<byte[]> explode(byte[] d) {
        if (d[DatagramLayout.KIND_OFFSET] != DatagramLayout.BATCH) {
            return List.of(d);
        }
        List<byte[]> out = new ArrayList<>();
        for (ByteBuffer r : DatagramSession.unpack(ByteBuffer.wrap(d), d.length, ByteBuffer.wrap(d).getLong(2), null)) {
            byte[] b = new byte[r.remaining()];
            r.get(b);
            out.add(b);
        }
        return out;
    }

    /** The frame type a first fragment on channel PUBSUB carries, or -1. */
    static int pubsubFrame(byte[] d) {
        if (d[DatagramLayout.KIND_OFFSET] != DatagramLayout.DATA || d[DatagramLayout.CHANNEL_OFFSET] != DatagramLayout.CHANNEL_PUBSUB
                || d.length < DatagramLayout.DATA_HEADER_LENGTH + 10 || ByteBuffer.wrap(d).getInt(DatagramLayout.DATA_OFFSET_OFFSET) != 0) {
            return -1;
        }
        return d[DatagramLayout.DATA_HEADER_LENGTH + 4] & 0xFF;
    }

    static long deliverSequence(byte[] d) {
        return ByteBuffer.wrap(d).getLong(DatagramLayout.DATA_HEADER_LENGTH + 10);
    }

    static boolean pubsubAck(byte[] d) {
        return d[DatagramLayout.KIND_OFFSET] == DatagramLayout.ACK && d[DatagramLayout.CHANNEL_OFFSET] == DatagramLayout.CHANNEL_PUBSUB;
    }

    // --- tests ---

    @Test
    void subscribersReceiveEveryPublishInOrderIncludingFragmentedOnes() throws Exception {
        startServer(UdpOptions.defaults());
        Client subscriber = client();
        Client publisher = client();
        Subscription s = subscriber.subscribe("orders.*");
        for (int i = 1; i <= 50; i++) {
            publisher.publish("orders.created", text("m" + i));
        }
        byte[] big = new byte[200_000];
        new java.util.Random(7).nextBytes(big);
        publisher.publishAcked("orders.big", big, Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        for (int i = 1; i <= 50; i++) {
            Message m = nextMessage(s);
            assertEquals(i, m.sequence());
            assertEquals("m" + i, new String(m.data(), StandardCharsets.UTF_8));
        }
        Message m = nextMessage(s);
        assertEquals(51, m.sequence());
        assertEquals("orders.big", m.topic());
        assertArrayEquals(big, m.data());
        assertEquals(51, endpoint.counters.publishesDelivered.sum());
        assertEquals(51, endpoint.counters.deliveriesSent.sum());
    }

    @Test
    void aPublishSentAgainAfterItsAcknowledgementWasLostIsPublishedOnce() throws Exception {
        startServer(UdpOptions.defaults());
        Client subscriber = client();
        Subscription s = subscriber.subscribe("t");
        AtomicInteger lostAcks = new AtomicInteger();
        AtomicInteger lostAckFrames = new AtomicInteger();
        ScriptedRelay relay = new ScriptedRelay(server.address().port(), (fromServer, d) -> {
            List<byte[]> out = new ArrayList<>();
            for (byte[] r : explode(d)) {
                if (fromServer && pubsubAck(r) && lostAcks.getAndIncrement() == 0) {
                    continue; // the fire-and-forget PUBLISH's acknowledgement
                }
                if (fromServer && pubsubFrame(r) == FrameType.ACK.code() && lostAckFrames.getAndIncrement() == 0) {
                    continue; // the acknowledged PUBLISH's ACK frame
                }
                out.add(r);
            }
            return out;
        });
        open.add(relay);
        Client publisher = client(relay.port(), UdpOptions.defaults());
        publisher.publish("t", text("once"));
        publisher.publishAcked("t", text("acked once"), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        publisher.publishAcked("t", text("after"), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        assertEquals("once", new String(nextMessage(s).data(), StandardCharsets.UTF_8));
        assertEquals("acked once", new String(nextMessage(s).data(), StandardCharsets.UTF_8));
        Message after = nextMessage(s);
        assertEquals("after", new String(after.data(), StandardCharsets.UTF_8));
        assertEquals(3, after.sequence(), "nothing was published twice");
        assertEquals(3, endpoint.counters.publishesDelivered.sum());
        await().atMost(Duration.ofSeconds(10)).until(() -> connectionTo(relay.port()).counters.pubsubRetransmits.sum() >= 2);
        assertTrue(lostAcks.get() >= 2 && lostAckFrames.get() >= 2, "acknowledgements were lost, and sent again");
        assertEquals(3, endpoint.counters.publishesDelivered.sum());
    }

    /** Records deliveries and the end of a subscription. */
    static final class Recorder implements Subscription.Listener {
        final List<Delivery> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        final CompletableFuture<Status> ended = new CompletableFuture<>();

        @Override
        public void onMessage(Message message) {
            seen.add(message);
        }

        @Override
        public void onGap(Gap gap) {
            seen.add(gap);
        }

        @Override
        public void onEnd(Status status) {
            ended.complete(status);
        }
    }

    @Test
    void aSubscriptionThatIsNotRenewedIsDroppedAndOneThatIsRenewedStays() throws Exception {
        startServer(UdpOptions.builder().subscriptionLease(Duration.ofMillis(300)).build());
        Client silent = client(server.address().port(), UdpOptions.builder().leaseRenewal(Duration.ofHours(1)).build());
        Client renewing = client(server.address().port(), UdpOptions.builder().leaseRenewal(Duration.ofMillis(50)).build());
        Client publisher = client();
        Recorder dropped = new Recorder();
        Recorder kept = new Recorder();
        silent.subscribe("t", SubscribeOptions.DEFAULT, dropped);
        renewing.subscribe("t", SubscribeOptions.DEFAULT, kept);
        Status end = dropped.ended.get(10, TimeUnit.SECONDS);
        assertEquals(StatusCode.UNAVAILABLE, end.code());
        assertTrue(end.description().contains("lease expired"), end.description());
        // The renewing subscription outlives several leases.
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.leasesRenewed.sum() >= 20);
        publisher.publishAcked("t", text("still here"), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> kept.seen.size() == 1);
        assertEquals("still here", new String(((Message) kept.seen.get(0)).data(), StandardCharsets.UTF_8));
        assertEquals(1, endpoint.counters.leasesExpired.sum());
        assertTrue(dropped.seen.isEmpty());
        assertFalse(kept.ended.isDone(), "the renewed subscription did not end");
    }

    @Test
    void lostDeliveriesBecomeLostGapsAndReorderedOrDuplicatedOnesArriveOnceInOrder() throws Exception {
        startServer(UdpOptions.defaults());
        List<byte[]> held = new ArrayList<>();
        ScriptedRelay relay = new ScriptedRelay(server.address().port(), (fromServer, d) -> {
            List<byte[]> out = new ArrayList<>();
            for (byte[] r : explode(d)) {
                if (!fromServer || pubsubFrame(r) != FrameType.DELIVER.code()) {
                    out.add(r);
                    continue;
                }
                long seq = deliverSequence(r);
                if (seq == 3 || seq == 4) {
                    continue;
                }
                if (seq == 6) {
                    held.add(r);
                    continue;
                }
                out.add(r);
                if (seq == 7) {
                    out.addAll(held);
                }
                if (seq == 8) {
                    out.add(r);
                }
            }
            return out;
        });
        open.add(relay);
        Client subscriber = client(relay.port(), UdpOptions.defaults());
        Client publisher = client();
        Subscription s = subscriber.subscribe("t");
        for (int i = 1; i <= 10; i++) {
            publisher.publishAcked("t", text("m" + i), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        }
        assertEquals(1, nextMessage(s).sequence());
        assertEquals(2, nextMessage(s).sequence());
        Gap gap = assertInstanceOf(Gap.class, s.next(Duration.ofSeconds(10)).orElseThrow());
        assertEquals(3, gap.firstSequence());
        assertEquals(4, gap.lastSequence().orElseThrow());
        assertEquals(Gap.Reason.LOST, gap.reason());
        for (int i = 5; i <= 10; i++) {
            assertEquals(i, nextMessage(s).sequence());
        }
        publisher.publishAcked("t", text("m11"), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        assertEquals(11, nextMessage(s).sequence(), "the duplicate of 8 was dropped");
        UdpCounters c = connectionTo(relay.port()).counters;
        assertEquals(2, c.pubsubLost.sum());
        assertEquals(1, c.dropped(Drop.PUBSUB_DUPLICATE));
    }

    @Test
    void aSubscriberThatFallsBehindLosesDeliveriesAsLostGapsWithinItsBound() throws Exception {
        startServer(UdpOptions.defaults());
        Client subscriber = client();
        Client publisher = client();
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        List<Delivery> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        subscriber.subscribe("t", SubscribeOptions.DEFAULT.withPrefetch(10), new Subscription.Listener() {
            @Override
            public void onMessage(Message m) {
                seen.add(m);
                try {
                    release.await(30, TimeUnit.SECONDS); // stalls: the engine stops granting credit
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onGap(Gap gap) {
                seen.add(gap);
            }
        });
        int n = UdpPubSubClient.QUEUED_PER_SUBSCRIPTION + 500;
        for (int i = 1; i <= n; i++) {
            if (i % 64 == 0) {
                // Paced, so the subscriber's socket buffer (a few hundred small datagrams) is not what
                // overflows on a busy machine: the bound under test is the client's own queue.
                publisher.publishAcked("t", text("m" + i), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
            } else {
                publisher.publish("t", text("m" + i));
            }
        }
        publisher.publishAcked("t", text("last"), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        // The subscriber's connection, whichever of the two clients' connections it is.
        int port = server.address().port();
        await().atMost(Duration.ofSeconds(20)).until(() -> UdpClientConnection.OPEN.stream()
                .filter(c -> c.remoteAddress().endsWith(":" + port))
                .mapToLong(c -> c.counters.dropped(Drop.PUBSUB_QUEUE_FULL)).sum() > 0);
        release.countDown();
        // Every sequence number is accounted for once, in order: a message or inside a gap.
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            List<Long> now = accounted(seen); // once: deliveries keep arriving while this runs
            return now.size() == n + 1 || !now.isEmpty() && now.get(now.size() - 1) == n + 1;
        });
        assertEquals(java.util.stream.LongStream.rangeClosed(1, n + 1).boxed().toList(), accounted(seen));
        assertTrue(seen.stream().anyMatch(d -> d instanceof Gap g && g.reason() == Gap.Reason.LOST));
    }

    @Test
    void underLossDuplicationAndReorderingEveryPublishIsPublishedOnceAndEverySequenceNumberIsAccountedForOnce() throws Exception {
        UdpOptions quick = UdpOptions.builder().initialRetransmit(Duration.ofMillis(20)).maxRetransmit(Duration.ofMillis(200)).build();
        startServer(quick);
        java.net.InetSocketAddress at = new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), server.address().port());
        LossyRelay toPublisher = new LossyRelay(at, 0.10, 0.05, 0.05, 11);
        open.add(toPublisher);
        LossyRelay toSubscriber = new LossyRelay(at, 0.10, 0.05, 0.05, 12);
        open.add(toSubscriber);
        Client subscriber = client(toSubscriber.port(), quick);
        Client publisher = client(toPublisher.port(), quick);
        List<Delivery> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        subscriber.subscribe("t", SubscribeOptions.DEFAULT, Subscription.Listener.of(seen::add, seen::add));
        int n = 2000;
        for (int i = 1; i <= n; i++) {
            publisher.publish("t", text("m" + i));
        }
        publisher.publishAcked("t", text("acked"), Metadata.EMPTY).get(30, TimeUnit.SECONDS);
        // The last of them too, with no later message: a lost tail is told by the server's TAIL.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            List<Long> a = accounted(seen);
            return !a.isEmpty() && a.get(a.size() - 1) == n + 1;
        });
        List<Delivery> snapshot = List.copyOf(seen);
        List<Long> a = accounted(snapshot);
        assertEquals(java.util.stream.LongStream.rangeClosed(1, n + 1).boxed().toList(), a,
                "each sequence number once, in order, as a message or in a gap");
        // Every publish was published once, never twice.
        assertEquals(n + 1, endpoint.counters.publishesDelivered.sum());
        long messages = snapshot.stream().filter(d -> d instanceof Message).count();
        long lost = a.size() - messages;
        System.out.printf("udp pub/sub under 10%% loss, 5%% duplication, 5%% reordering each way: %d published once each"
                + " (%d publisher retransmissions), %d sequence numbers at the subscriber: %d messages, %d LOST%n",
                n + 1, connectionTo(toPublisher.port()).counters.pubsubRetransmits.sum(), a.size(), messages, lost);
        System.out.println("server: " + endpoint.counters);
        assertTrue(lost > 0, "the relay lost deliveries, and they were reported");
        assertTrue(snapshot.stream().allMatch(d -> d instanceof Message || ((Gap) d).reason() == Gap.Reason.LOST));
    }

    @Test
    void pubSubOptionsOutOfRangeAreRefusedByName() {
        IllegalArgumentException lease = assertThrows(IllegalArgumentException.class,
                () -> UdpOptions.builder().subscriptionLease(Duration.ZERO).build());
        assertTrue(lease.getMessage().startsWith("subscriptionLease must be positive"), lease.getMessage());
        IllegalArgumentException renewal = assertThrows(IllegalArgumentException.class,
                () -> UdpOptions.builder().leaseRenewal(Duration.ofSeconds(-1)).build());
        assertTrue(renewal.getMessage().startsWith("leaseRenewal must be positive"), renewal.getMessage());
        IllegalArgumentException perPeer = assertThrows(IllegalArgumentException.class,
                () -> UdpOptions.builder().subscriptionsPerPeer(0).build());
        assertTrue(perPeer.getMessage().startsWith("subscriptionsPerPeer must be at least 1"), perPeer.getMessage());
        IllegalArgumentException total = assertThrows(IllegalArgumentException.class,
                () -> UdpOptions.builder().subscriptionsPerPeer(10).subscriptionsTotal(5).build());
        assertTrue(total.getMessage().startsWith("subscriptionsTotal (at least subscriptionsPerPeer) must be at least 10"),
                total.getMessage());
    }

    static List<Long> accounted(List<Delivery> seen) {
        List<Long> out = new ArrayList<>();
        for (Delivery d : seen) {
            switch (d) {
                case Message m -> out.add(m.sequence());
                case Gap g -> {
                    for (long q = g.firstSequence(); q <= g.lastSequence().orElseThrow(); q++) {
                        out.add(q);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void subscriptionsAreBoundedPerClientAndForTheServer() throws Exception {
        startServer(UdpOptions.builder().subscriptionsPerPeer(2).subscriptionsTotal(3).build());
        Client a = client();
        Client b = client();
        Subscription a1 = a.subscribe("a.1");
        a.subscribe("a.2");
        StatusException perPeer = assertThrows(StatusException.class, () -> a.subscribe("a.3"));
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, perPeer.status().code());
        b.subscribe("b.1");
        StatusException total = assertThrows(StatusException.class, () -> b.subscribe("b.2"));
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, total.status().code());
        a1.unsubscribe();
        await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.subscriptions.get() == 2);
        Subscription b2 = b.subscribe("b.2");
        a.publishAcked("b.2", text("room again"), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        assertEquals("room again", new String(nextMessage(b2).data(), StandardCharsets.UTF_8));
    }

    @Test
    void theServersDedupMemoryIsBoundedPerClient() throws Exception {
        startServer(UdpOptions.defaults());
        try (RawUdpPeer raw = new RawUdpPeer(server.address().port())) {
            raw.handshake();
            int n = UdpPubSubPeer.DEDUP_ENTRIES + 10;
            for (int id = 1; id <= n; id++) {
                byte[] publish = FrameEncoder.encode(new Frame.Publish(0, "t", "", Metadata.EMPTY, new byte[] {1}));
                raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_PUBSUB, 1, id, publish.length, 0, publish));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> endpoint.counters.dropped(Drop.PUBSUB_DEDUP_FULL) >= 10);
            assertEquals(UdpPubSubPeer.DEDUP_ENTRIES, endpoint.counters.publishesDelivered.sum());
            assertEquals(UdpPubSubPeer.DEDUP_ENTRIES, endpoint.pubsubRemembered.get());
            // The floor passing them frees them, here and in the server's count.
            raw.send(DatagramLayout.renew(raw.session, n + 1, new int[0], 0, 0));
            await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.pubsubRemembered.get() == 0);
        }
    }

    @Test
    void theServersDedupMemoryIsBoundedForAllClientsTogether() throws Exception {
        startServer(UdpOptions.builder().cacheEntries(5).build());
        try (RawUdpPeer one = new RawUdpPeer(server.address().port()); RawUdpPeer two = new RawUdpPeer(server.address().port())) {
            one.handshake();
            two.handshake();
            byte[] publish = FrameEncoder.encode(new Frame.Publish(0, "t", "", Metadata.EMPTY, new byte[] {1}));
            for (int id = 1; id <= 4; id++) {
                one.send(one.data(one.session, DatagramLayout.CHANNEL_PUBSUB, 1, id, publish.length, 0, publish));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.pubsubRemembered.get() == 4);
            for (int id = 1; id <= 3; id++) {
                two.send(two.data(two.session, DatagramLayout.CHANNEL_PUBSUB, 1, id, publish.length, 0, publish));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.PUBSUB_DEDUP_FULL) == 2);
            assertEquals(5, endpoint.counters.publishesDelivered.sum());
            assertEquals(5, endpoint.pubsubRemembered.get());
        }
    }

    @Test
    void badPubSubDatagramsAtTheServerAreDroppedAndCounted() throws Exception {
        startServer(UdpOptions.defaults());
        Client good = client();
        Subscription s = good.subscribe("t");
        try (RawUdpPeer raw = new RawUdpPeer(server.address().port())) {
            raw.handshake();
            byte[] publish = FrameEncoder.encode(new Frame.Publish(0, "t", "", Metadata.EMPTY, new byte[] {1}));
            byte[] call = FrameEncoder.encode(new Frame.Call(1, MethodType.UNARY, -1, "x/y", Metadata.EMPTY));
            byte[] garbage = {0, 0, 0, 1, 7};
            // message id 0, bytes that are not a frame, a frame that does not belong on channel 2
            raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_PUBSUB, 1, 0, publish.length, 0, publish));
            raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_PUBSUB, 1, 1, garbage.length, 0, garbage));
            raw.send(raw.data(raw.session, DatagramLayout.CHANNEL_PUBSUB, 1, 2, call.length, 0, call));
            await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.PUBSUB_MALFORMED) == 3);
            // RENEW: truncated, a partial id, the wrong channel
            raw.send(ByteBuffer.allocate(DatagramLayout.HEADER_LENGTH + 3).put((byte) DatagramLayout.FORMAT)
                    .put((byte) DatagramLayout.RENEW).putLong(raw.session).array());
            byte[] partial = DatagramLayout.renew(raw.session, 1, new int[] {5}, 0, 1);
            raw.send(java.util.Arrays.copyOf(partial, partial.length + 2));
            byte[] wrongChannel = DatagramLayout.renew(raw.session, 1, new int[] {5}, 0, 1);
            wrongChannel[DatagramLayout.CHANNEL_OFFSET] = DatagramLayout.CHANNEL_CALL;
            raw.send(wrongChannel);
            await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.PUBSUB_MALFORMED) == 5
                    && endpoint.counters.dropped(Drop.TRUNCATED) >= 1);
            // an ACK on channel 2 means nothing from a client
            long unknown = endpoint.counters.dropped(Drop.UNKNOWN_KIND);
            raw.send(DatagramLayout.ack(DatagramLayout.ACK, raw.session, DatagramLayout.CHANNEL_PUBSUB, 1));
            await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.counters.dropped(Drop.UNKNOWN_KIND) == unknown + 1);
            // a RENEW of a subscription the server does not hold is answered SUBSCRIPTION_END
            raw.send(DatagramLayout.renew(raw.session, 1, new int[] {77}, 0, 1));
            byte[] end = raw.receive(5000, d -> pubsubFrame(d) == FrameType.SUBSCRIPTION_END.code()).orElseThrow();
            assertEquals(77, ByteBuffer.wrap(end).getInt(DatagramLayout.DATA_HEADER_LENGTH + 6));
        }
        good.publishAcked("t", text("still serving"), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        assertEquals("still serving", new String(nextMessage(s).data(), StandardCharsets.UTF_8));
        assertEquals(1, endpoint.counters.publishesDelivered.sum());
    }

    @Test
    void badPubSubDatagramsAtTheClientAreDroppedCountedAndBecomeGaps() throws Exception {
        startServer(UdpOptions.defaults());
        ScriptedRelay relay = new ScriptedRelay(server.address().port(), (fromServer, d) -> {
            List<byte[]> out = new ArrayList<>();
            for (byte[] r : explode(d)) {
                if (fromServer && pubsubFrame(r) == FrameType.DELIVER.code() && deliverSequence(r) == 2) {
                    byte[] bad = r.clone(); // the frame's type becomes CALL: not something a server sends on channel 2
                    bad[DatagramLayout.DATA_HEADER_LENGTH + 4] = (byte) FrameType.CALL.code();
                    out.add(bad);
                    byte[] junk = {0, 0, 0, 1, 2};
                    ByteBuffer j = ByteBuffer.allocate(DatagramLayout.DATA_HEADER_LENGTH + junk.length);
                    j.put(r, 0, DatagramLayout.DATA_HEADER_LENGTH).putInt(DatagramLayout.DATA_TOTAL_OFFSET, junk.length)
                            .putInt(DatagramLayout.DATA_ID_OFFSET, 999_999).position(DatagramLayout.DATA_HEADER_LENGTH);
                    out.add(j.put(junk).array());
                    continue;
                }
                out.add(r);
            }
            return out;
        });
        open.add(relay);
        Client subscriber = client(relay.port(), UdpOptions.defaults());
        Client publisher = client();
        Subscription s = subscriber.subscribe("t");
        for (int i = 1; i <= 3; i++) {
            publisher.publishAcked("t", text("m" + i), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
        }
        assertEquals(1, nextMessage(s).sequence());
        Gap gap = assertInstanceOf(Gap.class, s.next(Duration.ofSeconds(10)).orElseThrow());
        assertEquals(2, gap.firstSequence());
        assertEquals(Gap.Reason.LOST, gap.reason());
        assertEquals(3, nextMessage(s).sequence());
        assertEquals(2, connectionTo(relay.port()).counters.dropped(Drop.PUBSUB_MALFORMED));
    }
}
