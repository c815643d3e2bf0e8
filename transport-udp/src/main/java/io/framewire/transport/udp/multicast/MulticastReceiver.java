package io.framewire.transport.udp.multicast;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The receiving half of a multicast connection, with no sockets: datagrams and clock ticks go in,
 * whole messages in per-publisher sequence order, losses (as counts) and NAK datagrams come out.
 *
 * <ul>
 *   <li>Each publisher (by its id, pinned to the source address it was first heard from) is a
 *       {@link PublisherStream}; duplicates are dropped, reordered messages held within the reorder
 *       window and handed on in order.</li>
 *   <li>A missing message is NAKed (repair on) at most every {@code nakInterval} per publisher, and
 *       reported lost once the repair window has passed since it was noticed, or at once when the
 *       publisher's heartbeat says it no longer holds it.</li>
 *   <li>Memory for fragments and out-of-order messages is bounded per publisher and in total; a
 *       fragment beyond either bound is dropped (the message becomes missing). The number of publishers
 *       is bounded, and a silent one is forgotten.</li>
 * </ul>
 *
 * Not thread-safe: the connection calls it under its lock, from its reader and its ticker.
 */
final class MulticastReceiver {

    /** Where the receiver's results go, called on the thread that called in. */
    interface Output {
        /** The next whole message of {@code publisher}: an encoded PUBLISH frame. */
        void message(long publisher, byte[] message);

        /** {@code count} messages of {@code publisher} were lost, just before the next one handed on. */
        void lost(long publisher, long count);

        /** Sends a NAK datagram to a publisher's source address. */
        void send(InetSocketAddress to, byte[] datagram);

        /** A new member asked the group's publishers for a heartbeat. */
        void solicited();
    }

    /** The most partly held messages one NAK round asks fragments of, per publisher. */
    static final int MAX_FRAGMENT_NAKS = 32;

    private final MulticastOptions options;
    private final MulticastCounters counters;
    private final Output out;
    private final Map<Long, PublisherStream> publishers = new HashMap<>();
    private final long repairWindow;
    private final long nakInterval;
    private final long nakDelay;
    private final long reassemblyTimeout;
    private final long publisherTimeout;
    private long heldBytes;

    MulticastReceiver(MulticastOptions options, MulticastCounters counters, Output out) {
        this.options = options;
        this.counters = counters;
        this.out = out;
        this.repairWindow = options.repairWindow().toNanos();
        this.nakInterval = options.nakInterval().toNanos();
        this.nakDelay = nakInterval / 4;
        this.reassemblyTimeout = options.reassemblyTimeout().toNanos();
        this.publisherTimeout = options.publisherTimeout().toNanos();
    }

    /** Bytes held for every publisher together. */
    long heldBytes() {
        return heldBytes;
    }

    int publishers() {
        return publishers.size();
    }

    /** One datagram received on the group socket: {@code buf[0, length)}. */
    void onDatagram(byte[] buf, int length, InetSocketAddress source, long now) {
        counters.datagramsIn.increment();
        MulticastDatagram d = MulticastDatagram.parse(buf, length, options.maxMessageBytes(), options.maxDatagramSize());
        switch (d) {
            case MulticastDatagram.Rejected r -> counters.drop(r.reason());
            case MulticastDatagram.Data data -> onData(data, source, now);
            case MulticastDatagram.Heartbeat h -> onHeartbeat(h, source, now);
            // NAKs go to a publisher's own (unicast) socket, never to the group.
            case MulticastDatagram.Nak n -> counters.drop(MulticastCounters.Drop.UNKNOWN_KIND);
            case MulticastDatagram.NakFragments n -> counters.drop(MulticastCounters.Drop.UNKNOWN_KIND);
            case MulticastDatagram.Solicit s -> out.solicited();
        }
    }

    private PublisherStream stream(long id, InetSocketAddress source, long now, boolean mayCreate) {
        PublisherStream ps = publishers.get(id);
        if (ps != null) {
            if (!ps.source.equals(source)) {
                counters.drop(MulticastCounters.Drop.SPOOFED);
                return null;
            }
            ps.lastHeardNanos = now;
            return ps;
        }
        if (!mayCreate) {
            counters.drop(MulticastCounters.Drop.BEFORE_JOIN);
            return null;
        }
        if (publishers.size() >= options.maxPublishers()) {
            counters.drop(MulticastCounters.Drop.TOO_MANY_PUBLISHERS);
            return null;
        }
        ps = new PublisherStream(id, source, now);
        publishers.put(id, ps);
        return ps;
    }

