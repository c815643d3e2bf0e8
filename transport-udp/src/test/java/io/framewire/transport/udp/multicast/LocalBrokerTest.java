package io.framewire.transport.udp.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.GapReason;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.OverflowPolicy;
import io.framewire.protocol.StatusCode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The broker's part a multicast connection plays for its client: matching, numbering, credit, overflow, gaps. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LocalBrokerTest {
    final List<Frame> frames = new ArrayList<>();
    final LocalBroker broker = new LocalBroker(frames::add, 1 << 20);

    LocalBrokerTest() {
        broker.clientMaxFrame(1 << 20);
    }

    static Frame.Subscribe sub(int id, String pattern, OverflowPolicy policy, int maxMessages, int credit) {
        return new Frame.Subscribe(id, pattern, "", policy, maxMessages, 1 << 20, 1000, credit);
    }

    static byte[] publish(String topic, String text) {
        return FrameEncoder.encode(new Frame.Publish(0, topic, "", Metadata.EMPTY, text.getBytes(StandardCharsets.UTF_8)));
    }

    List<String> seen() {
        List<String> out = new ArrayList<>();
        for (Frame f : frames) {
            switch (f) {
                case Frame.Deliver d -> out.add(d.subscriptionId() + ":" + d.sequence() + ":"
                        + new String(d.data(), StandardCharsets.UTF_8));
                case Frame.Gap g -> out.add(g.subscriptionId() + ":gap " + g.firstSequence() + ".." + g.lastSequence()
                        + " " + g.reason());
                default -> out.add(f.toString());
            }
        }
        frames.clear();
        return out;
    }

    @Test
    void messagesGoToMatchingSubscriptionsNumberedEachOnItsOwn() {
        broker.subscribe(sub(1, "a.>", OverflowPolicy.DROP_NEWEST, 100, 100));
        broker.subscribe(sub(2, "a.*.c", OverflowPolicy.DROP_NEWEST, 100, 100));
        assertTrue(broker.message(publish("a.b", "x")));
        assertTrue(broker.message(publish("a.b.c", "y")));
        assertTrue(broker.message(publish("z", "nobody")));
        assertEquals(List.of("1:1:x", "1:2:y", "2:1:y"), seen());
    }

    @Test
    void deliveriesWaitForCreditAndGapsDoNot() {
        broker.subscribe(sub(1, ">", OverflowPolicy.DROP_NEWEST, 100, 1));
        broker.message(publish("t", "one"));
        broker.message(publish("t", "two"));
        broker.lost(2);
        broker.message(publish("t", "five"));
        assertEquals(List.of("1:1:one"), seen(), "one credit");
        broker.credit(1, 1);
        assertEquals(List.of("1:2:two", "1:gap 3..4 " + LocalBroker.NETWORK_LOSS), seen(),
                "the gap follows in order, without credit");
        broker.credit(1, 5);
        assertEquals(List.of("1:5:five"), seen());
    }

    @Test
    void networkLossIsAGapForEverySubscription() {
        broker.subscribe(sub(1, "a", OverflowPolicy.DROP_NEWEST, 100, 100));
        broker.subscribe(sub(2, "b", OverflowPolicy.DROP_NEWEST, 100, 100));
        broker.message(publish("a", "x"));
        broker.lost(3);
        broker.lost(1);
        broker.message(publish("b", "y"));
        assertEquals(List.of("1:1:x", "1:gap 2..4 LOST", "2:gap 1..3 LOST",
                "1:gap 5..5 LOST", "2:gap 4..4 LOST", "2:5:y"), seen());
    }

    @Test
    void aFullQueueDropsTheNewestAsAGap() {
        broker.subscribe(sub(1, ">", OverflowPolicy.DROP_NEWEST, 2, 0));
        for (int i = 1; i <= 5; i++) {
            broker.message(publish("t", "m" + i));
        }
        assertEquals(List.of(), seen());
        broker.credit(1, 10);
        assertEquals(List.of("1:1:m1", "1:2:m2", "1:gap 3..5 DROPPED_NEWEST"), seen());
        assertEquals(0, broker.queuedBytes());
    }

    @Test
    void aFullQueueDropsTheOldestAsAGapUnderDropOldest() {
        broker.subscribe(sub(1, ">", OverflowPolicy.DROP_OLDEST, 2, 0));
        for (int i = 1; i <= 5; i++) {
            broker.message(publish("t", "m" + i));
        }
        assertEquals(List.of("1:gap 1..1 DROPPED_OLDEST", "1:gap 2..2 DROPPED_OLDEST", "1:gap 3..3 DROPPED_OLDEST"),
                seen(), "each gap goes out at once, ahead of the messages still queued");
        broker.credit(1, 10);
        assertEquals(List.of("1:4:m4", "1:5:m5"), seen());
    }

    @Test
    void queuedDeliveriesAreBoundedForAllSubscriptionsTogether() {
        LocalBroker small = new LocalBroker(frames::add, 1000);
        small.clientMaxFrame(1 << 20);
        small.subscribe(sub(1, ">", OverflowPolicy.DROP_NEWEST, 1000, 0));
        small.subscribe(sub(2, ">", OverflowPolicy.DROP_NEWEST, 1000, 0));
        for (int i = 0; i < 100; i++) {
            small.message(publish("t", "0123456789012345678901234567890123456789"));
        }
        assertTrue(small.queuedBytes() <= 1000, "queued " + small.queuedBytes());
        small.unsubscribe(1);
        small.unsubscribe(2);
        assertEquals(0, small.queuedBytes());
    }

    @Test
    void aDeliveryLongerThanTheClientsFrameIsAGapTooLarge() {
        broker.clientMaxFrame(16_384);
        broker.subscribe(sub(1, ">", OverflowPolicy.DROP_NEWEST, 100, 100));
        broker.message(publish("t", "x".repeat(20_000)));
        broker.message(publish("t", "small"));
        assertEquals(List.of("1:gap 1..1 TOO_LARGE", "1:2:small"), seen());
    }

    @Test
    void queueGroupsAndBadSubscriptionsAreRefused() {
        broker.subscribe(new Frame.Subscribe(1, "a", "workers", OverflowPolicy.DROP_NEWEST, 10, 10, 0, 10));
        broker.subscribe(sub(2, "a..b", OverflowPolicy.DROP_NEWEST, 10, 10));
        broker.subscribe(sub(3, "a", OverflowPolicy.DROP_NEWEST, 0, 10));
        Frame.SubscriptionEnd group = assertInstanceOf(Frame.SubscriptionEnd.class, frames.get(0));
        assertEquals(StatusCode.UNIMPLEMENTED, group.code());
        assertTrue(group.message().contains("queue groups"), group.message());
        assertEquals(StatusCode.INVALID_ARGUMENT, ((Frame.SubscriptionEnd) frames.get(1)).code());
        assertEquals(StatusCode.INVALID_ARGUMENT, ((Frame.SubscriptionEnd) frames.get(2)).code());
        frames.clear();
        broker.message(publish("a", "x"));
        assertEquals(List.of(), seen());
    }

    @Test
    void subscriptionsAreBoundedInNumber() {
        for (int i = 1; i <= LocalBroker.MAX_SUBSCRIPTIONS; i++) {
            broker.subscribe(sub(i, "a", OverflowPolicy.DROP_NEWEST, 10, 10));
        }
        assertTrue(frames.isEmpty());
        broker.subscribe(sub(LocalBroker.MAX_SUBSCRIPTIONS + 1, "a", OverflowPolicy.DROP_NEWEST, 10, 10));
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, ((Frame.SubscriptionEnd) frames.get(0)).code());
    }

    @Test
    void unsubscribedGetsNothingMore() {
        broker.subscribe(sub(1, ">", OverflowPolicy.DROP_NEWEST, 10, 10));
        broker.unsubscribe(1);
        broker.message(publish("t", "x"));
        broker.lost(1);
        assertEquals(List.of(), seen());
    }

    @Test
    void aMessageThatIsNotOnePublishFrameIsRefused() {
        broker.subscribe(sub(1, ">", OverflowPolicy.DROP_NEWEST, 10, 10));
        assertFalse(broker.message(new byte[] {0, 0, 0, 6, 0x22, 0}), "truncated");
        assertFalse(broker.message("garbage garbage garbage".getBytes(StandardCharsets.US_ASCII)));
        byte[] two = new byte[0];
        byte[] one = publish("t", "x");
        two = java.util.Arrays.copyOf(one, one.length * 2);
        System.arraycopy(one, 0, two, one.length, one.length);
        assertFalse(broker.message(two), "two frames");
        assertFalse(broker.message(FrameEncoder.encode(new Frame.Publish(5, "t", "", Metadata.EMPTY, new byte[1]))),
                "an ack id");
        assertFalse(broker.message(FrameEncoder.encode(new Frame.Publish(0, "bad topic", "", Metadata.EMPTY,
                new byte[1]))), "an invalid topic");
        assertFalse(broker.message(FrameEncoder.encode(new Frame.Ping(1))), "another frame type");
        assertEquals(List.of(), seen());
        assertEquals(GapReason.LOST, LocalBroker.NETWORK_LOSS);
    }
}
