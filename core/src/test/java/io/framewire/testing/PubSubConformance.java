package io.framewire.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Client;
import io.framewire.Delivery;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.Server;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.SubscribeOptions;
import io.framewire.Subscription;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.protocol.StatusCode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Publish/subscribe: matching with wildcards, queue groups, unsubscribe, the four overflow policies
 * with their gaps, request-reply, re-subscription after a server restart, and the server's own
 * in-process client.
 */
public abstract class PubSubConformance extends TransportFixture {

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Publishes and waits until the broker has queued it for every matching subscription. */
    static void publishAcked(Client c, String topic, String body) throws Exception {
        c.publishAcked(topic, text(body), Metadata.EMPTY).get(10, TimeUnit.SECONDS);
    }

    static Message nextMessage(Subscription s) {
        Delivery d = s.next(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("no delivery within 10 s"));
        return assertInstanceOf(Message.class, d, "expected a message, got " + d);
    }

    /** A push listener that records, and holds the first message until released, to play a stalled subscriber. */
    static final class StalledListener implements Subscription.Listener {
        final List<Delivery> seen = new CopyOnWriteArrayList<>();
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CompletableFuture<Status> ended = new CompletableFuture<>();

        @Override
        public void onMessage(Message m) {
            seen.add(m);
            if (holding.getCount() > 0) {
                holding.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void onGap(Gap gap) {
            seen.add(gap);
        }

        @Override
        public void onEnd(Status status) {
            ended.complete(status);
        }

        /** Every sequence number accounted for by a message or a gap, in order. */
        List<Long> accountedSequences() {
            List<Long> out = new ArrayList<>();
            for (Delivery d : seen) {
                switch (d) {
                    case Message m -> out.add(m.sequence());
                    case Gap g -> {
                        for (long s = g.firstSequence(); s <= g.lastSequence().orElseThrow(); s++) {
                            out.add(s);
                        }
                    }
                }
            }
            return out;
        }

        List<Long> messageSequences() {
            return seen.stream().filter(d -> d instanceof Message).map(d -> ((Message) d).sequence()).toList();
        }

        List<Gap> gaps() {
            return seen.stream().filter(d -> d instanceof Gap).map(d -> (Gap) d).toList();
        }
    }

    static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }

    /**
     * Overflow policies act on a subscriber that falls behind, which the broker sees only through
     * subscription credit returned end to end. A DATAGRAM transport (udp://) sends each delivery once
     * and at once instead, and a subscriber that falls behind loses deliveries as LOST gaps at its own
     * end (PROTOCOL.md section 9.6): these tests are skipped there.
     */
    final void assumeSubscriberFlowControl() {
        assumeCapability(io.framewire.spi.TransportCapability.RELIABLE_ORDERED);
    }

    // --- basics ---

    @Test
    void subscribersReceiveEveryMessageInOrderWithSequenceNumbers() throws Exception {
        Server server = startServer();
        Client sub = connect(server);
        Client pub = connect(server);
        Subscription s = closeLater(sub.subscribe("orders.created"));
        publishAcked(pub, "orders.created", "warm-up"); // the subscription is in place once this is delivered
        assertEquals("warm-up", nextMessage(s).text());
        for (int i = 0; i < 200; i++) {
            pub.publish("orders.created", text("order " + i),
                    Metadata.builder().put("n", String.valueOf(i)).build());
        }
        for (int i = 0; i < 200; i++) {
            Message m = nextMessage(s);
            assertEquals("order " + i, m.text());
            assertEquals(String.valueOf(i), m.metadata().get("n").orElseThrow());
            assertEquals("orders.created", m.topic());
            assertEquals(i + 2, m.sequence());
        }
    }

