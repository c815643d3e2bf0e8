package io.framewire.transport.udp;

import static io.framewire.transport.udp.DatagramLayout.*;
import static io.framewire.transport.udp.DatagramSession.splitFrames;
import static io.framewire.transport.udp.DatagramSession.streamOf;
import static io.framewire.transport.udp.DatagramSession.typeOf;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.StatusCode;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The server's half of pub/sub over udp (PROTOCOL.md section 9.6) for one client session, run by
 * {@link UdpServerPeer} under its lock. The engine's broker runs as on any transport; this layer
 * hands it each of the client's SUBSCRIBE, UNSUBSCRIBE and PUBLISH messages once (a message id it has
 * seen is answered again, never handed over again), keeps each subscription's lease (one not renewed
 * within {@link UdpOptions#subscriptionLease()} is unsubscribed), and sends each DELIVER, GAP, ACK and
 * SUBSCRIPTION_END frame of the engine as a message of its own, once, granting the engine its
 * subscription credit back as it sends. A subscription that delivered and then fell quiet for
 * {@link UdpOptions#tailInterval()} is announced to the client in a TAIL datagram (the highest
 * sequence number sent on it), and again 3, 7 and 15 intervals after its last delivery
 * ({@link #TAIL_REPEATS} in all), so the client learns of deliveries lost at the end of a burst.
 *
 * <p>Bounds: {@link UdpOptions#subscriptionsPerPeer()} and {@link UdpOptions#subscriptionsTotal()}
 * subscriptions; {@link #DEDUP_ENTRIES} remembered message ids per client, and
 * {@link UdpOptions#cacheEntries()} for all clients together (a client's message beyond either is
 * dropped and sent again later); PUBLISH frames only as far as the engine's publish credit
 * goes (beyond it, dropped and sent again later); nothing queued toward the client.
 */
final class UdpPubSubPeer {
    /** Message ids remembered per client until its floor passes them. */
    static final int DEDUP_ENTRIES = 4096;
    /** Unknown ids a RENEW gets a SUBSCRIPTION_END for, at most (the rest wait for the next RENEW). */
    static final int ENDS_PER_RENEW = 8;
    static final String LEASE_EXPIRED = "the subscription's lease expired (the client stopped renewing it)";
    /** TAIL records sent per subscription after its last delivery (at 1, 3, 7 and 15 tail intervals), then none. */
    static final int TAIL_REPEATS = 4;

    private static final byte[][] PENDING = new byte[0][];

    private final UdpServerPeer peer;
    private final long session;
    private final UdpOptions options;
    private final UdpCounters counters;
    /** Every client message id below it is acknowledged at the client. */
    private int floor = 1;
    /** Message ids handed to the engine, with the answer to send again if they arrive again. */
    private final TreeMap<Integer, byte[][]> seen = new TreeMap<>();
    /** An acknowledged PUBLISH's ack id to its message id, until the engine's ACK frame. */
    private final Map<Integer, Integer> pendingAcks = new HashMap<>();
    /** The client's subscriptions this layer accepted, by id. */
    private final Map<Integer, Lease> leases = new HashMap<>();
    /** The leases whose tail the client is still to be told (or told again), in no particular order. */
    private final Set<Lease> tailing = new LinkedHashSet<>();
    private long publishCredit;
    private boolean creditKnown;
    private int nextId = 1;

    /** One subscription: its lease, and what the client is told of the tail of its stream. */
    private static final class Lease {
        final int id;
        long untilNanos;
        /** The highest sequence number sent on it, a DELIVER's or a GAP's last (0: none yet). */
        long highest;
        /** TAIL records sent since the last delivery. */
        int tails;
        long nextTailNanos;

        Lease(int id, long untilNanos) {
            this.id = id;
            this.untilNanos = untilNanos;
        }
    }

    UdpPubSubPeer(UdpServerPeer peer, long session, UdpOptions options, UdpCounters counters) {
        this.peer = peer;
        this.session = session;
        this.options = options;
        this.counters = counters;
    }

    // --- from the client ---

    /** A fragment of message {@code id} arrived: true if it was handed to the engine before (answered again). */
    boolean alreadySeen(int id, int offset, int clientFloor) {
        advanceFloor(clientFloor);
        if (id < floor) {
            counters.drop(Drop.STALE); // acknowledged at the client already
            return true;
        }
        byte[][] answer = seen.get(id);
        if (answer == null) {
            return false;
        }
        if (offset != 0) {
            return true; // a message sent again is answered once, for its first fragment
        }
        for (byte[] d : answer) {
            peer.endpoint.send(d, peer.address);
        }
        return true;
    }

    /** A complete message from the client: one SUBSCRIBE, UNSUBSCRIBE or PUBLISH frame. */
    void onMessage(int id, byte[] message) {
        List<byte[]> frames = splitFrames(message);
        if (frames == null || frames.size() != 1) {
            counters.drop(Drop.PUBSUB_MALFORMED);
            return;
        }
        byte[] f = frames.get(0);
        int type = typeOf(f);
        int stream = streamOf(f);
        boolean subscription = type == FrameType.SUBSCRIBE.code() || type == FrameType.UNSUBSCRIBE.code();
        if ((!subscription && type != FrameType.PUBLISH.code()) || (subscription && stream == 0)) {
            counters.drop(Drop.PUBSUB_MALFORMED);
            return;
        }
        if (seen.size() >= DEDUP_ENTRIES || peer.endpoint.pubsubRemembered.get() >= options.cacheEntries()) {
            counters.drop(Drop.PUBSUB_DEDUP_FULL);
            return;
        }
        if (!creditKnown) {
            publishCredit = peer.corePublishWindow;
            creditKnown = true;
        }
        if (type == FrameType.PUBLISH.code()) {
            if (publishCredit <= 0) {
                counters.drop(Drop.PUBSUB_NO_CREDIT);
                return;
            }
            publishCredit -= f.length - FrameLayout.HEADER_LENGTH;
            counters.publishesDelivered.increment();
            peer.toCore(f);
            if ((f[FrameLayout.FLAGS_OFFSET] & FrameLayout.FLAG_ACK_REQUESTED) != 0 && stream != 0) {
                remember(id, PENDING); // the engine's ACK frame answers it
                pendingAcks.put(stream, id);
            } else {
                acknowledge(id);
            }
            return;
        }
        if (type == FrameType.UNSUBSCRIBE.code()) {
            endLease(stream);
            peer.toCore(f);
            acknowledge(id);
            return;
        }
        if (!leases.containsKey(stream)) {
            if (leases.size() >= options.subscriptionsPerPeer()
                    || peer.endpoint.subscriptions.incrementAndGet() > options.subscriptionsTotal()) {
                if (leases.size() < options.subscriptionsPerPeer()) {
                    peer.endpoint.subscriptions.decrementAndGet();
                }
                // The refusal goes first, so the client's PING fence (held until the ACK) finds it.
                sendFrame(FrameEncoder.encode(new Frame.SubscriptionEnd(stream, StatusCode.RESOURCE_EXHAUSTED,
                        "too many subscriptions over udp (limits: " + options.subscriptionsPerPeer() + " per client, "
                                + options.subscriptionsTotal() + " per server)")));
                acknowledge(id);
                return;
            }
            leases.put(stream, new Lease(stream, System.nanoTime() + options.subscriptionLease().toNanos()));
        }
        // An id already in use goes to the engine too, which refuses it as on any transport.
        peer.toCore(f);
        acknowledge(id);
    }

    private void acknowledge(int id) {
        byte[] ack = ack(ACK, session, CHANNEL_PUBSUB, id);
        remember(id, new byte[][] {ack});
        peer.endpoint.send(ack, peer.address);
    }

    private void remember(int id, byte[][] answer) {
        if (seen.put(id, answer) == null) {
            peer.endpoint.pubsubRemembered.incrementAndGet();
        }
    }

    /** RENEW: the client's floor, and the subscriptions it keeps. */
    void onRenew(ByteBuffer d, int n) {
        advanceFloor(d.getInt(RENEW_FLOOR_OFFSET));
        long until = System.nanoTime() + options.subscriptionLease().toNanos();
        int ends = 0;
        for (int at = RENEW_IDS_OFFSET; at + 4 <= n; at += 4) {
            int id = d.getInt(at);
            Lease lease = leases.get(id);
            if (lease != null) {
                lease.untilNanos = until;
                counters.leasesRenewed.increment();
            } else if (id != 0 && ends++ < ENDS_PER_RENEW) {
                sendFrame(FrameEncoder.encode(new Frame.SubscriptionEnd(id, StatusCode.UNAVAILABLE, LEASE_EXPIRED)));
            }
        }
    }

    private void advanceFloor(int clientFloor) {
        if (clientFloor <= floor) {
            return;
        }
        floor = clientFloor;
        Map<Integer, byte[][]> passed = seen.headMap(clientFloor);
        peer.endpoint.pubsubRemembered.addAndGet(-passed.size());
        passed.clear();
        pendingAcks.values().removeIf(id -> id < clientFloor);
    }

    // --- from the engine ---

    /** Takes the engine's pub/sub frames and its publish credit; false for anything else. */
    boolean onCoreFrame(int type, int flags, int stream, byte[] f) {
        if (type == FrameType.CREDIT.code()) {
            if ((flags & FrameLayout.FLAG_PUBLISH_CREDIT) != 0 && f.length >= FrameLayout.HEADER_LENGTH + 4) {
                if (!creditKnown) {
                    publishCredit = peer.corePublishWindow;
                    creditKnown = true;
                }
                publishCredit += ByteBuffer.wrap(f).getInt(FrameLayout.HEADER_LENGTH) & 0xFFFFFFFFL;
            }
            return true; // subscription credit is never written by a server's engine
        }
        if (type == FrameType.DELIVER.code()) {
            sendFrame(f);
            sent(stream, ByteBuffer.wrap(f).getLong(FrameLayout.HEADER_LENGTH));
            counters.deliveriesSent.increment();
            // Sent, so nothing is held: the broker may send the next one.
            peer.toCore(new Frame.Credit(Frame.Credit.Kind.SUBSCRIPTION, stream, 1));
            return true;
        }
        if (type == FrameType.GAP.code()) {
            sendFrame(f);
            sent(stream, ByteBuffer.wrap(f).getLong(FrameLayout.HEADER_LENGTH + 8));
            return true;
        }
        if (type == FrameType.SUBSCRIPTION_END.code()) {
            endLease(stream);
            sendFrame(f);
            return true;
        }
        if (type == FrameType.ACK.code()) {
            Integer id = pendingAcks.remove(stream);
            byte[][] datagrams = fragments(session, CHANNEL_PUBSUB, nextId(), 0, f, options.maxDatagramSize());
            if (id != null && seen.containsKey(id)) {
                seen.put(id, datagrams); // a PUBLISH that arrives again gets this ACK again
            }
            for (byte[] d : datagrams) {
                peer.endpoint.send(d, peer.address);
            }
            return true;
        }
        return false;
    }

    /** A DELIVER or GAP reaching {@code last} was sent on {@code subscription}: its tail is told once it falls quiet. */
    private void sent(int subscription, long last) {
        Lease lease = leases.get(subscription);
        if (lease == null) {
            return; // refused or ended: the client no longer follows it
        }
        lease.highest = Math.max(lease.highest, last);
        lease.tails = 0;
        lease.nextTailNanos = System.nanoTime() + options.tailInterval().toNanos();
        tailing.add(lease);
    }

    /** The subscription ends here: it no longer counts against the server's bound, and its tail is not told. */
    private void endLease(int subscription) {
        Lease lease = leases.remove(subscription);
        if (lease != null) {
            tailing.remove(lease);
            peer.endpoint.subscriptions.decrementAndGet();
        }
    }

    private int nextId() {
        int id = nextId;
        nextId = nextId == Integer.MAX_VALUE ? 1 : nextId + 1;
        return id;
    }

    /** One frame as a message of its own on channel PUBSUB, sent once. */
    private void sendFrame(byte[] f) {
        for (byte[] d : fragments(session, CHANNEL_PUBSUB, nextId(), 0, f, options.maxDatagramSize())) {
            try {
                peer.sendData(d);
            } catch (java.io.IOException e) {
                return; // a server peer's send never throws; a lost datagram is a gap at the client
            }
        }
    }

    // --- timer and end ---

    /** Unsubscribes (toward the engine) every subscription whose lease ran out; tells the tails that are due. */
    void onTick(long now) {
        for (Iterator<Map.Entry<Integer, Lease>> it = leases.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Lease> e = it.next();
            if (now - e.getValue().untilNanos < 0) {
                continue;
            }
            it.remove();
            tailing.remove(e.getValue());
            peer.endpoint.subscriptions.decrementAndGet();
            counters.leasesExpired.increment();
            peer.toCore(new Frame.Unsubscribe(e.getKey()));
            sendFrame(FrameEncoder.encode(new Frame.SubscriptionEnd(e.getKey(), StatusCode.UNAVAILABLE, LEASE_EXPIRED)));
        }
        if (!tailing.isEmpty()) {
            sendTails(now);
        }
    }

    /**
     * One TAIL record for each subscription quiet since its last delivery until its next tail time (1,
     * 3, 7 and 15 tail intervals after it), packed into as few datagrams as fit. A subscription
     * costs nothing once its {@link #TAIL_REPEATS} records went out, until it delivers again; the
     * records sent are bounded by the subscriptions held (per client and for the server).
     */
    private void sendTails(long now) {
        int[] ids = new int[tailing.size()];
        long[] highest = new long[ids.length];
        int n = 0;
        long interval = options.tailInterval().toNanos();
        for (Iterator<Lease> it = tailing.iterator(); it.hasNext(); ) {
            Lease lease = it.next();
            if (now - lease.nextTailNanos < 0) {
                continue;
            }
            ids[n] = lease.id;
            highest[n++] = lease.highest;
            if (++lease.tails >= TAIL_REPEATS) {
                it.remove();
            } else {
                lease.nextTailNanos = now + (interval << lease.tails);
            }
        }
        int per = (options.maxDatagramSize() - TAIL_RECORDS_OFFSET) / TAIL_RECORD_LENGTH;
        for (int from = 0; from < n; from += per) {
            peer.endpoint.send(tail(session, ids, highest, from, Math.min(n, from + per)), peer.address);
        }
        counters.tailsSent.add(n);
    }

    /** The session ends: its subscriptions no longer count against the server's bound. */
    void clear() {
        peer.endpoint.subscriptions.addAndGet(-leases.size());
        leases.clear();
        tailing.clear();
        peer.endpoint.pubsubRemembered.addAndGet(-seen.size());
        seen.clear();
        pendingAcks.clear();
    }
}
