package io.framewire.transport.udp;

import static io.framewire.transport.udp.DatagramLayout.*;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One verified client of a UDP server, and the engine's {@link io.framewire.spi.Connection} to it.
 * Owns this client's part of the duplicate-request cache: one {@link Entry} per call from the moment
 * its request is complete (the handler starts) until the client's floor passes it, so a request that
 * arrives again is never run again. Stream ids are renumbered toward the engine in the order requests
 * complete (the engine wants them increasing; the network may reorder them).
 */
final class UdpServerPeer extends DatagramSession {
    final UdpServerEndpoint endpoint;
    final InetSocketAddress address;
    final long session;
    private final String remote;
    private final UdpOptions options;
    private final UdpCounters counters;
    private final Reassembler requests;
    private final UdpPubSubPeer pubsub;
    /** The client's calls by the client's stream id; ids below {@link #floor} are gone. */
    private final TreeMap<Integer, Entry> entries = new TreeMap<>();
    /** The engine's stream id to the entry. */
    private final Map<Integer, Entry> byLocal = new HashMap<>();
    private int nextLocal = 1;
    private int floor;
    private byte[] acceptDatagram;
    private int controlSequence;
    private long lastHeardNanos = System.nanoTime();
    private boolean removed;

    enum State { RUNNING, DONE, FORGOTTEN }

    /** One call in the duplicate-request cache. */
    static final class Entry {
        final UdpServerPeer peer;
        final int clientId;
        final int localId;
        State state = State.RUNNING;
        ByteArrayOutputStream response = new ByteArrayOutputStream();
        byte[][] datagrams;
        long bytes;
        long finishedNanos;
        long lastReplyNanos;

        Entry(UdpServerPeer peer, int clientId, int localId) {
            this.peer = peer;
            this.clientId = clientId;
            this.localId = localId;
        }
    }

    UdpServerPeer(UdpServerEndpoint endpoint, InetSocketAddress address, long session) {
        super(endpoint.options.heldBytes(), endpoint.heldTotal);
        this.endpoint = endpoint;
        this.address = address;
        this.session = session;
        this.options = endpoint.options;
        this.counters = endpoint.counters;
        this.remote = describe(address);
        this.pubsub = new UdpPubSubPeer(this, session, options, counters);
        this.requests = new Reassembler(endpoint.reassemblyTotal, options.reassemblyBytesTotal(),
                options.reassemblyBytesPerPeer(), options.maxMessageBytes(), options.reassemblyTimeout().toNanos(), counters);
    }

    /** Hands the client's HELLO to the engine, before the engine accepts this connection. */
    void start(byte[] hello) {
        lock.lock();
        try {
            toCore(hello);
        } finally {
            lock.unlock();
        }
    }

    /** A retransmitted INITIAL: the ACCEPT was lost, or is not made yet. */
    void onInitialAgain() {
        lock.lock();
        try {
            lastHeardNanos = System.nanoTime();
            if (acceptDatagram != null) {
                endpoint.send(acceptDatagram, address);
            }
        } finally {
            lock.unlock();
        }
    }

    // --- frames from the engine (under lock) ---

    @Override
    void onCoreFrame(int type, int flags, int stream, byte[] f) throws IOException {
        if (acceptDatagram == null && stream == 0) {
            // The engine's first frame: its HELLO, or an ERROR refusing the client.
            acceptDatagram = accept(session, f);
            endpoint.send(acceptDatagram, address);
            return;
        }
        if (pubsub.onCoreFrame(type, flags, stream, f)) {
            return;
        }
        if (stream == 0) {
            for (byte[] d : fragments(session, CHANNEL_CONTROL, controlSequence++, 0, f, options.maxDatagramSize())) {
                endpoint.send(d, address);
            }
            return;
        }
        Entry e = byLocal.get(stream);
        if (type == FrameType.MESSAGE.code()) {
            coreMessageWritten(stream, f.length - FrameLayout.HEADER_LENGTH);
        }
        if (e == null || e.state != State.RUNNING
                || (type != FrameType.HEADERS.code() && type != FrameType.MESSAGE.code() && type != FrameType.STATUS.code())) {
            // A call the client gave up (its floor passed it, or it cancelled): nothing to keep.
            if (type == FrameType.MESSAGE.code()) {
                released(f.length - FrameLayout.HEADER_LENGTH);
            }
            if (type == FrameType.STATUS.code()) {
                byLocal.remove(stream);
            }
            return;
        }
        // Toward the client, frames carry the client's stream id.
        byte[] renumbered = f.clone();
        ByteBuffer.wrap(renumbered).putInt(FrameLayout.STREAM_ID_OFFSET, e.clientId);
        e.response.writeBytes(renumbered);
        if (type == FrameType.STATUS.code()) {
            byLocal.remove(stream);
            streamSent(stream);
            finish(e);
        }
    }