    @Test
    void aPushedSubscriptionHearsMessagesOffTheReaderThread() throws Exception {
        Server server = startServer();
        Client c = connect(server);
        List<String> threads = new CopyOnWriteArrayList<>();
        List<String> got = new CopyOnWriteArrayList<>();
        closeLater(c.subscribe("t", SubscribeOptions.DEFAULT, Subscription.Listener.of(m -> {
            threads.add(Thread.currentThread().getName());
            got.add(m.text());
        }, g -> got.add("gap"))));
        for (int i = 0; i < 50; i++) {
            publishAcked(c, "t", "m" + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> got.size() == 50);
        assertEquals(range(0, 49).stream().map(i -> "m" + i).toList(), got);
        assertTrue(threads.stream().noneMatch(t -> t.contains("reader")), threads.toString());
    }

    // --- matching ---

    /** Pattern, then the topics it must match; every other topic of TOPICS must not match. */
    static final Map<String, List<String>> MATCHES = new LinkedHashMap<>();
    static final List<String> TOPICS = List.of("a", "a.b", "a.b.c", "a.c", "b", "b.b", "x.a.b");

    static {
        MATCHES.put("a", List.of("a"));
        MATCHES.put("a.b", List.of("a.b"));
        MATCHES.put("*", List.of("a", "b"));
        MATCHES.put(">", List.of("a", "a.b", "a.b.c", "a.c", "b", "b.b", "x.a.b")); // '>' alone: everything
        MATCHES.put("a.*", List.of("a.b", "a.c"));                                   // '*' at the end: one token
        MATCHES.put("a.>", List.of("a.b", "a.b.c", "a.c"));                           // not 'a' itself
        MATCHES.put("*.b", List.of("a.b", "b.b"));
        MATCHES.put("*.*.*", List.of("a.b.c", "x.a.b"));
        MATCHES.put("a.*.c", List.of("a.b.c"));
        MATCHES.put("*.>", List.of("a.b", "a.b.c", "a.c", "b.b", "x.a.b"));
    }

    /** A topic a pattern surely matches, published last as its end marker. */
    static String endMarker(String pattern) {
        return pattern.replace("*", "zz").replace(">", "zz");
    }

    @Test
    void wildcardsMatchExactlyTheTopicsTheyShould() throws Exception {
        Server server = startServer();
        Client c = connect(server);
        Map<String, Subscription> subs = new LinkedHashMap<>();
        for (String pattern : MATCHES.keySet()) {
            subs.put(pattern, closeLater(c.subscribe(pattern)));
        }
        for (String pattern : MATCHES.keySet()) {
            publishAcked(c, endMarker(pattern), "ready"); // in place once each sees its marker
        }
        for (Map.Entry<String, Subscription> e : subs.entrySet()) {
            while (!(nextMessage(e.getValue()).topic().equals(endMarker(e.getKey())))) {
                // markers of other patterns this one also matches
            }
        }
        for (String topic : TOPICS) {
            publishAcked(c, topic, topic);
        }
        for (String pattern : MATCHES.keySet()) {
            publishAcked(c, endMarker(pattern), "end");
        }
        for (Map.Entry<String, Subscription> e : subs.entrySet()) {
            List<String> got = new ArrayList<>();
            for (Message m = nextMessage(e.getValue()); !m.topic().equals(endMarker(e.getKey())) || !m.text().equals("end");
                 m = nextMessage(e.getValue())) {
                if (TOPICS.contains(m.topic()) && m.text().equals(m.topic())) {
                    got.add(m.topic()); // test messages carry their topic; markers do not
                }
            }
            assertEquals(MATCHES.get(e.getKey()), got, "pattern " + e.getKey());
        }
    }

    @Test
    void emptyTokensAndMisplacedWildcardsAreRejected() {
        Client c = connect(startServer());
        for (String bad : List.of("a..b", ".a", "a.", "", "a b", "a.*", "a.>")) {
            // After a valid topic too: the client checks a topic it has just published to only once.
            c.publish("a.b", text("x"));
            assertThrows(IllegalArgumentException.class, () -> c.publish(bad, text("x")), "topic '" + bad + "'");
            assertThrows(IllegalArgumentException.class, () -> c.publish(bad, text("x")), "topic '" + bad + "' again");
        }
        for (String bad : List.of("a..b", ".a", "a.", "", "a.>.b", "a*", "a.b>", ">.a")) {
            assertThrows(IllegalArgumentException.class, () -> c.subscribe(bad), "pattern '" + bad + "'");
        }
    }

    // --- queue groups, unsubscribe ---

    @Test
    void queueGroupMembersShareMessagesAndPlainSubscribersGetThemAll() throws Exception {
        Server server = startServer();
        Client c = connect(server);
        List<Subscription> workers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            workers.add(closeLater(c.subscribe("jobs.>", SubscribeOptions.DEFAULT.withQueueGroup("workers"))));
        }
        Subscription audit = closeLater(c.subscribe("jobs.*"));
        publishAcked(c, "jobs.warmup", "w");
        assertEquals("w", nextMessage(audit).text());
        int total = 300;
        for (int i = 0; i < total; i++) {
            publishAcked(c, "jobs.run", "job " + i);
        }
        for (int i = 0; i < total; i++) {
            assertEquals("job " + i, nextMessage(audit).text());
        }
        List<String> done = new ArrayList<>();
        int[] perWorker = new int[3];
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (done.size() < total && System.nanoTime() < until) {
            for (int w = 0; w < 3; w++) {
                Optional<Delivery> d = workers.get(w).next(Duration.ofMillis(5));
                if (d.isPresent() && !((Message) d.get()).text().equals("w")) {
                    done.add(((Message) d.get()).text());
                    perWorker[w]++;
                }
            }
        }
        assertEquals(total, done.size(), "each job to exactly one worker");
        assertEquals(total, done.stream().distinct().count());
        for (int n : perWorker) {
            assertTrue(n > 0, "every worker took a share: " + java.util.Arrays.toString(perWorker));
        }
    }

