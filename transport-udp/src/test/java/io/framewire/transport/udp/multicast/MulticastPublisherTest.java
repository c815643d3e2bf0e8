package io.framewire.transport.udp.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The publisher's numbering, retransmit buffer and NAK answers; and publisher and receivers over a scripted lossy network. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MulticastPublisherTest {
    static final long MS = 1_000_000L;
    final MulticastCounters counters = new MulticastCounters();

    static MulticastOptions.Builder opts() {
        return MulticastOptions.defaults().toBuilder().nakInterval(Duration.ofMillis(20))
                .repairWindow(Duration.ofMillis(200)).heartbeatInterval(Duration.ofMillis(50));
    }

    static MulticastDatagram parse(byte[] d) {
        return MulticastDatagram.parse(d, d.length, 1 << 20, 65_507);
    }

    static MulticastDatagram.Nak nak(long pub, long first, long last) {
        return (MulticastDatagram.Nak) parse(MulticastLayout.nak(pub, new long[] {first}, new long[] {last}, 1));
    }

    @Test
    void messagesAreNumberedFromOneAndFragmented() {
        MulticastPublisher p = new MulticastPublisher(5, opts().build(), counters, 0);
        byte[][] first = p.publish(new byte[10], 0);
        byte[][] second = p.publish(new byte[2500], 0);
        assertEquals(1, first.length);
        assertEquals(3, second.length);
        MulticastDatagram.Data d1 = assertInstanceOf(MulticastDatagram.Data.class, parse(first[0]));
        MulticastDatagram.Data d2 = assertInstanceOf(MulticastDatagram.Data.class, parse(second[2]));
        assertEquals(1, d1.sequence());
        assertEquals(2, d2.sequence());
        assertEquals(2, d2.index());
        assertEquals(3, d2.count());
        assertEquals(2, p.highest());
        for (byte[] d : second) {
            assertTrue(d.length <= 1200);
        }
    }

    @Test
    void aNakIsAnsweredWithTheMessageMarkedAsARetransmissionOncePerInterval() {
        MulticastPublisher p = new MulticastPublisher(5, opts().build(), counters, 0);
        for (int i = 0; i < 5; i++) {
            p.publish(new byte[100], 0);
        }
        List<byte[]> answer = p.onNak(nak(5, 2, 3), 1 * MS);
        assertEquals(2, answer.size());
        MulticastDatagram.Data d = assertInstanceOf(MulticastDatagram.Data.class, parse(answer.get(0)));
        assertEquals(2, d.sequence());
        assertTrue(d.retransmit());
        assertTrue(p.onNak(nak(5, 2, 3), 10 * MS).isEmpty(), "a second receiver's NAK within the interval costs nothing");
        assertEquals(2, p.onNak(nak(5, 2, 3), 21 * MS).size());
        assertEquals(4, counters.retransmits.sum());
        assertEquals(1, p.onNak(nak(5, 5, 1000), 21 * MS).size(), "clipped to what was sent");
    }

    @Test
    void aFragmentNakIsAnsweredWithThoseFragmentsOnly() {
        MulticastPublisher p = new MulticastPublisher(5, opts().retransmitAge(Duration.ofMillis(100)).build(), counters, 0);
        p.publish(new byte[5000], 0);
        MulticastDatagram.NakFragments nak = (MulticastDatagram.NakFragments) parse(
                MulticastLayout.nakFragments(5, 1, new int[] {1, 3, 9}, 3));
        List<byte[]> answer = p.onNakFragments(nak, 1 * MS);
        assertEquals(2, answer.size(), "fragment 9 does not exist");
        MulticastDatagram.Data d = assertInstanceOf(MulticastDatagram.Data.class, parse(answer.get(1)));
        assertEquals(3, d.index());
        assertTrue(d.retransmit());
        assertTrue(p.onNakFragments(nak, 10 * MS).isEmpty(), "once per NAK interval");
        MulticastDatagram.NakFragments other = (MulticastDatagram.NakFragments) parse(
                MulticastLayout.nakFragments(5, 1, new int[] {0, 1}, 2));
        assertEquals(1, p.onNakFragments(other, 11 * MS).size(), "another receiver's other fragment is sent at once");
        assertInstanceOf(MulticastDatagram.Heartbeat.class, parse(p.onNakFragments(nak, 200 * MS).get(0)),
                "gone from the buffer: a heartbeat says so");
    }

    @Test
    void aNakForAnotherPublisherIsDropped() {
        MulticastPublisher p = new MulticastPublisher(5, opts().build(), counters, 0);
        p.publish(new byte[10], 0);
        assertTrue(p.onNak(nak(6, 1, 1), 0).isEmpty());
        assertEquals(1, counters.dropped(MulticastCounters.Drop.BAD_NAK));
    }

    @Test
    void theRetransmitBufferIsBoundedInBytesAndSaysSoToNakers() {
        MulticastPublisher p = new MulticastPublisher(5, opts().maxMessageBytes(32 * 1024).retransmitBytes(32 * 1024)
                .build(), counters, 0);
        for (int i = 0; i < 100; i++) {
            p.publish(new byte[1000], 0);
        }
        assertTrue(p.heldBytes() <= 32 * 1024, "held " + p.heldBytes());
        assertTrue(p.lowestRetained() > 60);
        List<byte[]> answer = p.onNak(nak(5, 1, 1), 0);
        assertEquals(1, answer.size());
        MulticastDatagram.Heartbeat hb = assertInstanceOf(MulticastDatagram.Heartbeat.class, parse(answer.get(0)));
        assertEquals(100, hb.highest());
        assertEquals(p.lowestRetained(), hb.lowestRetained());
        assertEquals(1, counters.unrepairable.sum());
    }

    @Test
    void theRetransmitBufferIsBoundedInAge() {
        MulticastPublisher p = new MulticastPublisher(5, opts().retransmitAge(Duration.ofMillis(100)).build(), counters, 0);
        p.publish(new byte[10], 0);
        p.publish(new byte[10], 50 * MS);
        assertEquals(1, p.onNak(nak(5, 1, 1), 100 * MS).size());
        assertInstanceOf(MulticastDatagram.Heartbeat.class, parse(p.onNak(nak(5, 1, 1), 101 * MS).get(0)));
        assertEquals(2, p.lowestRetained());
        p.heartbeatIfDue(151 * MS);
        assertEquals(0, p.heldBytes());
    }

    @Test
    void withoutRepairNothingIsKeptAndANakGetsAHeartbeat() {
        MulticastPublisher p = new MulticastPublisher(5, opts().repair(false).build(), counters, 0);
        p.publish(new byte[10], 0);
        assertEquals(0, p.heldBytes());
        List<byte[]> answer = p.onNak(nak(5, 1, 1), 0);
        MulticastDatagram.Heartbeat hb = assertInstanceOf(MulticastDatagram.Heartbeat.class, parse(answer.get(0)));
        assertEquals(2, hb.lowestRetained());
    }

    @Test
    void aSolicitIsAnsweredWithAHeartbeatOncePerInterval() {
        MulticastPublisher p = new MulticastPublisher(5, opts().build(), counters, 0);
        p.publish(new byte[10], 0);
        MulticastDatagram.Heartbeat hb = assertInstanceOf(MulticastDatagram.Heartbeat.class,
                parse(p.answerSolicit(1 * MS)));
        assertEquals(1, hb.highest());
        assertNull(p.answerSolicit(10 * MS), "many members joining at once cost one heartbeat");
        assertTrue(p.answerSolicit(21 * MS) != null);
    }

    @Test
    void heartbeatsAreSentWhenIdleAfterPublishing() {
        MulticastPublisher p = new MulticastPublisher(5, opts().build(), counters, 0);
        assertNull(p.heartbeatIfDue(1000 * MS), "nothing published yet");
        p.publish(new byte[10], 1000 * MS);
        assertNull(p.heartbeatIfDue(1049 * MS));
        MulticastDatagram.Heartbeat hb = assertInstanceOf(MulticastDatagram.Heartbeat.class,
                parse(p.heartbeatIfDue(1050 * MS)));
        assertEquals(1, hb.highest());
        assertEquals(1, hb.lowestRetained());
        assertNull(p.heartbeatIfDue(1060 * MS));
        assertTrue(p.heartbeatIfDue(1100 * MS) != null, "repeated while idle");
    }

    /**
     * One publisher, three receivers, a network that drops 10% of the group's datagrams (a different
     * 10% for each receiver) and some NAKs: with repair every receiver gets every message in order;
     * without, every loss is a gap and the rest arrive in order.
     */
    @Test
    void overALossyNetworkRepairDeliversEverythingAndWithoutItEveryLossIsAGap() {
        int n = 2000;
        Result repaired = run(opts().build(), n, 0.10);
        for (int r = 0; r < 3; r++) {
            assertEquals(n, repaired.delivered[r], "receiver " + r + " " + repaired.counters[r]);
            assertEquals(0, repaired.lost[r]);
            assertTrue(repaired.counters[r].repaired.sum() > 0);
        }
        assertTrue(repaired.publisher.retransmits.sum() > 0);

        Result unrepaired = run(opts().repair(false).build(), n, 0.10);
        for (int r = 0; r < 3; r++) {
            assertEquals(n, unrepaired.delivered[r] + unrepaired.lost[r], "every message arrives or is a gap");
            assertTrue(unrepaired.lost[r] > 0);
        }
    }

    /** Every 10th message is 20,000 bytes (17 fragments), and a third of the datagrams are lost. */
    @Test
    void repairRecoversFragmentedMessagesUnderHeavyLoss() {
        int n = 500;
        Result repaired = run(opts().build(), n, 0.30, 10);
        for (int r = 0; r < 3; r++) {
            assertEquals(n, repaired.delivered[r], "receiver " + r + " " + repaired.counters[r]);
        }
    }

    record Result(long[] delivered, long[] lost, MulticastCounters[] counters, MulticastCounters publisher) {}

    private Result run(MulticastOptions o, int n, double loss) {
        return run(o, n, loss, Integer.MAX_VALUE);
    }

    private Result run(MulticastOptions o, int n, double loss, int bigEvery) {
        Random random = new Random(42);
        InetSocketAddress pubAddress = new InetSocketAddress("127.0.0.1", 45000);
        MulticastCounters pubCounters = new MulticastCounters();
        MulticastPublisher pub = new MulticastPublisher(77, o, pubCounters, 0);
        long[] delivered = new long[3];
        long[] lost = new long[3];
        long[] expectedNext = {1, 1, 1};
        MulticastCounters[] counters = new MulticastCounters[3];
        List<byte[]> naks = new ArrayList<>();
        MulticastReceiver[] receivers = new MulticastReceiver[3];
        for (int r = 0; r < 3; r++) {
            int me = r;
            counters[r] = new MulticastCounters();
            receivers[r] = new MulticastReceiver(o, counters[r], new MulticastReceiver.Output() {
                @Override
                public void message(long publisher, byte[] message) {
                    long seq = java.nio.ByteBuffer.wrap(message).getLong();
                    assertEquals(expectedNext[me], seq, "in order");
                    expectedNext[me] = seq + 1;
                    delivered[me]++;
                }

                @Override
                public void lost(long publisher, long count) {
                    expectedNext[me] += count;
                    lost[me] += count;
                }

                @Override
                public void send(InetSocketAddress to, byte[] datagram) {
                    assertEquals(pubAddress, to);
                    naks.add(datagram);
                }

                @Override
                public void solicited() {
                    // no member joins during the run
                }
            });
        }
        long now = 0;
        List<byte[]> toGroup = new ArrayList<>();
        toGroup.add(pub.heartbeat(now));
        for (int i = 1; i <= n || now < 2_000 * MS; i++) {
            now += MS / 4;
            if (i <= n) {
                byte[] message = new byte[i % bigEvery == 0 ? 20_000 : 8];
                java.nio.ByteBuffer.wrap(message).putLong(i);
                for (byte[] d : pub.publish(message, now)) {
                    toGroup.add(d);
                }
            }
            byte[] hb = pub.heartbeatIfDue(now);
            if (hb != null) {
                toGroup.add(hb);
            }
            for (byte[] d : toGroup) {
                for (MulticastReceiver r : receivers) {
                    if (random.nextDouble() >= loss) {
                        r.onDatagram(d, d.length, pubAddress, now);
                    }
                }
            }
            toGroup.clear();
            for (MulticastReceiver r : receivers) {
                r.tick(now);
            }
            for (byte[] nak : naks) {
                if (random.nextDouble() >= loss) {
                    toGroup.addAll(switch (parse(nak)) {
                        case MulticastDatagram.Nak whole -> pub.onNak(whole, now);
                        case MulticastDatagram.NakFragments some -> pub.onNakFragments(some, now);
                        default -> throw new AssertionError("not a NAK");
                    });
                }
            }
            naks.clear();
        }
        return new Result(delivered, lost, counters, pubCounters);
    }
}
