package io.framewire.transport.udp.multicast;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The receiver's ordering, dedup, gap, repair and bounds logic, fed scripted datagrams; no sockets. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MulticastReceiverTest {
    static final long PUB = 0x1122334455667788L;
    static final InetSocketAddress SOURCE = new InetSocketAddress("127.0.0.1", 40000);
    static final InetSocketAddress OTHER = new InetSocketAddress("127.0.0.1", 40001);
    static final long MS = 1_000_000L;

    final MulticastCounters counters = new MulticastCounters();
    final RecordingOutput out = new RecordingOutput();

    MulticastReceiver receiver(MulticastOptions o) {
        return new MulticastReceiver(o, counters, out);
    }

    static MulticastOptions.Builder opts() {
        return MulticastOptions.defaults().toBuilder().repairWindow(Duration.ofMillis(100))
                .nakInterval(Duration.ofMillis(20));
    }

    static byte[] text(long seq) {
        return ("m" + seq).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] data(long seq) {
        return data(PUB, seq, 0);
    }

    static byte[] data(long pub, long seq, int flags) {
        return MulticastLayout.fragments(pub, seq, flags, text(seq), 1200)[0];
    }

    static void feed(MulticastReceiver r, byte[] d, long now) {
        feed(r, d, SOURCE, now);
    }

    static void feed(MulticastReceiver r, byte[] d, InetSocketAddress from, long now) {
        byte[] copy = d.clone(); // the receiver must copy what it keeps: the buffer is reused
        r.onDatagram(copy, copy.length, from, now);
        java.util.Arrays.fill(copy, (byte) 0x55);
    }

    @Test
    void inOrderMessagesAreHandedOnInOrder() {
        MulticastReceiver r = receiver(opts().build());
        for (long s = 1; s <= 3; s++) {
            feed(r, data(s), s * MS);
        }
        assertEquals(List.of("m1", "m2", "m3"), out.events);
        assertEquals(0, r.heldBytes());
    }

    @Test
    void duplicatesAreDroppedAndCounted() {
        MulticastReceiver r = receiver(opts().build());
        feed(r, data(1), 0);
        feed(r, data(1), 1);
        feed(r, data(3), 2);
        feed(r, data(3), 3);
        feed(r, data(2), 4);
        assertEquals(List.of("m1", "m2", "m3"), out.events);
        assertEquals(2, counters.dropped(MulticastCounters.Drop.DUPLICATE));
    }

    @Test
    void reorderedMessagesAreHeldAndHandedOnInOrder() {
        MulticastReceiver r = receiver(opts().build());
        feed(r, data(1), 0);
        feed(r, data(4), 1);
        feed(r, data(3), 2);
        assertEquals(List.of("m1"), out.events);
        assertTrue(r.heldBytes() > 0);
        feed(r, data(2), 3);
        assertEquals(List.of("m1", "m2", "m3", "m4"), out.events);
        assertEquals(0, r.heldBytes());
        assertEquals(0, counters.lost.sum());
    }

    @Test
    void withoutRepairAMissingMessageIsAGapOnceTheWindowHasPassed() {
        MulticastReceiver r = receiver(opts().repair(false).build());
        feed(r, data(1), 0);
        feed(r, data(3), 10 * MS);
        r.tick(109 * MS);
        assertEquals(List.of("m1"), out.events);
        r.tick(110 * MS);
        assertEquals(List.of("m1", "lost:1", "m3"), out.events);
        assertTrue(out.naks.isEmpty(), "no NAKs without repair");
        // It arrives after all: too late, dropped.
        feed(r, data(2), 111 * MS);
        assertEquals(1, counters.dropped(MulticastCounters.Drop.DUPLICATE));
        assertEquals(List.of("m1", "lost:1", "m3"), out.events);
    }

    @Test
    void aMissingMessageIsNakedToItsPublisherAndRepaired() {
        MulticastReceiver r = receiver(opts().build());
        feed(r, data(1), 0);
        feed(r, data(4), 10 * MS);
        r.tick(11 * MS); // before the NAK delay (a quarter of the NAK interval): maybe only reordered
        assertTrue(out.naks.isEmpty());
        r.tick(16 * MS);
        assertEquals(1, out.naks.size());
        assertEquals(SOURCE, out.nakTargets.get(0));
        MulticastDatagram.Nak nak = assertInstanceOf(MulticastDatagram.Nak.class,
                MulticastDatagram.parse(out.naks.get(0), out.naks.get(0).length, 1 << 20, 1200));
        assertEquals(PUB, nak.publisher());
        assertArrayEquals(new long[] {2}, nak.firsts());
        assertArrayEquals(new long[] {3}, nak.lasts());
        r.tick(30 * MS); // within the NAK interval: no second NAK
        assertEquals(1, out.naks.size());
        r.tick(36 * MS);
        assertEquals(2, out.naks.size(), "asked again after the NAK interval");
        feed(r, data(PUB, 3, MulticastLayout.FLAG_RETRANSMIT), 40 * MS);
        feed(r, data(PUB, 2, MulticastLayout.FLAG_RETRANSMIT), 41 * MS);
        assertEquals(List.of("m1", "m2", "m3", "m4"), out.events);
        assertEquals(2, counters.repaired.sum());
        r.tick(500 * MS);
        assertEquals(List.of("m1", "m2", "m3", "m4"), out.events, "nothing is reported lost after a repair");
    }

    @Test
    void aMessageHeldInPartIsRepairedFragmentByFragment() {
        MulticastReceiver r = receiver(opts().build());
        byte[] big = new byte[5000];
        new Random(2).nextBytes(big);
        byte[][] frags = MulticastLayout.fragments(PUB, 1, 0, big, 1200);
        feed(r, frags[0], 0);
        feed(r, frags[2], 0);
        feed(r, data(2), 1 * MS); // message 1 is missing now
        r.tick(10 * MS);
        assertEquals(1, out.naks.size());
        MulticastDatagram.NakFragments nak = assertInstanceOf(MulticastDatagram.NakFragments.class,
                MulticastDatagram.parse(out.naks.get(0), out.naks.get(0).length, 1 << 20, 1200));
        assertEquals(1, nak.sequence());
        assertArrayEquals(new int[] {1, 3, 4}, nak.indexes());
        for (int i : nak.indexes()) {
            byte[] resent = MulticastLayout.fragments(PUB, 1, MulticastLayout.FLAG_RETRANSMIT, big, 1200)[i];
            feed(r, resent, 12 * MS);
        }
        assertEquals(2, out.messages.size());
        assertArrayEquals(big, out.messages.get(0));
        assertEquals(1, counters.repaired.sum());
    }

    @Test
    void whatIsNotRepairedWithinTheWindowBecomesAGap() {
        MulticastReceiver r = receiver(opts().build());
        feed(r, data(1), 0);
        feed(r, data(3), 10 * MS);
        for (long t = 11; t < 110; t++) {
            r.tick(t * MS);
        }
        assertEquals(List.of("m1"), out.events);
        assertTrue(out.naks.size() >= 4, "NAKed repeatedly, at most every 20 ms: " + out.naks.size());
        assertTrue(out.naks.size() <= 5, "rate-limited: " + out.naks.size());
        r.tick(110 * MS);
        assertEquals(List.of("m1", "lost:1", "m3"), out.events);
        assertEquals(1, counters.lost.sum());
    }

    @Test
    void aHeartbeatRevealsLostLastMessages() {
        MulticastReceiver r = receiver(opts().build());
        feed(r, data(1), 0);
        feed(r, MulticastLayout.heartbeat(PUB, 3, 1), 5 * MS);
        r.tick(50 * MS);
        assertEquals(1, out.naks.size(), "the heartbeat's highest sequence makes 2 and 3 missing");
        r.tick(105 * MS);
        assertEquals(List.of("m1", "lost:2"), out.events);
    }

    @Test
    void aHeartbeatSayingTheMessageIsNoLongerHeldMakesTheGapAtOnce() {
        MulticastReceiver r = receiver(opts().build());
        feed(r, data(1), 0);
        feed(r, data(5), 1 * MS);
        feed(r, MulticastLayout.heartbeat(PUB, 5, 4), 2 * MS); // 2 and 3 are gone from its buffer
        assertEquals(List.of("m1", "lost:2"), out.events);
        feed(r, data(4), 3 * MS);
        assertEquals(List.of("m1", "lost:2", "m4", "m5"), out.events);
    }

    @Test
    void aStreamIsJoinedAtTheFirstOriginalMessageOrAfterAHeartbeat() {
        MulticastReceiver r = receiver(opts().build());
        feed(r, data(PUB, 7, MulticastLayout.FLAG_RETRANSMIT), 0);
        assertEquals(1, counters.dropped(MulticastCounters.Drop.BEFORE_JOIN), "a retransmission never starts a stream");
        assertEquals(0, r.publishers());
        feed(r, data(5), 1);
        feed(r, data(6), 2);
        assertEquals(List.of("m5", "m6"), out.events);

        long other = 99;
        feed(r, MulticastLayout.heartbeat(other, 0, 1), OTHER, 3); // a publisher announcing itself
        byte[] second = MulticastLayout.fragments(other, 2, 0, text(2), 1200)[0];
        feed(r, second, OTHER, 4 * MS);
        r.tick(200 * MS);
        assertEquals(List.of("m5", "m6", "lost:1", "m2"), out.events, "its first message, lost, is a gap");
    }

    @Test
    void largeMessagesAreReassembledWhateverTheFragmentOrder() {
        MulticastReceiver r = receiver(opts().build());
        byte[] big = new byte[5000];
        new Random(1).nextBytes(big);
        byte[][] frags = MulticastLayout.fragments(PUB, 1, 0, big, 1200);
        assertEquals(5, frags.length);
        feed(r, frags[3], 0);
        feed(r, frags[0], 1);
        feed(r, frags[3], 2);
        feed(r, frags[4], 3);
        feed(r, frags[1], 4);
        assertTrue(out.messages.isEmpty());
        feed(r, frags[2], 5);
        assertEquals(1, out.messages.size());
        assertArrayEquals(big, out.messages.get(0));
        assertEquals(1, counters.dropped(MulticastCounters.Drop.DUPLICATE));
        assertEquals(0, r.heldBytes());
    }

    @Test
    void anIncompleteMessageTimesOutAndIsRepairedOrLost() {
        MulticastReceiver r = receiver(opts().reassemblyTimeout(Duration.ofMillis(50)).build());
        byte[] big = new byte[3000];
        byte[][] frags = MulticastLayout.fragments(PUB, 1, 0, big, 1200);
        feed(r, frags[0], 0);
        assertTrue(r.heldBytes() >= 1000);
        r.tick(49 * MS);
        assertEquals(0, counters.dropped(MulticastCounters.Drop.REASSEMBLY_TIMEOUT));
        r.tick(50 * MS);
        assertEquals(1, counters.dropped(MulticastCounters.Drop.REASSEMBLY_TIMEOUT));
        assertTrue(r.heldBytes() < 200, "fragments released: " + r.heldBytes());
        r.tick(70 * MS);
        assertEquals(1, out.naks.size(), "the message is missing now, so it is asked for");
        r.tick(150 * MS);
        assertEquals(List.of("lost:1"), out.events);
    }

    @Test
    void reassemblyMemoryIsBoundedPerPublisher() {
        MulticastOptions o = opts().maxMessageBytes(64 * 1024).reassemblyBytesPerPublisher(64 * 1024)
                .reassemblyBytesTotal(1 << 20).build();
        MulticastReceiver r = receiver(o);
        byte[] part = new byte[60 * 1024];
        for (long s = 1; s <= 200; s++) {
            byte[][] frags = MulticastLayout.fragments(PUB, s, 0, part, 1200);
            feed(r, frags[0], s);
            feed(r, frags[1], s);
        }
        assertTrue(r.heldBytes() <= 64 * 1024 + 200 * 64, "held " + r.heldBytes());
        assertTrue(counters.dropped(MulticastCounters.Drop.REASSEMBLY_FULL) > 0);
    }

    @Test
    void reassemblyMemoryIsBoundedForAllPublishersTogether() {
        MulticastOptions o = opts().maxMessageBytes(64 * 1024).reassemblyBytesPerPublisher(64 * 1024)
                .reassemblyBytesTotal(128 * 1024).build();
        MulticastReceiver r = receiver(o);
        byte[] part = new byte[60 * 1024];
        for (int p = 1; p <= 20; p++) {
            InetSocketAddress from = new InetSocketAddress("127.0.0.1", 41000 + p);
            byte[][] frags = MulticastLayout.fragments(p, 1, 0, part, 1200);
            for (int i = 0; i < 40; i++) {
                feed(r, frags[i], from, p);
            }
        }
        // Fragments stay within the bound; each publisher's slot adds its 64 bytes of bookkeeping.
        assertTrue(r.heldBytes() <= 128 * 1024 + 20 * 64, "held " + r.heldBytes());
        assertTrue(counters.dropped(MulticastCounters.Drop.REASSEMBLY_FULL) > 0);
    }

    @Test
    void aStreamJumpingBeyondTheReorderWindowReportsTheOldestLost() {
        MulticastReceiver r = receiver(opts().reorderWindow(4).build());
        feed(r, data(1), 0);
        feed(r, data(3), 1);
        feed(r, data(1_000_000_000_000L), 2);
        // The head moves to within 4 of the newcomer: 4..(10^12 - 4) are lost at once, the last 3 waited for.
        assertEquals(List.of("m1", "lost:1", "m3", "lost:999999999993"), out.events);
        assertTrue(r.heldBytes() < 4 * 200, "a handful of slots, not a trillion: " + r.heldBytes());
        r.tick(200 * MS);
        assertEquals(List.of("m1", "lost:1", "m3", "lost:999999999993", "lost:3", "m1000000000000"), out.events);
    }

    @Test
    void publishersAreBoundedAndASilentOneIsForgotten() {
        MulticastReceiver r = receiver(opts().maxPublishers(2).publisherTimeout(Duration.ofSeconds(1))
                .heartbeatInterval(Duration.ofMillis(100)).build());
        feed(r, data(1, 1, 0), new InetSocketAddress("127.0.0.1", 1), 0);
        feed(r, data(2, 1, 0), new InetSocketAddress("127.0.0.1", 2), 0);
        feed(r, data(3, 1, 0), new InetSocketAddress("127.0.0.1", 3), 0);
        assertEquals(2, r.publishers());
        assertEquals(1, counters.dropped(MulticastCounters.Drop.TOO_MANY_PUBLISHERS));
        feed(r, data(1, 3, 0), new InetSocketAddress("127.0.0.1", 1), 500 * MS);
        r.tick(1000 * MS);
        assertEquals(1, r.publishers(), "publisher 2 fell silent");
        r.tick(1500 * MS);
        assertEquals(0, r.publishers());
        assertEquals(List.of("m1", "m1", "lost:1", "m3"), out.events, "what a forgotten publisher left missing is a gap");
        assertEquals(0, r.heldBytes());
    }

    // --- bad datagrams: each dropped and counted, nothing handed on, nothing held ---

    void assertDropped(MulticastReceiver r, MulticastCounters.Drop reason, long count) {
        assertEquals(count, counters.dropped(reason), reason + " in " + counters);
        assertEquals(count, counters.droppedTotal(), "only " + reason + ": " + counters);
    }

    @Test
    void truncatedDatagramsAreDropped() {
        MulticastReceiver r = receiver(opts().build());
        byte[] d = MulticastLayout.fragments(PUB, 1, 0, new byte[3000], 1200)[0];
        for (int len : new int[] {1, 5, 10, 11, 20, 27, 28, 100, d.length - 1}) {
            r.onDatagram(d, len, SOURCE, 0);
        }
        byte[] hb = MulticastLayout.heartbeat(PUB, 3, 1);
        r.onDatagram(hb, hb.length - 1, SOURCE, 0);
        assertDropped(r, MulticastCounters.Drop.TRUNCATED, 10);
        assertTrue(out.events.isEmpty());
        assertEquals(0, r.heldBytes());
    }

    @Test
    void garbageIsDropped() {
        MulticastReceiver r = receiver(opts().build());
        Random random = new Random(7);
        int garbage = 0;
        for (int i = 0; i < 10_000; i++) {
            byte[] g = new byte[1 + random.nextInt(1300)];
            random.nextBytes(g);
            if ((g[0] & 0xFF) == MulticastLayout.FORMAT) {
                g[0] = 0;
            }
            r.onDatagram(g, g.length, SOURCE, i);
            garbage++;
        }
        assertEquals(garbage, counters.droppedTotal());
        assertTrue(out.events.isEmpty());
        assertEquals(0, r.publishers());
        assertEquals(0, r.heldBytes());
    }

    @Test
    void randomBytesBehindAValidHeaderAreDroppedOrHarmless() {
        MulticastReceiver r = receiver(opts().build());
        Random random = new Random(11);
        for (int i = 0; i < 10_000; i++) {
            byte[] g = new byte[11 + random.nextInt(1300)];
            random.nextBytes(g);
            g[0] = (byte) MulticastLayout.FORMAT;
            g[1] = (byte) (MulticastLayout.MDATA + random.nextInt(3));
            g[10] = MulticastLayout.VERSION;
            r.onDatagram(g, g.length, SOURCE, i);
        }
        r.tick(10_000_000_000L);
        assertTrue(r.heldBytes() <= opts().build().reassemblyBytesTotal(), "held " + r.heldBytes());
    }

    @Test
    void aWrongVersionIsDropped() {
        MulticastReceiver r = receiver(opts().build());
        byte[] d = data(1);
        d[MulticastLayout.VERSION_OFFSET] = 2;
        feed(r, d, 0);
        assertDropped(r, MulticastCounters.Drop.WRONG_VERSION, 1);
        assertTrue(out.events.isEmpty());
    }

    @Test
    void oversizedFragmentCountsAreDroppedBeforeAnythingIsAllocated() {
        MulticastReceiver r = receiver(opts().build());
        byte[] d = MulticastLayout.fragments(PUB, 1, 0, new byte[3000], 1200)[0];
        ByteBuffer.wrap(d).putShort(MulticastLayout.COUNT_OFFSET, (short) 0xFFFF); // 65535 fragments of 3000 bytes
        feed(r, d, 0);
        byte[] e = MulticastLayout.fragments(PUB, 1, 0, new byte[3000], 1200)[0];
        ByteBuffer.wrap(e).putShort(MulticastLayout.COUNT_OFFSET, (short) 0).putShort(MulticastLayout.INDEX_OFFSET, (short) 0);
        feed(r, e, 0);
        byte[] f = MulticastLayout.fragments(PUB, 1, 0, new byte[3000], 1200)[0];
        ByteBuffer.wrap(f).putShort(MulticastLayout.INDEX_OFFSET, (short) 3); // index beyond the count of 3
        feed(r, f, 0);
        assertDropped(r, MulticastCounters.Drop.BAD_FRAGMENT, 3);
        byte[] g = MulticastLayout.fragments(PUB, 1, 0, new byte[3000], 1200)[0];
        ByteBuffer.wrap(g).putInt(MulticastLayout.TOTAL_OFFSET, Integer.MAX_VALUE);
        feed(r, g, 0);
        assertEquals(1, counters.dropped(MulticastCounters.Drop.OVERSIZED_MESSAGE));
        assertEquals(0, r.heldBytes());
        assertTrue(out.events.isEmpty());
    }

    @Test
    void aFragmentSpoofingAnotherPublishersMessageIsDropped() {
        MulticastReceiver r = receiver(opts().build());
        byte[] big = new byte[3000];
        byte[][] frags = MulticastLayout.fragments(PUB, 1, 0, big, 1200);
        feed(r, frags[0], 0);
        byte[] spoof = MulticastLayout.fragments(PUB, 1, 0, new byte[3000], 1200)[1];
        java.util.Arrays.fill(spoof, MulticastLayout.MDATA_HEADER_LENGTH, spoof.length, (byte) 'X');
        feed(r, spoof, OTHER, 1); // the same publisher id and message, from another address
        feed(r, MulticastLayout.heartbeat(PUB, 50, 50), OTHER, 2);
        assertDropped(r, MulticastCounters.Drop.SPOOFED, 2);
        feed(r, frags[1], 3);
        feed(r, frags[2], 4);
        assertEquals(1, out.messages.size());
        assertArrayEquals(big, out.messages.get(0), "the real fragments, not the spoofed one");
    }

    @Test
    void aFragmentDisagreeingWithItsMessageIsDropped() {
        MulticastReceiver r = receiver(opts().build());
        byte[][] frags = MulticastLayout.fragments(PUB, 1, 0, new byte[3000], 1200);
        feed(r, frags[0], 0);
        byte[] other = MulticastLayout.fragments(PUB, 1, 0, new byte[4000], 1200)[1]; // another total and count
        feed(r, other, 1);
        assertDropped(r, MulticastCounters.Drop.INCONSISTENT_FRAGMENT, 1);
        feed(r, frags[1], 2);
        feed(r, frags[2], 3);
        assertEquals(1, out.messages.size());
        assertEquals(3000, out.messages.get(0).length);
    }

    @Test
    void aSolicitFromANewMemberIsPassedOnAndHoldsNoState() {
        MulticastReceiver r = receiver(opts().build());
        feed(r, MulticastLayout.solicit(42), OTHER, 0);
        assertEquals(List.of("solicit"), out.events);
        assertEquals(0, r.publishers());
        byte[] longer = java.util.Arrays.copyOf(MulticastLayout.solicit(42), 12);
        feed(r, longer, OTHER, 0);
        assertDropped(r, MulticastCounters.Drop.TRUNCATED, 1);
    }

    @Test
    void aNakSentToTheGroupIsDropped() {
        MulticastReceiver r = receiver(opts().build());
        feed(r, MulticastLayout.nak(PUB, new long[] {1}, new long[] {2}, 1), 0);
        assertDropped(r, MulticastCounters.Drop.UNKNOWN_KIND, 1);
    }
}