    @Override
    void sendPacked(List<byte[]> datagrams) {
        for (byte[] d : datagrams.size() == 1 ? datagrams : pack(session, datagrams, options.maxDatagramSize())) {
            endpoint.send(d, address);
        }
    }

    private void finish(Entry e) throws IOException {
        byte[] message = e.response.toByteArray();
        e.response = null;
        released(message.length);
        e.datagrams = fragments(session, CHANNEL_CALL, e.clientId, 0, message, options.maxDatagramSize());
        long bytes = 0;
        for (byte[] d : e.datagrams) {
            bytes += d.length;
        }
        e.bytes = bytes;
        e.state = State.DONE;
        e.finishedNanos = System.nanoTime();
        e.lastReplyNanos = e.finishedNanos;
        endpoint.cacheBytes.addAndGet(bytes);
        endpoint.cached(e);
        for (byte[] d : e.datagrams) {
            sendData(d);
        }
        endpoint.evictFinished(e.finishedNanos, this);
    }

    /** Drops a cached response, keeping the entry: the call must not run again. Under lock. */
    void forgetResponse(Entry e) {
        if (e.state == State.RUNNING && e.response != null) {
            released(e.response.size());
            e.response = null;
        }
        if (e.state == State.DONE) {
            endpoint.cacheBytes.addAndGet(-e.bytes);
            endpoint.uncached(e);
        }
        e.state = State.FORGOTTEN;
        e.datagrams = null;
        e.bytes = 0;
    }

    // --- datagrams from the client (receiver thread) ---

    void onDatagram(int kind, ByteBuffer d, int n) {
        lock.lock();
        try {
            if (removed) {
                return;
            }
            lastHeardNanos = System.nanoTime();
            switch (kind) {
                case DATA -> onData(d, n);
                case BATCH -> {
                    for (ByteBuffer record : unpack(d, n, session, counters)) {
                        onData(record, record.remaining());
                    }
                }
                case POLL -> {
                    if (n < POLL_LENGTH) {
                        counters.drop(Drop.TRUNCATED);
                        return;
                    }
                    advanceFloor(d.getInt(POLL_FLOOR_OFFSET));
                    int id = d.getInt(ID_OFFSET);
                    Entry e = entries.get(id);
                    if (e == null && id >= floor) {
                        endpoint.send(ack(GONE, session, CHANNEL_CALL, id), address);
                    } else if (e != null) {
                        answerDuplicate(e, true);
                    }
                }
                case ACK -> {
                    if (n < ACK_LENGTH) {
                        counters.drop(Drop.TRUNCATED);
                        return;
                    }
                    if (d.get(CHANNEL_OFFSET) != CHANNEL_CALL) {
                        counters.drop(Drop.UNKNOWN_KIND);
                        return;
                    }
                    Entry e = entries.get(d.getInt(ID_OFFSET));
                    if (e != null && e.state == State.DONE) {
                        forgetResponse(e); // the client has it
                    }
                }
                case CANCEL -> onCancel(d, n);
                case RENEW -> {
                    if (n < RENEW_IDS_OFFSET || d.get(CHANNEL_OFFSET) != CHANNEL_PUBSUB || (n - RENEW_IDS_OFFSET) % 4 != 0) {
                        counters.drop(n < RENEW_IDS_OFFSET ? Drop.TRUNCATED : Drop.PUBSUB_MALFORMED);
                        return;
                    }
                    pubsub.onRenew(d, n);
                }
                case KEEPALIVE -> endpoint.send(small(KEEPALIVE, session), address);
                case CLOSE -> {
                    closeLocal(null);
                    remove();
                }
                default -> counters.drop(Drop.UNKNOWN_KIND);
            }
        } finally {
            lock.unlock();
        }
    }

