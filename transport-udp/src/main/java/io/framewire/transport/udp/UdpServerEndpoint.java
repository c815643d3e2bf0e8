package io.framewire.transport.udp;

import static io.framewire.transport.udp.DatagramLayout.*;

import io.framewire.Address;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import io.framewire.transport.udp.UdpCounters.Drop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A server's UDP socket and everything shared by its peers: the receiver that demultiplexes
 * datagrams by source address, address validation (stateless cookies, RETRY, the amplification
 * limit), the budgets shared by all peers (reassembly memory, the duplicate-request cache's entries
 * and bytes, the number of peers), and a ticker that expires what has timed out. Each verified
 * client becomes a {@link UdpServerPeer}, which the engine takes from {@link #accept}.
 *
 * <p>The receiver and the ticker serve every peer, so they survive what they can, as core's accept
 * loop does: a RuntimeException or an OutOfMemoryError while handling a datagram costs that datagram
 * ({@code FAULT}), one in a peer's timers closes that peer. Any other Error fails the endpoint loudly:
 * it is logged, every peer's connection fails, the socket closes, and {@link #accept} throws an Error
 * so that the server's accept loop closes the server.
 */
final class UdpServerEndpoint implements Acceptor {
    /** Cookies are valid this long after the server made them. */
    static final long COOKIE_LIFETIME_MILLIS = 30_000;
    private static final int COOKIE_MAC_LENGTH = 32;
    /** Unverified addresses whose bytes the amplification limit counts at once (least recently seen forgotten first). */
    private static final int LEDGER_ENTRIES = 4096;
    private static final Object CLOSED = new Object();
    private static final System.Logger LOG = System.getLogger("io.framewire.transport.udp");
    /** Faults survived are logged at most this often (a sender that can trigger one must not flood the log). */
    private static final long FAULT_LOG_INTERVAL_NANOS = 1_000_000_000L;
    /** Live server endpoints by local port: tests read their counters, and a new server on a draining one's port takes over. */
    static final Map<Integer, UdpServerEndpoint> BOUND = new ConcurrentHashMap<>();

    /**
     * How long after its endpoint let it go a port may still be bound: the JDK can finish closing a
     * channel's socket a moment after {@code close()} has returned (seen: up to a millisecond, in 1 of
     * 30 restarts on one port), so a new server on the port retries its bind for this long.
     */
    static final long RELEASE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Ports this process's endpoints let go of, and when (entries older than {@link #RELEASE_NANOS} are dropped). */
    private static final Map<Integer, Long> RELEASED = new ConcurrentHashMap<>();

    private static void released(int port) {
        long now = System.nanoTime();
        RELEASED.values().removeIf(t -> now - t > RELEASE_NANOS);
        RELEASED.put(port, now);
    }

    /** Whether an endpoint of this process let {@code port} go within {@link #RELEASE_NANOS}. */
    static boolean releasedRecently(int port) {
        Long t = RELEASED.get(port);
        return t != null && System.nanoTime() - t <= RELEASE_NANOS;
    }

    final DatagramChannel channel;
    final UdpOptions options;
    final UdpCounters counters = new UdpCounters();
    private final Address bound;
    final String local;
    private final Map<InetSocketAddress, UdpServerPeer> peers = new ConcurrentHashMap<>();
    private final Map<Long, UdpServerPeer> bySession = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<Object> acceptQueue = new LinkedBlockingQueue<>(1024);
    final AtomicLong reassemblyTotal = new AtomicLong();
    /** Response bytes all peers' engines have written and this layer holds until each response is complete. */
    final AtomicLong heldTotal = new AtomicLong();
    final AtomicLong cacheBytes = new AtomicLong();
    /** Subscriptions held for all udp clients together (pub/sub leases). */
    final java.util.concurrent.atomic.AtomicInteger subscriptions = new java.util.concurrent.atomic.AtomicInteger();
    /** Pub/sub message ids remembered for all udp clients together (bounded by cacheEntries). */
    final java.util.concurrent.atomic.AtomicInteger pubsubRemembered = new java.util.concurrent.atomic.AtomicInteger();
    final AtomicInteger cacheEntries = new AtomicInteger();
    /**
     * Cached responses in the order their calls finished: the oldest is the first to go. An entry
     * leaves it as soon as its response is dropped, however that happens. Guarded by
     * {@link #finishedLock}, which is taken after a peer's lock, never before.
     */
    private final java.util.LinkedHashSet<UdpServerPeer.Entry> finished = new java.util.LinkedHashSet<>();
    private final java.util.concurrent.locks.ReentrantLock finishedLock = new java.util.concurrent.locks.ReentrantLock();
    private final Mac mac;
    /** Bytes received from and sent to each unverified address: {received, sent}. Receiver thread only. */
    private final LinkedHashMap<InetSocketAddress, long[]> ledger = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetSocketAddress, long[]> eldest) {
            return size() > LEDGER_ENTRIES;
        }
    };
    private final Thread receiver;
    private final Thread ticker;
    private volatile boolean closed;
    private volatile boolean channelClosed;
    /** The Error the receiver or the ticker could not survive; {@link #accept} throws it on. */
    private volatile Throwable fatal;
    private final AtomicLong lastFaultLogNanos = new AtomicLong(System.nanoTime() - FAULT_LOG_INTERVAL_NANOS);

    UdpServerEndpoint(DatagramChannel channel, Address bound, UdpOptions options) throws IOException {
        this.channel = channel;
        this.bound = bound;
        this.options = options;
        this.local = bound.toString();
        try {
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IOException("HmacSHA256 is not available: " + e.getMessage(), e);
        }
        receiver = DatagramSession.threads(options.readerThreads() != UdpOptions.ReaderThreads.VIRTUAL,
                "framewire-udp-server-receiver").unstarted(this::receiveLoop);
        ticker = Thread.ofVirtual().name("framewire-udp-server-ticker").unstarted(this::tickLoop);
        BOUND.put(bound.port(), this);
        receiver.start();
        ticker.start();
    }

    // --- Acceptor ---

    @Override
    public Address boundAddress() {
        return bound;
    }

    @Override
    public Connection accept() throws IOException {
        try {
            Object o = acceptQueue.take();
            if (o == CLOSED) {
                acceptQueue.offer(CLOSED);
                Throwable why = fatal;
                if (why != null) {
                    throw new Error("the udp server on " + local + " failed and is closed: " + why, why);
                }
                throw new ClosedChannelException();
            }
            return (Connection) o;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while accepting on " + local);
        }
    }

    /** Stops taking new peers; the socket stays open for the peers already accepted, and closes with the last. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        acceptQueue.clear();
        acceptQueue.offer(CLOSED);
        for (Object o : acceptQueue) {
            if (o instanceof UdpServerPeer p) {
                p.close();
            }
        }
        closeSocketIfDone();
    }

    /**
     * If this endpoint was closed (and only waits for its last peers, or for its receiver to leave the
     * closed socket), closes the peers and the socket now and waits (at most a second) until the
     * receiver has left, so the port is free when this returns. Returns false, doing nothing, for an
     * endpoint still open.
     */
    boolean closeDraining() {
        if (!closed) {
            return false;
        }
        for (UdpServerPeer p : List.copyOf(peers.values())) {
            p.close();
        }
        closeSocketIfDone();
        try {
            receiver.join(Duration.ofSeconds(1)); // the socket is released when the receiver leaves it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    private void closeSocketIfDone() {
        if (closed && peers.isEmpty() && !channelClosed) {
            channelClosed = true;
            try {
                channel.close();
            } catch (IOException ignored) {
                // gone either way
            }
            ticker.interrupt();
        }
    }

    void removePeer(UdpServerPeer p) {
        peers.remove(p.address, p);
        bySession.remove(p.session, p);
        closeSocketIfDone();
    }

    int peerCount() {
        return peers.size();
    }

    // --- sending ---

    void send(byte[] d, SocketAddress to) {
        if (channelClosed) {
            return;
        }
        try {
            channel.send(ByteBuffer.wrap(d), to);
            counters.datagramsOut.increment();
            counters.bytesOut.add(d.length);
        } catch (IOException e) {
            // A full socket buffer or a vanished route loses this datagram, as the network might.
        }
    }

    // --- receiving ---

    private void receiveLoop() {
        try {
            receiveUntilClosed();
        } catch (Throwable t) {
            fail("receiver", t);
        } finally {
            // The receiver can see channelClosed before the closing thread has closed the channel: close
            // it here too (a second close waits for the first), so the port is free before this endpoint
            // leaves BOUND. A new server on the port finds the endpoint until then (closeDraining).
            try {
                channel.close();
            } catch (IOException ignored) {
                // gone either way
            }
            released(bound.port());
            BOUND.remove(bound.port(), this);
        }
    }

    private void receiveUntilClosed() {
        ByteBuffer in = ByteBuffer.allocateDirect(options.maxDatagramSize() + 1);
        while (!channelClosed) {
            try {
                if (!receiveOne(in)) {
                    return;
                }
            } catch (OutOfMemoryError | RuntimeException e) {
                // A bug, or memory short for a moment (it passes once the peers holding it are dropped),
                // must cost one datagram, never the receiver every peer shares.
                counters.drop(Drop.FAULT);
                logFault("the udp server on " + local + " dropped a datagram it failed to handle", e);
                if (e instanceof OutOfMemoryError) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // let the memory come back
                }
            }
        }
    }

    /** Receives and handles one datagram; false once the socket is closed. */
    private boolean receiveOne(ByteBuffer in) {
        in.clear();
        SocketAddress from;
        try {
            from = channel.receive(in);
        } catch (ClosedChannelException e) {
            return false;
        } catch (IOException e) {
            return true; // an ICMP error for an earlier send; the socket itself is fine
        }
        in.flip();
        counters.datagramsIn.increment();
        counters.bytesIn.add(in.remaining());
        onDatagram((InetSocketAddress) from, in);
        return true;
    }

    private void logFault(String message, Throwable t) {
        long now = System.nanoTime();
        long last = lastFaultLogNanos.get();
        if (now - last >= FAULT_LOG_INTERVAL_NANOS && lastFaultLogNanos.compareAndSet(last, now)) {
            try {
                LOG.log(System.Logger.Level.WARNING, message + " (logged at most once a second; counted as FAULT)", t);
            } catch (Throwable ignored) {
                // nothing more can be done
            }
        }
    }

    /**
     * The receiver or the ticker met an Error it cannot survive: logged, every peer's connection fails,
     * the socket closes, and {@link #accept} throws, so that the server's accept loop closes the server.
     */
    private void fail(String thread, Throwable t) {
        try {
            LOG.log(System.Logger.Level.ERROR, "the " + thread + " of the udp server on " + local
                    + " met an error it cannot survive; closing the endpoint and its peers", t);
        } catch (Throwable ignored) {
            // closing anyway
        }
        if (fatal == null) {
            fatal = t;
        }
        closed = true;
        acceptQueue.clear();
        acceptQueue.offer(CLOSED);
        IOException why = new IOException("the udp server on " + local + " failed: its " + thread + " met " + t, t);
        for (UdpServerPeer p : List.copyOf(peers.values())) {
            try {
                p.close(why);
            } catch (Throwable ignored) {
                // the next one still
            }
        }
        channelClosed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // gone either way
        }
        ticker.interrupt();
    }

    private void onDatagram(InetSocketAddress from, ByteBuffer d) {
        if (!counters.admits(d, options.maxDatagramSize())) {
            return;
        }
        int n = d.remaining();
        int kind = d.get(KIND_OFFSET);
        long session = d.getLong(SESSION_OFFSET);
        UdpServerPeer peer = peers.get(from);
        if (kind == INITIAL) {
            onInitial(from, session, peer, d, n);
            return;
        }
        if (peer == null) {
            received(from, n);
            counters.drop(bySession.containsKey(session) ? Drop.SPOOFED : Drop.NO_SESSION);
            return;
        }
        if (peer.session != session) {
            counters.drop(Drop.SPOOFED);
            return;
        }
        peer.onDatagram(kind, d, n);
    }

    private void onInitial(InetSocketAddress from, long session, UdpServerPeer peer, ByteBuffer d, int n) {
        if (n < COOKIE_OFFSET || COOKIE_OFFSET + (d.getShort(COOKIE_LENGTH_OFFSET) & 0xFFFF) > n) {
            counters.drop(Drop.TRUNCATED);
            return;
        }
        if (peer != null && peer.session == session) {
            peer.onInitialAgain();
            return;
        }
        int cookieLength = d.getShort(COOKIE_LENGTH_OFFSET) & 0xFFFF;
        if (cookieLength == 0 || !validCookie(from, session, d, cookieLength)) {
            if (cookieLength != 0) {
                counters.drop(Drop.BAD_COOKIE);
            }
            received(from, n);
            byte[] retry = cookieDatagram(RETRY, session, cookie(from, session, System.currentTimeMillis()), new byte[0], 0);
            sendUnverified(retry, from);
            return;
        }
        int at = COOKIE_OFFSET + cookieLength;
        if (n - at < FrameLayout.LENGTH_LENGTH || d.getInt(at) == 0) {
            return; // a verified probe: nothing to do until the HELLO comes
        }
        int length = d.getInt(at);
        if (length < FrameLayout.MIN_LENGTH || length > FrameLayout.HELLO_MAX_LENGTH || at + 4 + length > n) {
            counters.drop(Drop.TRUNCATED);
            return;
        }
        byte[] hello = new byte[4 + length];
        d.get(at, hello);
        if (closed) {
            return;
        }
        if (peers.size() >= options.maxPeers()) {
            counters.drop(Drop.PEER_LIMIT);
            send(DatagramLayout.accept(session, FrameEncoder.encode(new Frame.Error(ErrorCode.OVERLOADED,
                    "too many udp peers (limit " + options.maxPeers() + "); try again later"))), from);
            return;
        }
        if (peer != null) {
            peer.close(); // the same address with a new session: the client restarted
        }
        UdpServerPeer p = new UdpServerPeer(this, from, session);
        peers.put(from, p);
        bySession.put(session, p);
        p.start(hello);
        if (!acceptQueue.offer(p)) {
            p.close();
        }
    }

    /** Counts bytes received from an address that has no session yet (the amplification limit's credit). */
    private void received(InetSocketAddress from, int n) {
        ledger.computeIfAbsent(from, k -> new long[2])[0] += n;
    }

    private void sendUnverified(byte[] d, InetSocketAddress to) {
        long[] l = ledger.computeIfAbsent(to, k -> new long[2]);
        if (l[1] + d.length > (long) AMPLIFICATION_FACTOR * l[0]) {
            counters.drop(Drop.AMPLIFICATION_LIMIT);
            return;
        }
        l[1] += d.length;
        send(d, to);
    }

    /** u64 time the cookie was made, then HMAC-SHA256(address, port, session, time). */
    private byte[] cookie(InetSocketAddress to, long session, long millis) {
        byte[] address = to.getAddress().getAddress();
        mac.update(address);
        mac.update(ByteBuffer.allocate(16).putInt(to.getPort()).putLong(session).putInt(0).array(), 0, 12);
        mac.update(ByteBuffer.allocate(8).putLong(millis).array());
        byte[] m = mac.doFinal();
        return ByteBuffer.allocate(8 + COOKIE_MAC_LENGTH).putLong(millis).put(m, 0, COOKIE_MAC_LENGTH).array();
    }

    private boolean validCookie(InetSocketAddress from, long session, ByteBuffer d, int length) {
        if (length != 8 + COOKIE_MAC_LENGTH) {
            return false;
        }
        byte[] got = new byte[length];
        d.get(COOKIE_OFFSET, got);
        long millis = ByteBuffer.wrap(got).getLong();
        long age = System.currentTimeMillis() - millis;
        if (age < -1000 || age > COOKIE_LIFETIME_MILLIS) {
            return false;
        }
        return MessageDigest.isEqual(got, cookie(from, session, millis));
    }

    // --- timers ---

    private void tickLoop() {
        try {
            tickUntilClosed();
        } catch (Throwable t) {
            fail("ticker", t);
        }
    }

    private void tickUntilClosed() {
        long tickNanos = Math.max(1_000_000, Math.min(20_000_000, options.initialRetransmit().toNanos() / 5));
        while (!channelClosed) {
            try {
                TimeUnit.NANOSECONDS.sleep(tickNanos);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (UdpServerPeer p : peers.values()) {
                try {
                    p.onTick(now);
                } catch (OutOfMemoryError | RuntimeException e) {
                    // One peer's timers failed: that peer ends, the others go on.
                    logFault("the udp server on " + local + " closed the session of " + p.remoteAddress()
                            + ", whose timers failed", e);
                    try {
                        p.close(new IOException("the udp session of " + p.remoteAddress() + " failed: " + e, e));
                    } catch (OutOfMemoryError | RuntimeException again) {
                        // closed and removed all the same (UdpServerPeer.close); only its CLOSE was lost
                    }
                }
            }
            try {
                evictFinished(now, null);
            } catch (OutOfMemoryError | RuntimeException e) {
                logFault("the udp server on " + local + " failed to evict from its cache; it tries again", e);
            }
        }
    }

    /**
     * Drops the oldest cached responses while the cache is over its byte bound or they are older
     * than its time bound. {@code holding} is the peer whose lock the caller holds (others are only
     * tried, so two peers never wait for each other).
     */
    void evictFinished(long now, UdpServerPeer holding) {
        long ttl = options.cacheTtl().toNanos();
        finishedLock.lock();
        try {
            while (!finished.isEmpty()) {
                UdpServerPeer.Entry e = finished.iterator().next();
                if (cacheBytes.get() <= options.cacheBytes() && now - e.finishedNanos < ttl) {
                    return;
                }
                UdpServerPeer owner = e.peer;
                if (owner != holding && !owner.lock.tryLock()) {
                    return; // its peer is busy (and may wait for this lock): the ticker comes back
                }
                try {
                    owner.forgetResponse(e); // removes it from finished
                    counters.cacheEvictions.increment();
                } finally {
                    if (owner != holding) {
                        owner.lock.unlock();
                    }
                }
                finished.remove(e);
            }
        } finally {
            finishedLock.unlock();
        }
    }

    /** A response now cached; under its peer's lock. */
    void cached(UdpServerPeer.Entry e) {
        finishedLock.lock();
        try {
            finished.add(e);
        } finally {
            finishedLock.unlock();
        }
    }

    /** A cached response dropped; under its peer's lock. */
    void uncached(UdpServerPeer.Entry e) {
        finishedLock.lock();
        try {
            finished.remove(e);
        } finally {
            finishedLock.unlock();
        }
    }
}
