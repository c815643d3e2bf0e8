package io.framewire.transport.udp;

import io.framewire.transport.udp.UdpCounters.Drop;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The messages one peer is sending this side, being put back together from their fragments. Memory
 * is taken as fragments arrive (never on a declared total alone) from a budget of this peer and one
 * shared by every peer of an endpoint. A duplicate fragment is ignored; fragments that overlap
 * without coinciding drop their message. Confined to the caller's lock (the peer's).
 */
final class Reassembler {
    /** Bookkeeping per stored fragment, charged on top of its bytes. */
    static final int FRAGMENT_OVERHEAD = 64;

    private final AtomicLong total;
    private final long totalLimit;
    private final long peerLimit;
    private final int maxMessage;
    private final long timeoutNanos;
    private final UdpCounters counters;
    /** Oldest first: on a full peer budget the youngest give way to the oldest, so one always completes. */
    private final LinkedHashMap<Long, Partial> partials = new LinkedHashMap<>();
    private long held;

    Reassembler(AtomicLong total, long totalLimit, long peerLimit, int maxMessage, long timeoutNanos, UdpCounters counters) {
        this.total = total;
        this.totalLimit = totalLimit;
        this.peerLimit = peerLimit;
        this.maxMessage = maxMessage;
        this.timeoutNanos = timeoutNanos;
        this.counters = counters;
    }

    private static final class Partial {
        final int length;
        final Map<Integer, byte[]> fragments = new LinkedHashMap<>();
        long received;
        long charged;
        long lastNanos;

        Partial(int length) {
            this.length = length;
        }
    }

    static long key(int channel, int id) {
        return ((long) channel << 32) | (id & 0xFFFF_FFFFL);
    }

    /**
     * Adds one fragment; returns the whole message once its last byte has arrived, else null.
     * {@code data} holds exactly the fragment's bytes.
     */
    byte[] offer(long key, int length, int offset, ByteBuffer data, long now) {
        int n = data.remaining();
        if (length < 0 || length > maxMessage) {
            counters.drop(Drop.OVERSIZED_MESSAGE);
            return null;
        }
        if (offset < 0 || (long) offset + n > length || (n == 0 && length != 0)) {
            counters.drop(Drop.BAD_FRAGMENT);
            return null;
        }
        if (length == n) {
            // The whole message in one datagram: nothing to hold.
            Partial stale = partials.remove(key);
            if (stale != null) {
                release(stale);
            }
            byte[] whole = new byte[n];
            data.get(whole);
            return whole;
        }
        Partial p = partials.get(key);
        if (p != null && p.length != length) {
            counters.drop(Drop.BAD_FRAGMENT);
            drop(key);
            return null;
        }
        if (p != null && p.fragments.containsKey(offset)) {
            byte[] seen = p.fragments.get(offset);
            if (seen.length != n) {
                counters.drop(Drop.BAD_FRAGMENT);
                drop(key);
            }
            p.lastNanos = now;
            return null; // a duplicate: harmless
        }
        long cost = n + FRAGMENT_OVERHEAD;
        if (held + cost > peerLimit) {
            makeRoom(key, cost);
            if (held + cost > peerLimit) {
                counters.drop(Drop.PEER_REASSEMBLY_FULL);
                return null;
            }
        }
        if (total.addAndGet(cost) > totalLimit) {
            total.addAndGet(-cost);
            counters.drop(Drop.TOTAL_REASSEMBLY_FULL);
            return null;
        }
        if (p == null) {
            p = new Partial(length);
            partials.put(key, p);
        }
        byte[] copy = new byte[n];
        data.get(copy);
        p.fragments.put(offset, copy);
        p.received += n;
        p.charged += cost;
        held += cost;
        p.lastNanos = now;
        if (p.received < p.length) {
            return null;
        }
        partials.remove(key);
        release(p);
        return assemble(p);
    }

    private byte[] assemble(Partial p) {
        List<Integer> offsets = new ArrayList<>(p.fragments.keySet());
        offsets.sort(null);
        byte[] whole = new byte[p.length];
        int next = 0;
        for (int offset : offsets) {
            byte[] f = p.fragments.get(offset);
            if (offset != next) {
                counters.drop(Drop.BAD_FRAGMENT); // overlapping fragments: their bytes cannot be trusted
                return null;
            }
            System.arraycopy(f, 0, whole, offset, f.length);
            next += f.length;
        }
        return next == p.length ? whole : null;
    }

    /** Drops the youngest other messages of this peer until {@code cost} more bytes fit. */
    private void makeRoom(long keep, long cost) {
        List<Long> youngestFirst = new ArrayList<>(partials.keySet());
        for (int i = youngestFirst.size() - 1; i >= 0 && held + cost > peerLimit; i--) {
            long k = youngestFirst.get(i);
            if (k != keep && k != youngestFirst.get(0)) {
                drop(k);
                counters.drop(Drop.PEER_REASSEMBLY_FULL);
            }
        }
    }

    void drop(long key) {
        Partial p = partials.remove(key);
        if (p != null) {
            release(p);
        }
    }

    private void release(Partial p) {
        held -= p.charged;
        total.addAndGet(-p.charged);
        p.charged = 0;
    }

    /** Drops messages whose fragments stopped arriving; returns how many. */
    int expire(long now) {
        int n = 0;
        for (Iterator<Map.Entry<Long, Partial>> it = partials.entrySet().iterator(); it.hasNext(); ) {
            Partial p = it.next().getValue();
            if (now - p.lastNanos >= timeoutNanos) {
                it.remove();
                release(p);
                counters.drop(Drop.REASSEMBLY_TIMEOUT);
                n++;
            }
        }
        return n;
    }

    boolean inProgress(long key) {
        return partials.containsKey(key);
    }

    long heldBytes() {
        return held;
    }

    int size() {
        return partials.size();
    }

    void clear() {
        for (Partial p : partials.values()) {
            release(p);
        }
        partials.clear();
    }
}
