package io.framewire.transport.udp.multicast;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The sending half of a multicast connection, with no sockets: numbers messages, splits them into
 * datagrams, keeps recent ones in a retransmit buffer bounded in bytes and age, answers NAKs from it,
 * and says when a heartbeat is due. Every method returns the datagrams to send to the group.
 *
 * <p>NAKs are rate-limited per message: one resent within the last {@code nakInterval} is not resent
 * again (several receivers missing the same message cost one retransmission), and one NAK resends at
 * most {@link #MAX_RESENDS_PER_NAK} messages. A NAK for a message no longer held is answered with a
 * heartbeat, whose lowest retained sequence tells the receivers to report it lost now.
 *
 * <p>Not thread-safe: the connection calls it under its send lock.
 */
final class MulticastPublisher {
    /** The most messages one NAK makes this side resend. */
    static final int MAX_RESENDS_PER_NAK = 64;

    private final long id;
    private final MulticastOptions options;
    private final MulticastCounters counters;
    private final long retransmitAge;
    private final long nakInterval;
    private final long heartbeatInterval;
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private long heldBytes;
    private long sequence;
    private long lastSentNanos;
    private long lastHeartbeatNanos;
    private long lastSolicitAnswerNanos = Long.MIN_VALUE / 2;

    private static final class Held {
        final long sequence;
        final byte[] message;
        final long sentNanos;
        long resentNanos = Long.MIN_VALUE / 2;
        /** When each fragment was last resent alone; made on the first NAK_FRAGMENTS for this message. */
        long[] fragmentResentNanos;

        Held(long sequence, byte[] message, long sentNanos) {
            this.sequence = sequence;
            this.message = message;
            this.sentNanos = sentNanos;
        }
    }

    MulticastPublisher(long id, MulticastOptions options, MulticastCounters counters, long now) {
        this.id = id;
        this.options = options;
        this.counters = counters;
        this.retransmitAge = options.retransmitAge().toNanos();
        this.nakInterval = options.nakInterval().toNanos();
        this.heartbeatInterval = options.heartbeatInterval().toNanos();
        this.lastSentNanos = now;
        this.lastHeartbeatNanos = now;
    }

    long id() {
        return id;
    }

    /** The highest sequence number sent; 0 before the first message. */
    long highest() {
        return sequence;
    }

    /** The lowest sequence number still held for retransmission; {@code highest() + 1} when none is. */
    long lowestRetained() {
        return held.isEmpty() ? sequence + 1 : held.peekFirst().sequence;
    }

    long heldBytes() {
        return heldBytes;
    }

    /** Numbers {@code message} (an encoded PUBLISH frame) and returns its datagrams. */
    byte[][] publish(byte[] message, long now) {
        long seq = sequence + 1;
        byte[][] datagrams = MulticastLayout.fragments(id, seq, 0, message, options.maxDatagramSize());
        sequence = seq;
        counters.published.increment();
        lastSentNanos = now;
        if (options.repair()) {
            held.addLast(new Held(seq, message, now));
            heldBytes += message.length;
            trim(now);
        }
        return datagrams;
    }

    /** The datagrams answering a NAK: the messages asked for that are still held, or a heartbeat. */
    List<byte[]> onNak(MulticastDatagram.Nak nak, long now) {
        List<byte[]> out = new ArrayList<>();
        if (!acceptNak(nak.publisher(), now)) {
            return out;
        }
        long low = lowestRetained();
        boolean unheld = false;
        int resends = 0;
        for (int r = 0; r < nak.firsts().length && resends < MAX_RESENDS_PER_NAK; r++) {
            long first = nak.firsts()[r];
            long last = Math.min(nak.lasts()[r], sequence);
            if (first < low) {
                unheld = true;
                counters.unrepairable.add(Math.min(last, low - 1) - first + 1);
                first = low;
            }
            for (long s = first; s <= last && resends < MAX_RESENDS_PER_NAK; s++) {
                Held h = held.isEmpty() ? null : lookup(s);
                if (h == null || now - h.resentNanos < nakInterval) {
                    continue;
                }
                h.resentNanos = now;
                resends++;
                counters.retransmits.increment();
                for (byte[] d : MulticastLayout.fragments(id, s, MulticastLayout.FLAG_RETRANSMIT, h.message,
                        options.maxDatagramSize())) {
                    out.add(d);
                }
            }
        }
        if (unheld || !options.repair()) {
            out.add(heartbeat(now));
        }
        return out;
    }

    /**
     * The datagrams answering a NAK_FRAGMENTS: those fragments of the message (each at most once per NAK
     * interval), or a heartbeat if the message is gone.
     */
    List<byte[]> onNakFragments(MulticastDatagram.NakFragments nak, long now) {
        List<byte[]> out = new ArrayList<>();
        if (!acceptNak(nak.publisher(), now)) {
            return out;
        }
        Held h = held.isEmpty() || nak.sequence() > sequence ? null : lookup(nak.sequence());
        if (h == null) {
            if (nak.sequence() < lowestRetained()) {
                counters.unrepairable.increment();
                out.add(heartbeat(now));
            }
            return out;
        }
        if (now - h.resentNanos < nakInterval) {
            return out; // the whole message is on its way again
        }
        byte[][] all = MulticastLayout.fragments(id, nak.sequence(), MulticastLayout.FLAG_RETRANSMIT, h.message,
                options.maxDatagramSize());
        if (h.fragmentResentNanos == null) {
            h.fragmentResentNanos = new long[all.length];
            java.util.Arrays.fill(h.fragmentResentNanos, Long.MIN_VALUE / 2);
        }
        // Per fragment, so receivers missing different fragments of one message are all served at once.
        for (int index : nak.indexes()) {
            if (index < all.length && now - h.fragmentResentNanos[index] >= nakInterval) {
                h.fragmentResentNanos[index] = now;
                out.add(all[index]);
            }
        }
        if (!out.isEmpty()) {
            counters.retransmits.increment();
        }
        return out;
    }

    /** Whether a NAK is for this publisher (else it is dropped and counted); drops what has aged out first. */
    private boolean acceptNak(long publisher, long now) {
        if (publisher != id) {
            counters.drop(MulticastCounters.Drop.BAD_NAK);
            return false;
        }
        trim(now);
        return true;
    }

    private Held lookup(long s) {
        long first = held.peekFirst().sequence;
        if (s < first || s > sequence) {
            return null;
        }
        // Sequence numbers in the buffer are contiguous: index by offset. ArrayDeque has no get(i), so walk
        // from the nearer end; NAKs are rare and small.
        int index = (int) (s - first);
        int i = 0;
        if (index < held.size() / 2) {
            for (Held h : held) {
                if (i++ == index) {
                    return h;
                }
            }
        } else {
            int fromEnd = held.size() - 1 - index;
            var it = held.descendingIterator();
            while (it.hasNext()) {
                Held h = it.next();
                if (i++ == fromEnd) {
                    return h;
                }
            }
        }
        return null;
    }

    /** A heartbeat if one is due: the publisher has published and been idle for the heartbeat interval. */
    byte[] heartbeatIfDue(long now) {
        trim(now);
        if (sequence == 0 || now - lastSentNanos < heartbeatInterval || now - lastHeartbeatNanos < heartbeatInterval) {
            return null;
        }
        return heartbeat(now);
    }

    /**
     * The answer to a new member's SOLICIT: a heartbeat, at most once per NAK interval however many
     * members join at once.
     */
    byte[] answerSolicit(long now) {
        if (now - lastSolicitAnswerNanos < nakInterval) {
            return null;
        }
        lastSolicitAnswerNanos = now;
        return heartbeat(now);
    }

    /** A heartbeat now (also sent once when the connection opens, so receivers join before the first message). */
    byte[] heartbeat(long now) {
        lastHeartbeatNanos = now;
        return MulticastLayout.heartbeat(id, sequence, lowestRetained());
    }

    private void trim(long now) {
        while (!held.isEmpty()) {
            Held h = held.peekFirst();
            if (heldBytes > options.retransmitBytes() || now - h.sentNanos > retransmitAge) {
                held.pollFirst();
                heldBytes -= h.message.length;
            } else {
                break;
            }
        }
    }
}