    private void onData(ByteBuffer d, int n) {
        if (n < DATA_HEADER_LENGTH) {
            counters.drop(Drop.TRUNCATED);
            return;
        }
        int channel = d.get(CHANNEL_OFFSET);
        int id = d.getInt(DATA_ID_OFFSET);
        int total = d.getInt(DATA_TOTAL_OFFSET);
        int offset = d.getInt(DATA_OFFSET_OFFSET);
        ByteBuffer bytes = d.slice(DATA_HEADER_LENGTH, n - DATA_HEADER_LENGTH);
        long now = System.nanoTime();
        if (channel == CHANNEL_CONTROL) {
            byte[] message = requests.offer(Reassembler.key(CHANNEL_CONTROL, id), total, offset, bytes, now);
            if (message != null) {
                List<byte[]> frames = splitFrames(message);
                if (frames == null || frames.size() != 1 || !UdpClientConnection.isControl(frames.get(0))) {
                    counters.drop(Drop.MALFORMED_MESSAGE);
                    return;
                }
                toCore(frames.get(0));
            }
            return;
        }
        if (channel == CHANNEL_PUBSUB) {
            if (id <= 0) {
                counters.drop(Drop.PUBSUB_MALFORMED);
                return;
            }
            if (!pubsub.alreadySeen(id, offset, d.getInt(DATA_FLOOR_OFFSET))) {
                byte[] message = requests.offer(Reassembler.key(CHANNEL_PUBSUB, id), total, offset, bytes, now);
                if (message != null) {
                    pubsub.onMessage(id, message);
                }
            }
            return;
        }
        if (channel != CHANNEL_CALL) {
            counters.drop(Drop.UNKNOWN_KIND);
            return;
        }
        advanceFloor(d.getInt(DATA_FLOOR_OFFSET));
        if (id < floor || id <= 0 || (id & 1) == 0) {
            counters.drop(Drop.STALE);
            return;
        }
        Entry e = entries.get(id);
        if (e != null) {
            answerDuplicate(e, false);
            return;
        }
        byte[] message = requests.offer(Reassembler.key(CHANNEL_CALL, id), total, offset, bytes, now);
        if (message != null) {
            onRequest(id, message);
        }
    }

    /** A request heard again: answered from the cache, acknowledged while it runs, never run again. */
    private void answerDuplicate(Entry e, boolean poll) {
        long now = System.nanoTime();
        // A retransmitted request arrives as many datagrams as it has fragments: answer one per interval.
        if (!poll && now - e.lastReplyNanos < options.initialRetransmit().toNanos() / 2) {
            return;
        }
        e.lastReplyNanos = now;
        switch (e.state) {
            case RUNNING -> {
                counters.duplicatesWhileRunning.increment();
                endpoint.send(ack(ACK, session, CHANNEL_CALL, e.clientId), address);
            }
            case DONE -> {
                counters.answeredFromCache.increment();
                for (byte[] d : e.datagrams) {
                    endpoint.send(d, address);
                }
            }
            case FORGOTTEN -> endpoint.send(ack(GONE, session, CHANNEL_CALL, e.clientId), address);
        }
    }

    private void onRequest(int id, byte[] message) {
        List<byte[]> frames = splitFrames(message);
        if (!isRequest(frames, id)) {
            counters.drop(Drop.MALFORMED_MESSAGE);
            return;
        }
        if (endpoint.cacheEntries.incrementAndGet() > options.cacheEntries()) {
            endpoint.cacheEntries.decrementAndGet();
            counters.drop(Drop.CACHE_FULL);
            byte[] status = FrameEncoder.encode(new Frame.Status(id, StatusCode.UNAVAILABLE,
                    "the server's duplicate-request cache is full (" + options.cacheEntries()
                            + " calls); the call was not run", Metadata.EMPTY));
            for (byte[] d : fragments(session, CHANNEL_CALL, id, 0, status, options.maxDatagramSize())) {
                endpoint.send(d, address);
            }
            return;
        }
        int local = nextLocal;
        nextLocal += 2;
        Entry e = new Entry(this, id, local);
        entries.put(id, e);
        byLocal.put(local, e);
        List<byte[]> renumbered = new ArrayList<>(frames.size());
        for (byte[] f : frames) {
            ByteBuffer.wrap(f).putInt(FrameLayout.STREAM_ID_OFFSET, local);
            renumbered.add(f);
        }
        counters.requestsDelivered.increment();
        if (message.length > options.maxDatagramSize() - DATA_HEADER_LENGTH) {
            // A request of several datagrams is acknowledged at once, so the client stops resending it;
            // a one-datagram request is acknowledged by its response, or when it arrives again.
            endpoint.send(ack(ACK, session, CHANNEL_CALL, id), address);
        }
        toCoreStream(local, renumbered);
        if (local < 0 || nextLocal < 0) {
            closeLocal(new IOException("udp session from " + remote + " ran out of stream ids"));
        }
    }