    private void onData(MulticastDatagram.Data d, InetSocketAddress source, long now) {
        // A retransmission is for receivers that already follow the stream; it never starts one.
        PublisherStream ps = stream(d.publisher(), source, now, !d.retransmit());
        if (ps == null) {
            return;
        }
        long seq = d.sequence();
        if (!ps.joined()) {
            if (d.retransmit()) {
                counters.drop(MulticastCounters.Drop.BEFORE_JOIN);
                return;
            }
            ps.join(seq);
        }
        if (seq < ps.next) {
            counters.drop(MulticastCounters.Drop.DUPLICATE);
            return;
        }
        makeRoom(ps, seq);
        ps.missingBelow(seq, now, this);
        PublisherStream.Slot slot = ps.slotFor(seq, this);
        if (seq > ps.highestKnown) {
            ps.highestKnown = seq;
        }
        if (slot.complete()) {
            counters.drop(MulticastCounters.Drop.DUPLICATE);
            return;
        }
        if (slot.fragments == null) {
            long cost = d.count() == 1 ? d.length() : 16L + 8L * d.count() + d.length();
            if (!fits(ps, cost)) {
                refused(slot, now);
                return;
            }
            if (d.count() == 1) {
                byte[] m = new byte[d.length()];
                System.arraycopy(d.buf(), d.offset(), m, 0, d.length());
                charge(ps, m.length);
                complete(ps, slot, m);
                return;
            }
            slot.total = d.total();
            slot.count = d.count();
            slot.fragments = new byte[d.count()][];
            charge(ps, 16L + 8L * d.count());
        } else if (slot.total != d.total() || slot.count != d.count()) {
            counters.drop(MulticastCounters.Drop.INCONSISTENT_FRAGMENT);
            return;
        } else if (slot.fragments[d.index()] != null) {
            counters.drop(MulticastCounters.Drop.DUPLICATE);
            return;
        } else if (!fits(ps, d.length())) {
            refused(slot, now);
            return;
        }
        byte[] f = new byte[d.length()];
        System.arraycopy(d.buf(), d.offset(), f, 0, d.length());
        slot.fragments[d.index()] = f;
        slot.fragmentsIn++;
        slot.lastFragmentNanos = now;
        charge(ps, f.length);
        if (slot.fragmentsIn == slot.count) {
            byte[] m = new byte[slot.total];
            int at = 0;
            for (byte[] part : slot.fragments) {
                System.arraycopy(part, 0, m, at, part.length);
                at += part.length;
            }
            release(ps, PublisherStream.slotBytes(slot));
            slot.fragments = null;
            charge(ps, m.length);
            complete(ps, slot, m);
        }
    }

    private void refused(PublisherStream.Slot slot, long now) {
        counters.drop(MulticastCounters.Drop.REASSEMBLY_FULL);
        if (slot.missingSince == 0) {
            slot.missingSince = now;
        }
    }

    private void complete(PublisherStream ps, PublisherStream.Slot slot, byte[] message) {
        slot.message = message;
        if (slot.naked) {
            counters.repaired.increment();
        }
        ps.deliverReady(this);
    }

    private void onHeartbeat(MulticastDatagram.Heartbeat h, InetSocketAddress source, long now) {
        PublisherStream ps = stream(h.publisher(), source, now, true);
        if (ps == null) {
            return;
        }
        if (!ps.joined()) {
            ps.join(h.highest() + 1);
        }
        ps.lowestRetained = Math.max(ps.lowestRetained, h.lowestRetained());
        if (h.highest() >= ps.next) {
            makeRoom(ps, h.highest());
            ps.missingBelow(h.highest() + 1, now, this);
        }
        resolveHead(ps, now);
    }

    /** Keeps {@code seq} within the reorder window of the head: what is older gives way (handed on, or lost). */
    private void makeRoom(PublisherStream ps, long seq) {
        long window = options.reorderWindow();
        if (seq - ps.next >= window) {
            ps.advanceTo(seq - window + 1, this);
        }
    }

