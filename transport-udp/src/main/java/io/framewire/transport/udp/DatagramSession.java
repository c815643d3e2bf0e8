package io.framewire.transport.udp;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameDecoder;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import io.framewire.protocol.FrameType;
import io.framewire.protocol.Settings;
import io.framewire.spi.Connection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The engine's side of a UDP session: a {@link Connection} whose byte stream carries whole frames, as
 * on a stream transport. Frames the engine writes are cut out of the stream and handed to the
 * subclass ({@link #onCoreFrame}), which groups them into messages and sends them as datagrams;
 * frames that arrive are handed to the engine whole and in order per stream.
 *
 * <p>Flow control stays between the engine and this layer, on each side: CREDIT frames never cross
 * the network. The engine's MESSAGE bytes are granted back to it ({@link #coreMessageWritten}) as soon
 * as this layer holds them, up to {@code heldBytes}; frames toward the engine are released only as far
 * as the credit the engine's own HELLO and CREDIT frames give ({@link #toCoreStream}), splitting a
 * MESSAGE frame where the credit ends. So a lost datagram never costs credit, and the engine never
 * receives more than it allowed.
 *
 * <p>All state is guarded by {@link #lock}; subclasses run their datagram handling under it too.
 */
abstract class DatagramSession implements Connection {
    final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final ArrayDeque<byte[]> ready = new ArrayDeque<>();
    private int readyOffset;
    private boolean closed;
    private IOException failure;

    // What the engine may still receive, from its own HELLO and CREDIT frames.
    private int coreStreamWindow = Settings.defaults().initialStreamWindow();
    private long coreConnectionCredit = Settings.defaults().connectionWindow();
    /** The PUBLISH_WINDOW of the engine's HELLO (a server's engine: what its publishers may have outstanding). */
    int corePublishWindow = Settings.defaults().publishWindow();
    private final Map<Integer, Long> streamCredit = new HashMap<>();
    private final LinkedHashMap<Integer, ArrayDeque<byte[]>> pending = new LinkedHashMap<>();

    // Credit owed to the engine for bytes this layer holds.
    private final long maxHeld;
    private long held;
    /** What every session of a server holds together (bounded by {@link #maxHeld} too); null on a client. */
    private final java.util.concurrent.atomic.AtomicLong sharedHeld;
    private final ArrayDeque<int[]> owed = new ArrayDeque<>();
    static final int GRANT_BATCH = 32 * 1024;
    private final Map<Integer, Long> owedToStream = new HashMap<>();
    private long owedToConnection;

    // Cutting frames out of the engine's byte stream (writer thread only).
    private final byte[] lengthBytes = new byte[FrameLayout.LENGTH_LENGTH];
    private int lengthFill;
    private byte[] frame;
    private int frameFill;

    DatagramSession(long maxHeld, java.util.concurrent.atomic.AtomicLong sharedHeld) {
        this.maxHeld = maxHeld;
        this.sharedHeld = sharedHeld;
    }

    /** A frame the engine wrote (every type but CREDIT, which this class consumes); called under {@link #lock}. */
    abstract void onCoreFrame(int type, int flags, int stream, byte[] frame) throws IOException;

    // --- Connection: the engine's side ---

    @Override
    public int read(ByteBuffer dst) throws IOException {
        lock.lock();
        try {
            while (ready.isEmpty() && !closed) {
                readable.awaitUninterruptibly();
            }
            if (ready.isEmpty()) {
                if (failure != null) {
                    throw failure;
                }
                return -1;
            }
            int n = 0;
            while (dst.hasRemaining() && !ready.isEmpty()) {
                byte[] head = ready.peekFirst();
                int k = Math.min(dst.remaining(), head.length - readyOffset);
                dst.put(head, readyOffset, k);
                readyOffset += k;
                n += k;
                if (readyOffset == head.length) {
                    ready.pollFirst();
                    readyOffset = 0;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** DATA datagrams made while dispatching one write: sent together, packed, when it ends. */
    private final List<byte[]> collected = new ArrayList<>();
    private boolean collecting;
    private final List<byte[]> written = new ArrayList<>();

    /** Sends {@code datagrams} now (packed with {@link DatagramLayout#pack}); under lock. */
    abstract void sendPacked(List<byte[]> datagrams) throws IOException;

    /** Sends a DATA datagram: at the end of the engine's current write if one is under way, else now. */
    final void sendData(byte[] d) throws IOException {
        if (collecting) {
            collected.add(d);
        } else {
            sendPacked(List.of(d));
        }
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        cutFrames(src);
        if (written.isEmpty()) {
            return;
        }
        lock.lock();
        try {
            if (closed) {
                written.clear();
                throw failure != null ? failure : new IOException("the udp session is closed");
            }
            collecting = true;
            try {
                for (byte[] f : written) {
                    dispatch(f);
                }
            } finally {
                written.clear();
                collecting = false;
                if (!collected.isEmpty()) {
                    List<byte[]> out = new ArrayList<>(collected);
                    collected.clear();
                    sendPacked(out);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Cuts the engine's byte stream into whole frames, into {@link #written} (writer thread only). */
    private void cutFrames(ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            if (frame == null) {
                int k = Math.min(src.remaining(), lengthBytes.length - lengthFill);
                src.get(lengthBytes, lengthFill, k);
                lengthFill += k;
                if (lengthFill < lengthBytes.length) {
                    return;
                }
                int length = ByteBuffer.wrap(lengthBytes).getInt();
                if (length < FrameLayout.MIN_LENGTH || length > (1 << 25)) {
                    throw new IOException("the engine wrote a frame of length " + length);
                }
                frame = new byte[FrameLayout.LENGTH_LENGTH + length];
                System.arraycopy(lengthBytes, 0, frame, 0, lengthBytes.length);
                frameFill = lengthBytes.length;
                lengthFill = 0;
            }
            int k = Math.min(src.remaining(), frame.length - frameFill);
            src.get(frame, frameFill, k);
            frameFill += k;
            if (frameFill == frame.length) {
                written.add(frame);
                frame = null;
            }
        }
    }

    private void dispatch(byte[] f) throws IOException {
        int type = f[FrameLayout.TYPE_OFFSET] & 0xFF;
        int flags = f[FrameLayout.FLAGS_OFFSET] & 0xFF;
        int stream = ByteBuffer.wrap(f, FrameLayout.STREAM_ID_OFFSET, 4).getInt() & FrameLayout.STREAM_ID_MASK;
        if (type == FrameType.CREDIT.code()) {
            if (f.length < FrameLayout.HEADER_LENGTH + 4) {
                return;
            }
            if (flags == 0) {
                onCoreCredit(stream, ByteBuffer.wrap(f, FrameLayout.HEADER_LENGTH, 4).getInt());
                return;
            }
            // Subscription and publish credit: the pub/sub layer of the subclass consumes it.
        }
        if (type == FrameType.HELLO.code()) {
            readCoreSettings(f);
        }
        onCoreFrame(type, flags, stream, f);
    }

    private void readCoreSettings(byte[] hello) {
        List<Frame> out = new ArrayList<>(1);
        try {
            FrameDecoder.forConnection(FrameLayout.HELLO_MAX_LENGTH).decode(ByteBuffer.wrap(hello), out::add);
        } catch (RuntimeException e) {
            return; // the engine wrote it: it is well formed; keep the defaults if not
        }
        if (!out.isEmpty() && out.get(0) instanceof Frame.Hello h) {
            coreStreamWindow = h.settings().initialStreamWindow();
            coreConnectionCredit = h.settings().connectionWindow();
            corePublishWindow = h.settings().publishWindow();
        }
    }

    private void onCoreCredit(int stream, int increment) {
        if (stream == 0) {
            coreConnectionCredit += increment;
        } else {
            Long c = streamCredit.get(stream);
            if (c == null) {
                return; // a stream this layer has finished feeding
            }
            streamCredit.put(stream, c + increment);
        }
        release();
    }

    // --- toward the engine (call under lock) ---

    /** A connection frame (or an answer this layer makes up), handed to the engine at once. */
    final void toCore(byte[] frame) {
        ready.addLast(frame);
        readable.signalAll();
    }

    final void toCore(Frame frame) {
        toCore(FrameEncoder.encode(frame));
    }

    /** The frames of one stream, in order, released to the engine as its credit allows. */
    final void toCoreStream(int stream, List<byte[]> frames) {
        streamCredit.putIfAbsent(stream, (long) coreStreamWindow);
        pending.computeIfAbsent(stream, k -> new ArrayDeque<>()).addAll(frames);
        release();
    }

    /** Drops what is still waiting for the engine's credit on a stream the engine has ended. */
    final void forgetStream(int stream) {
        pending.remove(stream);
        streamCredit.remove(stream);
    }

    private void release() {
        boolean any = false;
        for (Iterator<Map.Entry<Integer, ArrayDeque<byte[]>>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, ArrayDeque<byte[]>> e = it.next();
            int stream = e.getKey();
            ArrayDeque<byte[]> q = e.getValue();
            while (!q.isEmpty()) {
                byte[] f = q.peekFirst();
                int type = f[FrameLayout.TYPE_OFFSET] & 0xFF;
                if (type != FrameType.MESSAGE.code()) {
                    ready.addLast(q.pollFirst());
                    any = true;
                    if (type == FrameType.HALF_CLOSE.code() || type == FrameType.STATUS.code()
                            || type == FrameType.CANCEL.code()) {
                        streamCredit.remove(stream);
                    }
                    continue;
                }
                int payload = f.length - FrameLayout.HEADER_LENGTH;
                long credit = Math.min(streamCredit.getOrDefault(stream, 0L), coreConnectionCredit);
                if (payload <= credit) {
                    ready.addLast(q.pollFirst());
                    take(stream, payload);
                    any = true;
                    continue;
                }
                boolean first = (f[FrameLayout.FLAGS_OFFSET] & FrameLayout.FLAG_FIRST) != 0;
                int cut = (int) credit;
                if (cut < (first ? FrameLayout.MESSAGE_LENGTH_PREFIX : 1)) {
                    break; // wait for the engine's credit
                }
                q.pollFirst();
                ready.addLast(messagePart(f, 0, cut, first));
                q.addFirst(messagePart(f, cut, payload - cut, false));
                take(stream, cut);
                any = true;
                break;
            }
            if (q.isEmpty()) {
                it.remove();
            }
        }
        if (any) {
            readable.signalAll();
        }
    }

    private void take(int stream, int bytes) {
        streamCredit.computeIfPresent(stream, (k, v) -> v - bytes);
        coreConnectionCredit -= bytes;
    }

    private static byte[] messagePart(byte[] f, int from, int n, boolean first) {
        byte[] part = new byte[FrameLayout.HEADER_LENGTH + n];
        ByteBuffer.wrap(part).putInt(FrameLayout.MIN_LENGTH + n).put(f[FrameLayout.TYPE_OFFSET])
                .put((byte) (first ? FrameLayout.FLAG_FIRST : 0)).put(f, FrameLayout.STREAM_ID_OFFSET, 4);
        System.arraycopy(f, FrameLayout.HEADER_LENGTH + from, part, FrameLayout.HEADER_LENGTH, n);
        return part;
    }

    // --- from the engine: credit for what this layer holds (call under lock) ---

    /** The engine wrote {@code bytes} of MESSAGE payload on {@code stream}: grant them back, or owe them. */
    final void coreMessageWritten(int stream, int bytes) {
        held += bytes;
        if (sharedHeld != null) {
            sharedHeld.addAndGet(bytes);
        }
        if (underBound() && owed.isEmpty()) {
            grant(stream, bytes);
        } else {
            owed.addLast(new int[] {stream, bytes});
        }
    }

    /** This layer let go of {@code bytes} it held: credit owed for them goes back to the engine. */
    final void released(long bytes) {
        long let = Math.min(held, bytes);
        held -= let;
        if (sharedHeld != null) {
            sharedHeld.addAndGet(-let);
        }
        payOwed();
    }

    private boolean underBound() {
        return held <= maxHeld && (sharedHeld == null || sharedHeld.get() <= maxHeld);
    }

    /** Grants credit owed while this session (or the server) held too much, as far as the bound now allows. */
    private void payOwed() {
        while (!owed.isEmpty() && underBound()) {
            int[] o = owed.pollFirst();
            grant(o[0], o[1]);
        }
    }

    /**
     * Credit is granted back in batches, not per frame: each grant wakes the engine's reader, which
     * cost a small call more than the call itself. A batch goes back once it reaches
     * {@link #GRANT_BATCH} bytes, or at the next tick ({@link #flushGrants}).
     */
    private void grant(int stream, int bytes) {
        if (bytes <= 0) {
            return;
        }
        long s = owedToStream.merge(stream, (long) bytes, Long::sum);
        owedToConnection += bytes;
        if (s >= GRANT_BATCH) {
            owedToStream.remove(stream);
            toCore(new Frame.Credit(stream, false, (int) s));
        }
        if (owedToConnection >= GRANT_BATCH) {
            toCore(new Frame.Credit(0, false, (int) owedToConnection));
            owedToConnection = 0;
        }
    }

    /** Grants every batch not yet full, and owed credit another session's release made room for (ticker, under lock). */
    final void flushGrants() {
        payOwed();
        for (Map.Entry<Integer, Long> e : owedToStream.entrySet()) {
            toCore(new Frame.Credit(e.getKey(), false, (int) (long) e.getValue()));
        }
        owedToStream.clear();
        if (owedToConnection > 0) {
            toCore(new Frame.Credit(0, false, (int) owedToConnection));
            owedToConnection = 0;
        }
    }

    /** The engine finished sending on {@code stream}: credit for it is of no use any more. */
    final void streamSent(int stream) {
        owedToStream.remove(stream);
    }

    // --- closing ---

    /** Ends the engine's side: its next read returns -1 (why == null) or throws {@code why}. Under lock. */
    final void closeLocal(IOException why) {
        if (!closed) {
            closed = true;
            failure = why;
            readable.signalAll();
        }
    }

    final boolean isClosedLocally() {
        return closed;
    }

    /** Threads of this side's kind: platform (daemon) or virtual. */
    static Thread.Builder threads(boolean platform, String name) {
        return platform ? Thread.ofPlatform().name(name).daemon(true) : Thread.ofVirtual().name(name);
    }

    /**
     * The DATA datagrams inside a BATCH, each a zero-based view; a record that is cut short, not a
     * DATA datagram, or of another session ends the batch and is counted (when {@code counters} is given).
     */
    static List<ByteBuffer> unpack(ByteBuffer d, int n, long session, UdpCounters counters) {
        List<ByteBuffer> records = new ArrayList<>();
        int at = DatagramLayout.HEADER_LENGTH;
        while (at < n) {
            if (n - at < DatagramLayout.BATCH_RECORD_HEADER) {
                drop(counters, UdpCounters.Drop.TRUNCATED);
                break;
            }
            int length = d.getShort(at) & 0xFFFF;
            at += DatagramLayout.BATCH_RECORD_HEADER;
            if (length < DatagramLayout.DATA_HEADER_LENGTH || length > n - at) {
                drop(counters, UdpCounters.Drop.TRUNCATED);
                break;
            }
            ByteBuffer r = d.slice(at, length);
            at += length;
            if (r.get(DatagramLayout.KIND_OFFSET) != DatagramLayout.DATA
                    || r.getLong(DatagramLayout.SESSION_OFFSET) != session) {
                drop(counters, UdpCounters.Drop.SPOOFED);
                break;
            }
            records.add(r);
        }
        return records;
    }

    private static void drop(UdpCounters counters, UdpCounters.Drop why) {
        if (counters != null) {
            counters.drop(why);
        }
    }

    /** The frames of a message, each length-prefixed, or null if the bytes do not split into frames. */
    static List<byte[]> splitFrames(byte[] message) {
        List<byte[]> frames = new ArrayList<>();
        int at = 0;
        while (at < message.length) {
            if (message.length - at < FrameLayout.HEADER_LENGTH) {
                return null;
            }
            int length = ByteBuffer.wrap(message, at, 4).getInt();
            if (length < FrameLayout.MIN_LENGTH || length > message.length - at - FrameLayout.LENGTH_LENGTH) {
                return null;
            }
            byte[] f = new byte[FrameLayout.LENGTH_LENGTH + length];
            System.arraycopy(message, at, f, 0, f.length);
            frames.add(f);
            at += f.length;
        }
        return frames;
    }

    static int typeOf(byte[] frame) {
        return frame[FrameLayout.TYPE_OFFSET] & 0xFF;
    }

    static int streamOf(byte[] frame) {
        return ByteBuffer.wrap(frame, FrameLayout.STREAM_ID_OFFSET, 4).getInt() & FrameLayout.STREAM_ID_MASK;
    }

    static String describe(java.net.InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        if (host.indexOf(':') >= 0) {
            int pct = host.indexOf('%');
            host = "[" + (pct >= 0 ? host.substring(0, pct) : host) + "]";
        }
        return "udp://" + host + ":" + a.getPort();
    }
}