    @Test
    void afterUnsubscribeNothingMoreArrives() throws Exception {
        Server server = startServer();
        Client c = connect(server);
        Subscription gone = c.subscribe("news");
        Subscription stays = closeLater(c.subscribe("news"));
        publishAcked(c, "news", "one");
        assertEquals("one", nextMessage(gone).text());
        assertEquals("one", nextMessage(stays).text());
        gone.unsubscribe();
        publishAcked(c, "news", "two");
        assertEquals("two", nextMessage(stays).text());
        StatusException e = assertThrows(StatusException.class, gone::next);
        assertEquals(StatusCode.CANCELLED, e.status().code());
        gone.unsubscribe(); // idempotent
    }

    // --- slow consumers ---

    /** A subscriber that takes one message and stalls: credit 1, queue of 5, the given policy. */
    StalledListener stalledSubscriber(Client c, OverflowPolicy policy, Duration blockTimeout) throws Exception {
        StalledListener l = new StalledListener();
        closeLater(c.subscribe("feed", SubscribeOptions.DEFAULT.withOverflow(policy).withMaxMessages(5).withPrefetch(1)
                .withBlockTimeout(blockTimeout), l));
        return l;
    }

    @Test
    void dropOldestDiscardsTheOldestAndReportsTheGapInPlace() throws Exception {
        assumeSubscriberFlowControl();
        Server server = startServer();
        Client subscriber = connect(server);
        Client publisher = connect(server);
        StalledListener l = stalledSubscriber(subscriber, OverflowPolicy.DROP_OLDEST, Duration.ofSeconds(1));
        publishAcked(publisher, "feed", "1");
        assertTrue(l.holding.await(10, TimeUnit.SECONDS), "the subscriber holds message 1");
        for (int i = 2; i <= 20; i++) {
            publishAcked(publisher, "feed", String.valueOf(i)); // the broker's queue keeps the newest 5
        }
        l.release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> l.accountedSequences().size() == 20);
        assertEquals(range(1, 20), l.accountedSequences(), "every sequence number once, in order");
        assertEquals(List.of(1L, 16L, 17L, 18L, 19L, 20L), l.messageSequences());
        assertTrue(l.gaps().stream().allMatch(g -> g.reason() == Gap.Reason.DROPPED_OLDEST), l.gaps().toString());
    }