    /** Runs timers: reassembly timeouts, losses past the repair window, NAKs, silent publishers. */
    void tick(long now) {
        Iterator<PublisherStream> it = publishers.values().iterator();
        while (it.hasNext()) {
            PublisherStream ps = it.next();
            if (now - ps.lastHeardNanos >= publisherTimeout) {
                ps.advanceTo(ps.highestKnown + 1, this);
                ps.releaseAll(this);
                it.remove();
                continue;
            }
            for (PublisherStream.Slot slot : ps.slots.values()) {
                if (slot.fragments != null && now - slot.lastFragmentNanos >= reassemblyTimeout) {
                    counters.drop(MulticastCounters.Drop.REASSEMBLY_TIMEOUT);
                    ps.discardFragments(slot, now, this);
                }
            }
            resolveHead(ps, now);
            if (options.repair()) {
                maybeNak(ps, now);
            }
        }
    }

    /** Reports lost the missing messages at the head whose wait is over, then hands on what follows. */
    private void resolveHead(PublisherStream ps, long now) {
        long lostUpTo = ps.next;
        for (Map.Entry<Long, PublisherStream.Slot> e : ps.slots.entrySet()) {
            long seq = e.getKey();
            PublisherStream.Slot slot = e.getValue();
            if (seq != lostUpTo || slot.complete() || slot.missingSince == 0) {
                break;
            }
            boolean unrepairable = seq < ps.lowestRetained;
            if (!unrepairable && now - slot.missingSince < repairWindow) {
                break;
            }
            lostUpTo = seq + 1;
        }
        if (lostUpTo > ps.next) {
            ps.advanceTo(lostUpTo, this);
        }
    }

    private void maybeNak(PublisherStream ps, long now) {
        if (now - ps.lastNakNanos < nakInterval) {
            return;
        }
        long[] firsts = new long[MulticastLayout.MAX_NAK_RANGES];
        long[] lasts = new long[MulticastLayout.MAX_NAK_RANGES];
        int n = 0;
        int partials = 0;
        for (Map.Entry<Long, PublisherStream.Slot> e : ps.slots.entrySet()) {
            long seq = e.getKey();
            PublisherStream.Slot slot = e.getValue();
            if (slot.complete() || slot.missingSince == 0 || now - slot.missingSince < nakDelay
                    || seq < ps.lowestRetained) {
                continue;
            }
            if (slot.fragments != null) {
                // Held in part: ask for the missing fragments only, not the whole message again.
                if (partials < MAX_FRAGMENT_NAKS) {
                    partials++;
                    slot.naked = true;
                    sendNak(ps, now, nakFragments(ps.id, seq, slot));
                }
                continue;
            }
            if (n > 0 && lasts[n - 1] == seq - 1) {
                lasts[n - 1] = seq;
            } else if (n < firsts.length) {
                firsts[n] = seq;
                lasts[n] = seq;
                n++;
            } else {
                break;
            }
            slot.naked = true;
        }
        if (n > 0) {
            sendNak(ps, now, MulticastLayout.nak(ps.id, firsts, lasts, n));
        }
    }

    private void sendNak(PublisherStream ps, long now, byte[] nak) {
        ps.lastNakNanos = now;
        counters.naksSent.increment();
        out.send(ps.source, nak);
    }

    private static byte[] nakFragments(long publisher, long seq, PublisherStream.Slot slot) {
        int[] missing = new int[MulticastLayout.MAX_NAK_FRAGMENTS];
        int k = 0;
        for (int i = 0; i < slot.fragments.length && k < missing.length; i++) {
            if (slot.fragments[i] == null) {
                missing[k++] = i;
            }
        }
        return MulticastLayout.nakFragments(publisher, seq, missing, k);
    }

    // --- for PublisherStream ---

    private boolean fits(PublisherStream ps, long cost) {
        return ps.bytes + cost <= options.reassemblyBytesPerPublisher() && heldBytes + cost <= options.reassemblyBytesTotal();
    }

    void charge(PublisherStream ps, long n) {
        ps.bytes += n;
        heldBytes += n;
    }

    void release(PublisherStream ps, long n) {
        ps.bytes -= n;
        heldBytes -= n;
    }

    void handOn(PublisherStream ps, byte[] message) {
        counters.messagesIn.increment();
        out.message(ps.id, message);
    }

    void lost(PublisherStream ps, long count) {
        if (count > 0) {
            counters.lost.add(count);
            out.lost(ps.id, count);
        }
    }
}