    /** CALL, MESSAGE*, HALF_CLOSE, all on {@code id}. */
    private static boolean isRequest(List<byte[]> frames, int id) {
        if (frames == null || frames.size() < 2) {
            return false;
        }
        for (int i = 0; i < frames.size(); i++) {
            byte[] f = frames.get(i);
            int type = typeOf(f);
            boolean first = i == 0;
            boolean last = i == frames.size() - 1;
            int expected = first ? FrameType.CALL.code() : last ? FrameType.HALF_CLOSE.code() : FrameType.MESSAGE.code();
            if (streamOf(f) != id || type != expected) {
                return false;
            }
        }
        return true;
    }

    private void onCancel(ByteBuffer d, int n) {
        if (n < CANCEL_FRAME_OFFSET + FrameLayout.HEADER_LENGTH) {
            counters.drop(Drop.TRUNCATED);
            return;
        }
        int id = d.getInt(ID_OFFSET);
        byte[] frame = new byte[n - CANCEL_FRAME_OFFSET];
        d.get(CANCEL_FRAME_OFFSET, frame);
        List<byte[]> frames = splitFrames(frame);
        if (frames == null || frames.size() != 1 || typeOf(frame) != FrameType.CANCEL.code() || streamOf(frame) != id) {
            counters.drop(Drop.MALFORMED_MESSAGE);
            return;
        }
        requests.drop(Reassembler.key(CHANNEL_CALL, id));
        Entry e = entries.get(id);
        if (e == null) {
            if (id >= floor && endpoint.cacheEntries.incrementAndGet() <= options.cacheEntries()) {
                e = new Entry(this, id, 0); // remembered, so a late copy of the request does not run
                e.state = State.FORGOTTEN;
                entries.put(id, e);
            } else if (id >= floor) {
                endpoint.cacheEntries.decrementAndGet();
            }
            return;
        }
        if (e.state == State.RUNNING) {
            ByteBuffer.wrap(frame).putInt(FrameLayout.STREAM_ID_OFFSET, e.localId);
            toCoreStream(e.localId, List.of(frame));
            byLocal.remove(e.localId);
        }
        forgetResponse(e);
    }

    /** The client finished every call below {@code newFloor}: forget them. */
    private void advanceFloor(int newFloor) {
        if (newFloor <= floor) {
            return;
        }
        floor = newFloor;
        Map<Integer, Entry> gone = entries.headMap(newFloor);
        for (Entry e : gone.values()) {
            forgetResponse(e);
            endpoint.cacheEntries.decrementAndGet();
        }
        gone.clear();
    }

    // --- timers (ticker thread) ---

    void onTick(long now) {
        lock.lock();
        try {
            if (removed) {
                return;
            }
            requests.expire(now);
            pubsub.onTick(now);
            flushGrants();
            if (now - lastHeardNanos >= options.idleTimeout().toNanos()) {
                counters.peersTimedOut.increment();
                closeLocal(new IOException("no datagram from " + remote + " for " + options.idleTimeout().toMillis() + " ms"));
                remove();
            }
        } finally {
            lock.unlock();
        }
    }

    // --- closing ---

    /** Releases everything this peer holds; under lock. */
    private void remove() {
        if (removed) {
            return;
        }
        removed = true;
        requests.clear();
        pubsub.clear();
        released(Long.MAX_VALUE);
        for (Entry e : entries.values()) {
            forgetResponse(e);
            endpoint.cacheEntries.decrementAndGet();
        }
        entries.clear();
        byLocal.clear();
        endpoint.removePeer(this);
    }

    @Override
    public void close() {
        close(null);
    }

    /** Ends the session: CLOSE to the client, and the engine's next read ends ({@code why} null) or fails with {@code why}. */
    void close(IOException why) {
        lock.lock();
        try {
            try {
                if (!removed) {
                    endpoint.send(small(CLOSE, session), address);
                }
            } finally {
                closeLocal(why); // closed and released even if the CLOSE could not be sent
                remove();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public java.util.concurrent.ThreadFactory readerThreads() {
        return threads(options.readerThreads() == UdpOptions.ReaderThreads.PLATFORM, "framewire-udp-peer-reader").factory();
    }

    @Override
    public String remoteAddress() {
        return remote;
    }

    @Override
    public String localAddress() {
        return endpoint.local;
    }

    /** For tests: calls this peer's cache remembers. */
    int entryCount() {
        lock.lock();
        try {
            return entries.size();
        } finally {
            lock.unlock();
        }
    }
}
