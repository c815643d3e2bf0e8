package io.framewire.transport.udp.multicast;

import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * What a receiver knows of one publisher: the next sequence number to hand on, the messages held
 * ahead of it (whole, or being reassembled) and the ones noticed missing. Hands messages on in
 * sequence order, each once; a missing one is waited for (and asked for again, with repair on) up to
 * the repair window, then reported lost. Not thread-safe: {@link MulticastReceiver} owns it.
 */
final class PublisherStream {
    /** Bytes a slot costs besides its fragments, for the memory bounds. */
    private static final int SLOT_OVERHEAD = 64;

    final long id;
    final InetSocketAddress source;
    long lastHeardNanos;
    /** The next sequence number to hand on; 0 until joined. */
    long next;
    /** The highest sequence number known to exist (seen, or announced by a heartbeat). */
    long highestKnown;
    /** The lowest sequence number the publisher said it can still resend; 0 while unknown. */
    long lowestRetained;
    long lastNakNanos = Long.MIN_VALUE / 2;
    /** Bytes held for this publisher: fragments, whole messages waiting, slots. */
    long bytes;
    /** Sequence numbers from {@link #next} up to {@link #highestKnown} not yet handed on. */
    final NavigableMap<Long, Slot> slots = new TreeMap<>();

    /** One sequence number ahead of {@link #next}: missing, partly arrived, or whole and waiting. */
    static final class Slot {
        /** When it was noticed missing (a later one arrived, or a heartbeat announced it); 0 if not yet. */
        long missingSince;
        boolean naked;
        int total = -1;
        int count;
        byte[][] fragments;
        int fragmentsIn;
        long lastFragmentNanos;
        byte[] message;

        boolean complete() {
            return message != null;
        }
    }

    PublisherStream(long id, InetSocketAddress source, long now) {
        this.id = id;
        this.source = source;
        this.lastHeardNanos = now;
    }

    boolean joined() {
        return next > 0;
    }

    /** Where the stream starts for this receiver: at the first original message it hears, or after a heartbeat's highest. */
    void join(long firstSequence) {
        next = firstSequence;
        highestKnown = firstSequence - 1;
    }

    /**
     * Every sequence number below {@code bound} is known to exist: those not yet whole are missing from
     * now (the last one seen may have been still arriving until now). The caller has made room first
     * ({@link MulticastReceiver} keeps {@code bound - next} within the reorder window), so this adds at
     * most a window's worth of slots. Afterwards every sequence number from {@link #next} to
     * {@link #highestKnown} has a slot.
     */
    void missingBelow(long bound, long now, MulticastReceiver r) {
        for (long s = Math.max(next, highestKnown); s < bound; s++) {
            Slot slot = slotFor(s, r);
            if (!slot.complete() && slot.missingSince == 0) {
                slot.missingSince = now;
            }
        }
        if (bound - 1 > highestKnown) {
            highestKnown = bound - 1;
        }
    }

    Slot slotFor(long seq, MulticastReceiver r) {
        Slot slot = slots.get(seq);
        if (slot == null) {
            slot = new Slot();
            slots.put(seq, slot);
            r.charge(this, SLOT_OVERHEAD);
        }
        return slot;
    }

    /** Hands on whatever is whole at the head, in order. */
    void deliverReady(MulticastReceiver r) {
        Map.Entry<Long, Slot> e;
        while ((e = slots.firstEntry()) != null && e.getKey() == next && e.getValue().complete()) {
            slots.pollFirstEntry();
            r.release(this, SLOT_OVERHEAD + e.getValue().message.length);
            next++;
            r.handOn(this, e.getValue().message);
        }
    }

    /**
     * Moves the head to {@code newNext}: whole messages below it are handed on, the rest reported lost,
     * in order; costs a step per held slot, not per sequence number.
     */
    void advanceTo(long newNext, MulticastReceiver r) {
        long lostRun = 0;
        Iterator<Map.Entry<Long, Slot>> it = slots.headMap(newNext, false).entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Slot> e = it.next();
            long seq = e.getKey();
            lostRun += seq - next;
            Slot slot = e.getValue();
            it.remove();
            r.release(this, SLOT_OVERHEAD + slotBytes(slot));
            next = seq + 1;
            if (slot.complete()) {
                r.lost(this, lostRun);
                lostRun = 0;
                r.handOn(this, slot.message);
            } else {
                lostRun++;
            }
        }
        if (newNext > next) {
            lostRun += newNext - next;
            next = newNext;
        }
        r.lost(this, lostRun);
        if (highestKnown < next - 1) {
            highestKnown = next - 1;
        }
        deliverReady(r);
    }

    /** Drops a partly reassembled message, keeping its slot as missing. */
    void discardFragments(Slot slot, long now, MulticastReceiver r) {
        r.release(this, slotBytes(slot));
        slot.fragments = null;
        slot.fragmentsIn = 0;
        slot.total = -1;
        if (slot.missingSince == 0) {
            slot.missingSince = now;
        }
    }

    static long slotBytes(Slot slot) {
        if (slot.message != null) {
            return slot.message.length;
        }
        if (slot.fragments == null) {
            return 0;
        }
        long n = 16L + 8L * slot.fragments.length;
        for (byte[] f : slot.fragments) {
            if (f != null) {
                n += f.length;
            }
        }
        return n;
    }

    void releaseAll(MulticastReceiver r) {
        for (Slot s : slots.values()) {
            r.release(this, SLOT_OVERHEAD + slotBytes(s));
        }
        slots.clear();
    }
}
