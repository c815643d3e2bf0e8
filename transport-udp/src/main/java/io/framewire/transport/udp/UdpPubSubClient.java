package io.framewire.transport.udp;

import static io.framewire.transport.udp.DatagramLayout.*;
import static io.framewire.transport.udp.DatagramSession.splitFrames;
import static io.framewire.transport.udp.DatagramSession.streamOf;
import static io.framewire.transport.udp.DatagramSession.typeOf;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.GapReason;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client's half of pub/sub over udp (PROTOCOL.md section 9.6), run by {@link UdpClientConnection}
 * under its lock. SUBSCRIBE, UNSUBSCRIBE and PUBLISH frames of the engine each travel as one reliable
 * message on channel PUBSUB (sent again with backoff until the server's layer acknowledges it);
 * confirmed subscriptions are leases renewed with RENEW datagrams; DELIVER and GAP frames from the
 * server, sent once each, are put back in sequence order per subscription, duplicates dropped, and a
 * hole that stays open past the reorder window becomes a GAP with reason LOST. A hole at the end of a
 * subscription's stream shows through the server's TAIL datagrams (the highest sequence number it
 * sent), which open the same reorder window: what is still missing up to that number when it passes
 * is LOST too.
 *
 * <p>Credit stays local: publish credit goes back to the engine when the server acknowledged the
 * PUBLISH; DELIVER frames reach the engine only as far as its subscription credit allows, the rest
 * waits here (at most {@link #QUEUED_PER_SUBSCRIPTION} per subscription, beyond which a delivery is
 * reported LOST instead).
 */
final class UdpPubSubClient {
    /** Deliveries held out of order per subscription before the hole in front of them is declared lost. */
    static final int REORDER_WINDOW = 64;
    /** Deliveries held per subscription while the engine has no credit for them. */
    static final int QUEUED_PER_SUBSCRIPTION = 1024;
    /**
     * A TAIL whose highest sequence number is this far or further past the next one a subscription
     * expects is taken for corrupt and dropped: a server would have had to send four billion
     * deliveries, each of them lost, without any TAIL getting through in between.
     */
    static final long TAIL_MAX_AHEAD = 1L << 32;

    private final UdpClientConnection conn;
    private final long session;
    private final UdpOptions options;
    private final UdpCounters counters;
    private final long reorderNanos;
    private int nextId = 1;
    private final TreeMap<Integer, Outgoing> unacked = new TreeMap<>();
    /** An acknowledged PUBLISH's ack id to its message id: the server's ACK frame acknowledges both. */
    private final Map<Integer, Integer> byAckId = new HashMap<>();
    private final Map<Integer, Subscription> subscriptions = new HashMap<>();
    /** Engine PINGs held until every pub/sub message written before them is acknowledged. */
    private final ArrayDeque<HeldPing> heldPings = new ArrayDeque<>();
    private long nextRenewNanos;
    private int floorSent = 1;
    /** Bytes of DELIVER and GAP frames held for the engine, all subscriptions together (bounded by heldBytes). */
    private long heldBytes;

    private record HeldPing(int barrier, byte[] frame) {}

    /** One reliable message not yet acknowledged. */
    private static final class Outgoing {
        final byte[][] datagrams;
        final int publishBytes;
        final int subscription;
        /** An acknowledged PUBLISH: the server's ACK frame, not an ACK datagram, acknowledges it. */
        final boolean awaitsAckFrame;
        long rtoNanos;
        long nextNanos;

        Outgoing(byte[][] datagrams, int publishBytes, int subscription, boolean awaitsAckFrame) {
            this.datagrams = datagrams;
            this.publishBytes = publishBytes;
            this.subscription = subscription;
            this.awaitsAckFrame = awaitsAckFrame;
        }
    }

    /** One subscription: the engine's credit, and its deliveries put back in order. */
    private final class Subscription {
        final int id;
        long credit;
        boolean confirmed;
        long expected = 1;
        final TreeMap<Long, byte[]> early = new TreeMap<>();
        long earlySinceNanos;
        final ArrayDeque<byte[]> ready = new ArrayDeque<>();
        int readyFrames;
        /** The highest sequence number the server said it sent (TAIL), 0 before any. */
        long announced;
        /** When {@link #announced} last rose: the missing numbers up to it wait one reorder window from then. */
        long announcedSinceNanos;

        Subscription(int id, long credit) {
            this.id = id;
            this.credit = credit;
        }

        void offer(byte[] f, long first, long last, long now) {
            if (last < expected || early.containsKey(first)) {
                counters.drop(Drop.PUBSUB_DUPLICATE);
                return;
            }
            if (first > expected) {
                if (heldBytes + f.length > options.heldBytes()) {
                    counters.drop(Drop.PUBSUB_QUEUE_FULL); // reported LOST when the hole in front of it is
                    return;
                }
                heldBytes += f.length;
                early.put(first, f);
                if (early.size() == 1) {
                    earlySinceNanos = now;
                }
                if (early.size() > REORDER_WINDOW) {
                    skipHole(now);
                }
                return;
            }
            append(f, first, last);
            drainEarly(now);
        }

        private void append(byte[] f, long first, long last) {
            if (first < expected) {
                f = f.clone(); // a GAP reaching back into what arrived: keep only its new part
                ByteBuffer.wrap(f).putLong(FrameLayout.HEADER_LENGTH, expected);
                first = expected;
            }
            expected = last + 1;
            if (readyFrames >= QUEUED_PER_SUBSCRIPTION || heldBytes + f.length > options.heldBytes()) {
                counters.drop(Drop.PUBSUB_QUEUE_FULL);
                lost(first, last);
                return;
            }
            readyFrames++;
            heldBytes += f.length;
            ready.addLast(f);
        }

        private void lost(long first, long last) {
            counters.pubsubLost.add(last - first + 1);
            byte[] tail = ready.peekLast();
            if (tail != null && typeOf(tail) == FrameType.GAP.code()
                    && tail[FrameLayout.HEADER_LENGTH + 16] == GapReason.LOST.code()
                    && ByteBuffer.wrap(tail).getLong(FrameLayout.HEADER_LENGTH + 8) == first - 1) {
                ByteBuffer.wrap(tail).putLong(FrameLayout.HEADER_LENGTH + 8, last);
                return;
            }
            byte[] gap = FrameEncoder.encode(new Frame.Gap(id, first, last, GapReason.LOST));
            readyFrames++; // may pass the bound by one: what follows merges into it
            heldBytes += gap.length;
            ready.addLast(gap);
        }

        private void drainEarly(long now) {
            while (!early.isEmpty() && early.firstKey() <= expected) {
                byte[] f = early.pollFirstEntry().getValue();
                heldBytes -= f.length;
                long[] range = range(f);
                if (range[1] < expected) {
                    counters.drop(Drop.PUBSUB_DUPLICATE);
                } else {
                    append(f, range[0], range[1]);
                }
            }
            earlySinceNanos = now; // the next hole, if any, gets its own reorder time
        }

        /** The hole before the first early delivery will not be filled: report it LOST. */
        void skipHole(long now) {
            long next = early.firstKey();
            lost(expected, next - 1);
            expected = next;
            drainEarly(now);
        }

        void tick(long now) {
            if (!early.isEmpty() && now - earlySinceNanos >= reorderNanos) {
                skipHole(now);
            }
            if (early.isEmpty() && announced >= expected && now - announcedSinceNanos >= reorderNanos) {
                lost(expected, announced); // the tail of the stream: sent, and not here a reorder window later
                expected = announced + 1;
            }
        }

        /** TAIL: the server sent this subscription up to {@code highest}. */
        void onTail(long highest, long now) {
            if (highest < expected) {
                return; // all of it arrived or was reported already (a late or repeated TAIL)
            }
            if (highest - expected >= TAIL_MAX_AHEAD) {
                counters.drop(Drop.PUBSUB_TAIL_AHEAD);
                return;
            }
            if (highest > announced) {
                announced = highest;
                announcedSinceNanos = now; // a delivery that raced its TAIL still has the whole window
            }
        }

        void drain() {
            while (!ready.isEmpty()) {
                byte[] f = ready.peekFirst();
                if (typeOf(f) == FrameType.DELIVER.code()) {
                    if (credit <= 0) {
                        return;
                    }
                    credit--;
                }
                readyFrames--;
                heldBytes -= f.length;
                conn.toCore(ready.pollFirst());
            }
        }
    }

    UdpPubSubClient(UdpClientConnection conn, long session, UdpOptions options, UdpCounters counters) {
        this.conn = conn;
        this.session = session;
        this.options = options;
        this.counters = counters;
        this.reorderNanos = options.initialRetransmit().toNanos();
        this.nextRenewNanos = System.nanoTime() + options.leaseRenewal().toNanos();
    }

    /** Removes a subscription and lets go of what it held. */
    private Subscription forget(int id) {
        Subscription s = subscriptions.remove(id);
        if (s != null) {
            for (byte[] f : s.ready) {
                heldBytes -= f.length;
            }
            for (byte[] f : s.early.values()) {
                heldBytes -= f.length;
            }
        }
        return s;
    }

    /** DELIVER: [seq, seq]; GAP: [first, last]. */
    private static long[] range(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f);
        long first = b.getLong(FrameLayout.HEADER_LENGTH);
        long last = typeOf(f) == FrameType.GAP.code() ? b.getLong(FrameLayout.HEADER_LENGTH + 8) : first;
        return new long[] {first, last};
    }

    // --- frames from the engine ---

    /** Takes the engine's pub/sub frames (and its subscription credit); false for anything else. */
    boolean onCoreFrame(int type, int flags, int stream, byte[] f) throws IOException {
        int payload = f.length - FrameLayout.HEADER_LENGTH;
        if (type == FrameType.SUBSCRIBE.code()) {
            long credit = payload >= 4 ? ByteBuffer.wrap(f).getInt(f.length - 4) & 0xFFFFFFFFL : 0;
            subscriptions.put(stream, new Subscription(stream, credit));
            sendReliable(f, 0, stream, false);
        } else if (type == FrameType.UNSUBSCRIBE.code()) {
            forget(stream);
            sendReliable(f, 0, 0, false);
        } else if (type == FrameType.PUBLISH.code()) {
            boolean acked = (flags & FrameLayout.FLAG_ACK_REQUESTED) != 0 && stream != 0;
            int id = sendReliable(f, payload, 0, acked);
            if (acked) {
                byAckId.put(stream, id);
            }
        } else if (type == FrameType.CREDIT.code()) {
            Subscription s = subscriptions.get(stream);
            if ((flags & FrameLayout.FLAG_SUBSCRIPTION) != 0 && s != null && payload >= 4) {
                s.credit += ByteBuffer.wrap(f).getInt(FrameLayout.HEADER_LENGTH) & 0xFFFFFFFFL;
                s.drain();
            }
        } else {
            return false;
        }
        return true;
    }

    /**
     * A PING written after pub/sub frames waits until they are acknowledged, so that its PONG still
     * means what section 6 says: the server has processed them (a subscription is in place).
     */
    boolean holdPing(byte[] ping) {
        if (unacked.isEmpty()) {
            return false;
        }
        heldPings.addLast(new HeldPing(nextId - 1, ping));
        return true;
    }

    private int sendReliable(byte[] frame, int publishBytes, int subscription, boolean awaitsAckFrame) throws IOException {
        int id = nextId++;
        if (nextId < 0) {
            throw new IOException("udp session ran out of pub/sub message ids");
        }
        int floor = Math.min(id, floor());
        Outgoing sent = new Outgoing(fragments(session, CHANNEL_PUBSUB, id, floor, frame, options.maxDatagramSize()),
                publishBytes, subscription, awaitsAckFrame);
        sent.rtoNanos = options.initialRetransmit().toNanos();
        sent.nextNanos = System.nanoTime() + sent.rtoNanos;
        unacked.put(id, sent);
        for (byte[] d : sent.datagrams) {
            conn.sendData(d);
        }
        return id;
    }

    /** Every pub/sub message id below it is acknowledged here. */
    private int floor() {
        return unacked.isEmpty() ? nextId : unacked.firstKey();
    }

    private void acknowledged(int id) throws IOException {
        Outgoing o = unacked.remove(id);
        if (o == null) {
            return;
        }
        if (o.publishBytes > 0) {
            conn.toCore(Frame.Credit.publish(o.publishBytes));
        }
        Subscription s = subscriptions.get(o.subscription);
        if (s != null) {
            s.confirmed = true;
        }
        while (!heldPings.isEmpty() && (unacked.isEmpty() || unacked.firstKey() > heldPings.peekFirst().barrier())) {
            conn.sendControl(heldPings.pollFirst().frame());
        }
    }

    // --- datagrams from the server ---

    /** ACK on channel PUBSUB: the server's layer has the message (and handed it to its engine). */
    void onAck(int id) throws IOException {
        Outgoing o = unacked.get(id);
        if (o != null && !o.awaitsAckFrame) {
            acknowledged(id); // an acknowledged PUBLISH is answered by its ACK frame instead
        }
    }

    /** One message from the server on channel PUBSUB: DELIVER, GAP, ACK or SUBSCRIPTION_END frames. */
    void onMessage(byte[] message) throws IOException {
        List<byte[]> frames = splitFrames(message);
        if (frames == null || frames.isEmpty() || !frames.stream().allMatch(UdpPubSubClient::fromServer)) {
            counters.drop(Drop.PUBSUB_MALFORMED);
            return;
        }
        long now = System.nanoTime();
        for (byte[] f : frames) {
            int type = typeOf(f);
            int stream = streamOf(f);
            if (type == FrameType.ACK.code()) {
                Integer id = byAckId.remove(stream);
                if (id == null) {
                    counters.drop(Drop.PUBSUB_DUPLICATE);
                    continue;
                }
                conn.toCore(f);
                acknowledged(id);
                continue;
            }
            Subscription s = type == FrameType.SUBSCRIPTION_END.code() ? forget(stream) : subscriptions.get(stream);
            if (s == null) {
                counters.drop(Drop.PUBSUB_STALE);
                continue;
            }
            if (type == FrameType.SUBSCRIPTION_END.code()) {
                conn.toCore(f); // what still waits for credit is dropped with the subscription
                continue;
            }
            long[] r = range(f);
            s.offer(f, r[0], r[1], now);
            s.drain();
        }
    }

    /**
     * TAIL: u8 channel PUBSUB, then records of (u32 subscription, u64 highest sequence number sent).
     * A datagram cut short, of another channel, with a partial record, a subscription 0 or a highest
     * below 1 is dropped whole; a record of a subscription this side no longer has is dropped alone.
     */
    void onTail(ByteBuffer d, int n) {
        if (n < TAIL_RECORDS_OFFSET + TAIL_RECORD_LENGTH) {
            counters.drop(Drop.TRUNCATED);
            return;
        }
        if (d.get(CHANNEL_OFFSET) != CHANNEL_PUBSUB || (n - TAIL_RECORDS_OFFSET) % TAIL_RECORD_LENGTH != 0) {
            counters.drop(Drop.PUBSUB_MALFORMED);
            return;
        }
        for (int at = TAIL_RECORDS_OFFSET; at < n; at += TAIL_RECORD_LENGTH) {
            if (d.getInt(at) == 0 || d.getLong(at + 4) < 1) {
                counters.drop(Drop.PUBSUB_MALFORMED);
                return;
            }
        }
        long now = System.nanoTime();
        for (int at = TAIL_RECORDS_OFFSET; at < n; at += TAIL_RECORD_LENGTH) {
            Subscription s = subscriptions.get(d.getInt(at));
            if (s == null) {
                counters.drop(Drop.PUBSUB_STALE);
                continue;
            }
            counters.tailsReceived.increment();
            s.onTail(d.getLong(at + 4), now);
        }
    }

    /** A frame the server may send on channel PUBSUB, long enough for the fields this layer reads. */
    private static boolean fromServer(byte[] f) {
        int type = typeOf(f);
        int payload = f.length - FrameLayout.HEADER_LENGTH;
        int stream = streamOf(f);
        if (stream == 0) {
            return false;
        }
        if (type == FrameType.DELIVER.code()) {
            return payload >= 8 && ByteBuffer.wrap(f).getLong(FrameLayout.HEADER_LENGTH) >= 1;
        }
        if (type == FrameType.GAP.code()) {
            if (payload < 17) {
                return false;
            }
            long first = ByteBuffer.wrap(f).getLong(FrameLayout.HEADER_LENGTH);
            long last = ByteBuffer.wrap(f).getLong(FrameLayout.HEADER_LENGTH + 8);
            return first >= 1 && last >= first;
        }
        return type == FrameType.ACK.code() || type == FrameType.SUBSCRIPTION_END.code();
    }

    // --- timer ---

    void onTick(long now) throws IOException {
        int floor = floor();
        for (Outgoing o : unacked.values()) {
            if (now < o.nextNanos) {
                continue;
            }
            counters.pubsubRetransmits.increment();
            for (byte[] d : o.datagrams) {
                ByteBuffer.wrap(d).putInt(DATA_FLOOR_OFFSET, floor);
                conn.send(d);
            }
            o.rtoNanos = Math.min(o.rtoNanos * 2, options.maxRetransmit().toNanos());
            o.nextNanos = now + o.rtoNanos;
        }
        List<Integer> renew = new ArrayList<>();
        for (Subscription s : subscriptions.values()) {
            s.tick(now);
            s.drain();
            if (s.confirmed) {
                renew.add(s.id);
            }
        }
        boolean due = now >= nextRenewNanos;
        if (due || floor > floorSent) {
            // RENEW carries the floor too, so the server forgets acknowledged ids even when nothing else is sent.
            int[] ids = due ? renew.stream().mapToInt(Integer::intValue).toArray() : new int[0];
            int per = Math.max(1, (options.maxDatagramSize() - RENEW_IDS_OFFSET) / 4);
            int from = 0;
            do {
                int to = Math.min(ids.length, from + per);
                conn.send(renew(session, floor, ids, from, to));
                from = to;
            } while (from < ids.length);
            floorSent = floor;
            if (due) {
                nextRenewNanos = now + options.leaseRenewal().toNanos();
            }
        }
    }
}