    @Test
    void dropNewestDiscardsTheNewAndReportsTheGapAfterWhatWasKept() throws Exception {
        assumeSubscriberFlowControl();
        Server server = startServer();
        Client subscriber = connect(server);
        Client publisher = connect(server);
        StalledListener l = stalledSubscriber(subscriber, OverflowPolicy.DROP_NEWEST, Duration.ofSeconds(1));
        publishAcked(publisher, "feed", "1");
        assertTrue(l.holding.await(10, TimeUnit.SECONDS));
        for (int i = 2; i <= 20; i++) {
            publishAcked(publisher, "feed", String.valueOf(i));
        }
        l.release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> l.accountedSequences().size() == 20);
        assertEquals(range(1, 20), l.accountedSequences());
        assertEquals(range(1, 6), l.messageSequences());
        assertEquals(List.of(new Gap(6, 14, Gap.Reason.DROPPED_NEWEST)), l.gaps());
    }

    @Test
    void blockHoldsThePublisherUpToTheTimeoutThenFailsThePublishAndReportsTheGap() throws Exception {
        assumeSubscriberFlowControl();
        Server server = startServer();
        Client subscriber = connect(server);
        Client publisher = connect(server);
        StalledListener l = stalledSubscriber(subscriber, OverflowPolicy.BLOCK, Duration.ofMillis(300));
        publishAcked(publisher, "feed", "1");
        assertTrue(l.holding.await(10, TimeUnit.SECONDS));
        for (int i = 2; i <= 6; i++) {
            publishAcked(publisher, "feed", String.valueOf(i)); // fills the queue of 5
        }
        long t0 = System.nanoTime();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> publisher.publishAcked("feed", text("7"), Metadata.EMPTY).get(10, TimeUnit.SECONDS));
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, ((StatusException) e.getCause()).status().code());
        assertTrue(waited >= 250, "the publisher was held for the block timeout, not " + waited + " ms");

        // With room made in time, a blocked publish goes through: nothing is lost.
        CompletableFuture<Void> eighth = publisher.publishAcked("feed", text("8"), Metadata.EMPTY);
        l.release.countDown();
        eighth.get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> l.accountedSequences().size() == 8);
        assertEquals(range(1, 8), l.accountedSequences());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 8L), l.messageSequences());
        assertEquals(List.of(new Gap(6, 1, Gap.Reason.BLOCK_TIMEOUT)), l.gaps());
    }

    @Test
    void blockSlowsAFireAndForgetPublisherWithoutLossAndWithBoundedMemory() throws Exception {
        assumeSubscriberFlowControl();
        Server server = startServer();
        Client subscriber = connect(server);
        Client publisher = connect(server);
        StalledListener l = new StalledListener();
        closeLater(subscriber.subscribe("bulk", SubscribeOptions.DEFAULT.withOverflow(OverflowPolicy.BLOCK)
                .withMaxBytes(1 << 20).withPrefetch(1).withBlockTimeout(Duration.ofSeconds(25)), l));
        publishAcked(publisher, "bulk", "first");
        assertTrue(l.holding.await(10, TimeUnit.SECONDS));
        int count = 400;
        byte[] body = new byte[100 * 1024]; // 40 MB in all: far more than the queues in between hold
        AtomicInteger published = new AtomicInteger();
        Thread p = Thread.startVirtualThread(() -> {
            for (int i = 0; i < count; i++) {
                publisher.publish("bulk", body);
                published.incrementAndGet();
            }
        });
        // The publisher ends up held by its connection (waiting for queue room, or in a full socket
        // write), having handed over no more than the queues and buffers in between can hold.
        await().atMost(Duration.ofSeconds(10)).until(() -> java.util.Arrays.stream(p.getStackTrace())
                .anyMatch(f -> f.getMethodName().startsWith("awaitRoom") || f.getMethodName().equals("writeBatch")));
        int heldAt = published.get();
        assertTrue(heldAt < count * 3 / 4, "published " + heldAt + " of " + count + " while the subscriber stalled");
        l.release.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> l.seen.size() == count + 1);
        assertTrue(l.gaps().isEmpty(), "nothing lost: " + l.gaps());
        assertEquals(range(1, count + 1), l.messageSequences());
    }

    /**
     * A broker defers a fire-and-forget publish's offers to the end of its reader's socket read. Here one
     * read brings many more messages than the subscription's BLOCK queue of 3 holds, so the broker must
     * get the batch's first messages moving before it waits for room; and an acknowledged publish after
     * them is only acknowledged once they are queued, in order.
     */
    @Test
    void fireAndForgetPublishesFlowInOrderThroughABlockQueueSmallerThanABatch() throws Exception {
        Server server = startServer();
        Client subscriber = connect(server);
        Client publisher = connect(server);
        Subscription sub = closeLater(subscriber.subscribe("small", SubscribeOptions.DEFAULT.withOverflow(OverflowPolicy.BLOCK)
                .withMaxMessages(3).withPrefetch(2).withBlockTimeout(Duration.ofSeconds(25))));
        publishAcked(publisher, "small", "0");
        int count = 300;
        CompletableFuture<Void> last = CompletableFuture.runAsync(() -> {
            for (int i = 1; i < count; i++) {
                publisher.publish("small", text(String.valueOf(i)));
            }
        }).thenCompose(v -> publisher.publishAcked("small", text(String.valueOf(count)), Metadata.EMPTY));
        for (int i = 0; i <= count; i++) {
            Delivery d = sub.next(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("nothing within 10 s"));
            Message m = assertInstanceOf(Message.class, d, "no gap under BLOCK");
            assertEquals(String.valueOf(i), new String(m.data(), StandardCharsets.UTF_8));
            assertEquals(i + 1, m.sequence());
        }
        last.get(10, TimeUnit.SECONDS);
    }

    @Test
    void disconnectDropsTheSlowSubscribersConnectionAndTellsItExactlyWhatItLost() throws Exception {
        assumeSubscriberFlowControl();
        Server server = startServer();
        Client subscriber = connect(server);
        Client publisher = connect(server);
        StalledListener l = stalledSubscriber(subscriber, OverflowPolicy.DISCONNECT, Duration.ofSeconds(1));
        publishAcked(publisher, "feed", "1");
        assertTrue(l.holding.await(10, TimeUnit.SECONDS));
        for (int i = 2; i <= 7; i++) {
            publishAcked(publisher, "feed", String.valueOf(i)); // the 7th overflows a queue of 5
        }
        l.release.countDown();
        // The subscriber heard: message 1, a gap for 2..7 (queued when it was cut off), then, once it
        // had reconnected and subscribed again, a reconnect gap of unknown size.
        await().atMost(Duration.ofSeconds(10)).until(() -> l.seen.size() >= 3);
        assertEquals(1L, ((Message) l.seen.get(0)).sequence());
        assertEquals(new Gap(1, 6, Gap.Reason.SLOW_CONSUMER), l.seen.get(1));
        assertEquals(new Gap(7, -1, Gap.Reason.RECONNECT), l.seen.get(2));
        // The publisher was never held up, and the resubscribed subscriber gets new messages.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            publishAcked(publisher, "feed", "again");
            return l.seen.stream().anyMatch(d -> d instanceof Message m && m.text().equals("again"));
        });
    }

    @ParameterizedTest
    @EnumSource(value = OverflowPolicy.class, names = {"DROP_OLDEST", "DROP_NEWEST", "DISCONNECT"})
    void aSlowSubscriberDoesNotSlowTheOthers(OverflowPolicy policy) throws Exception {
        Server server = startServer();
        Client slowClient = connect(server);
        Client fastClient = connect(server);
        Client publisher = connect(server);
        StalledListener slow = stalledSubscriber(slowClient, policy, Duration.ofSeconds(1));
        Subscription fast = closeLater(fastClient.subscribe("feed"));
        publishAcked(publisher, "feed", "0");
        assertTrue(slow.holding.await(10, TimeUnit.SECONDS));
        assertEquals("0", nextMessage(fast).text());
        for (int i = 1; i <= 500; i++) {
            publishAcked(publisher, "feed", String.valueOf(i));
            assertEquals(String.valueOf(i), nextMessage(fast).text(), "the fast subscriber keeps pace");
        }
        slow.release.countDown();
    }

    // --- request-reply ---

    @Test
    void requestGetsTheFirstReply() throws Exception {
        Server server = startServer();
        Client responder = connect(server);
        Client requester = connect(server);
        for (int i = 0; i < 2; i++) {
            String name = "r" + i;
            closeLater(responder.subscribe("svc.time", SubscribeOptions.DEFAULT, Subscription.Listener.of(
                    m -> responder.reply(m, text(name + ":" + m.text())), g -> { })));
        }
        publishAcked(responder, "svc.time", "warm-up"); // both responders are in place
        Message reply = requester.request("svc.time", text("now?"), Duration.ofSeconds(10));
        assertTrue(reply.text().equals("r0:now?") || reply.text().equals("r1:now?"), reply.text());
        assertEquals("done", new String(requester.request("svc.time", text("done"), Duration.ofSeconds(10)).data(),
                StandardCharsets.UTF_8).substring(3));
    }

    @Test
    void aRequestNobodySubscribesToFailsAtOnceWithNoResponders() {
        Client c = connect(startServer());
        long t0 = System.nanoTime();
        StatusException e = assertThrows(StatusException.class,
                () -> c.request("nobody.home", text("hello?"), Duration.ofSeconds(20)));
        assertEquals(StatusCode.NOT_FOUND, e.status().code());
        assertTrue(e.status().description().contains("no responders"), e.status().description());
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 10, "failed at once, not at the deadline");
    }

    @Test
    void aRequestWithoutAReplyEndsAtItsDeadline() throws Exception {
        Server server = startServer();
        Client silent = connect(server);
        closeLater(silent.subscribe("svc.silent"));
        publishAcked(silent, "svc.silent", "in place");
        StatusException e = assertThrows(StatusException.class,
                () -> connect(server).request("svc.silent", text("anyone?"), Duration.ofMillis(300)));
        assertEquals(StatusCode.DEADLINE_EXCEEDED, e.status().code());
    }

    // --- reconnect, in-process ---

    @Test
    void afterTheServerRestartsTheClientSubscribesAgainAndReportsTheOutage() throws Exception {
        Server first = startServer();
        String address = first.address().toString();
        Client subscriber = connect(first);
        Subscription s = closeLater(subscriber.subscribe("news.>"));
        Client publisher = connect(first);
        publishAcked(publisher, "news.a", "before");
        assertEquals("before", nextMessage(s).text());

        first.shutdownNow();
        assertTrue(first.awaitTermination(Duration.ofSeconds(10)));
        startServerAt(address);
        // The subscriber reconnects on its own; the RECONNECT gap marks its new subscription.
        Delivery d = s.next(Duration.ofSeconds(20)).orElseThrow(() -> new AssertionError("no reconnect within 20 s"));
        assertEquals(new Gap(1, -1, Gap.Reason.RECONNECT), d);
        // Its SUBSCRIBE may still be on the way: publish until a message gets through.
        java.util.concurrent.atomic.AtomicReference<Message> after = new java.util.concurrent.atomic.AtomicReference<>();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).ignoreExceptions().until(() -> {
            publishAcked(publisher, "news.b", "after");
            s.next(Duration.ofMillis(100)).ifPresent(x -> after.compareAndSet(null, (Message) x));
            return after.get() != null;
        });
        assertEquals("after", after.get().text());
        assertEquals(2, after.get().sequence(), "numbering continues after the outage");
    }

    @Test
    void codeInsideTheServerPublishesAndSubscribesThroughItsLocalClient() throws Exception {
        Server server = startServer();
        Client local = server.localClient();
        Client remote = connect(server);
        Subscription atServer = local.subscribe("from.remote");
        Subscription atRemote = closeLater(remote.subscribe("from.server"));
        publishAcked(remote, "from.remote", "hello server");
        assertEquals("hello server", nextMessage(atServer).text());
        publishAcked(local, "from.server", "hello remote");
        assertEquals("hello remote", nextMessage(atRemote).text());
    }
}
