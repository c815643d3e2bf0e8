package io.framewire.internal;

import io.framewire.protocol.Frame;
import io.framewire.protocol.FrameEncoder;
import io.framewire.protocol.FrameLayout;
import java.util.ArrayDeque;
import java.util.List;

/**
 * What one stream has still to send, in order: its control frames (CALL, HEADERS, HALF_CLOSE, STATUS,
 * CANCEL) and its messages, which are cut into fragments only as credit allows. Every field is guarded
 * by the owning {@link Outbound}'s lock.
 */
final class SendQueue extends OutboundSource {
    /** A message being sent: {@code data[sent..]} is still to go. */
    private static final class PendingMessage {
        final byte[] data;
        int sent;
        boolean started;

        PendingMessage(byte[] data) {
            this.data = data;
        }
    }

    /**
     * What a queued message costs the heap beyond its bytes and its length prefix, charged while it
     * waits: its {@link PendingMessage} (24 bytes with compressed references), its slot in
     * {@link #items} (up to 8 with the deque's doubling) and its array's header (16), as
     * {@link StreamBase#MESSAGE_OVERHEAD_BYTES} is for a message received. Without it a queue of empty
     * messages held about ten times what it counted: 8 connections whose client granted no credit,
     * each with 64 server streams of empty messages, ran a server with a 32 MiB budget out of its 128 MiB
     * heap while {@code memoryInUse} read under 32 MiB (HostileProcessesTest a12d2).
     */
    static final int QUEUED_MESSAGE_OVERHEAD = 48;

    int streamId;
    /** Credit the peer granted for this stream, in payload bytes. */
    long window;
    /**
     * Unsent bytes of queued messages and their length prefixes, plus {@link #QUEUED_MESSAGE_OVERHEAD}
     * per queued message, plus encoded sizes of queued frames: what the queue is charged and bounded by.
     */
    long queuedBytes;
    /** Closed: nothing more may be queued, and what is queued is dropped. */
    boolean discarded;
    /** Whether the stream's first frame (its CALL, for a client) has been handed to the writer. */
    boolean opened;
    /** An async sender asked and was told "not ready"; tell it when it is. */
    boolean readyWanted;
    /** When a message was last queued here, for telling a burst from an isolated send. */
    long lastMessageNanos = Long.MIN_VALUE / 2;
    /** Queued bytes below which an async sender is told it is ready again. */
    long readyThreshold;
    /** Called (via the outbound) when {@link #readyWanted} and the queue drains below the threshold. */
    Runnable onReady;
    /** Receive credit this side owes the peer for the stream: sent as one CREDIT ahead of the queued frames. */
    long owedCredit;
    /**
     * Whether frames, not only messages, spend {@link #window}: the publish queue's PUBLISH frames spend
     * publish credit (PROTOCOL.md section 4.1), sent while it is positive.
     */
    private final boolean framesSpendCredit;

    private final ArrayDeque<Object> items = new ArrayDeque<>();
    /**
     * The encoded sizes of the frames in {@link #items}, in their order (messages have none): a frame is
     * sized once, when it is queued, not again when the writer takes it. A ring, grown by doubling.
     */
    private int[] frameSizes = new int[8];
    private int sizesHead;
    private int sizesCount;

    SendQueue(long initialWindow) {
        this(initialWindow, false);
    }

    SendQueue(long initialWindow, boolean framesSpendCredit) {
        this.window = initialWindow;
        this.framesSpendCredit = framesSpendCredit;
    }

    @Override
    long accountedBytes() {
        return queuedBytes;
    }

    @Override
    boolean isEmpty() {
        return items.isEmpty() && owedCredit == 0;
    }

    void addFrame(Frame frame) {
        addFrame(frame, FrameEncoder.encodedLength(frame));
    }

    /** Queues {@code frame}, whose {@link FrameEncoder#encodedLength} the caller has just computed. */
    void addFrame(Frame frame, int encodedLength) {
        if (sizesCount == frameSizes.length) {
            int[] grown = new int[frameSizes.length * 2];
            for (int i = 0; i < sizesCount; i++) {
                grown[i] = frameSizes[(sizesHead + i) & (frameSizes.length - 1)];
            }
            frameSizes = grown;
            sizesHead = 0;
        }
        frameSizes[(sizesHead + sizesCount) & (frameSizes.length - 1)] = encodedLength;
        sizesCount++;
        items.add(frame);
        queuedBytes += encodedLength;
    }

    /** Takes the size of the frame at the head of {@link #items}, which is being taken too. */
    private int pollFrameSize() {
        int n = frameSizes[sizesHead];
        sizesHead = (sizesHead + 1) & (frameSizes.length - 1);
        sizesCount--;
        return n;
    }

    void addMessage(byte[] data) {
        items.add(new PendingMessage(data));
        queuedBytes += FrameLayout.MESSAGE_LENGTH_PREFIX + data.length + QUEUED_MESSAGE_OVERHEAD;
    }

    /** Drops everything queued; returns the bytes dropped. */
    long clear() {
        items.clear();
        sizesHead = 0;
        sizesCount = 0;
        long dropped = queuedBytes;
        queuedBytes = 0;
        return dropped;
    }

    /** Credit the next fragment needs at least, or 0 if the head is not a message (or nothing is queued). */
    int creditNeeded() {
        Object head = items.peek();
        if (head instanceof PendingMessage m) {
            int prefix = m.started ? 0 : FrameLayout.MESSAGE_LENGTH_PREFIX;
            return prefix + Math.min(1, m.data.length - m.sent);
        }
        return 0;
    }

    /**
     * Moves frames into {@code batch}: control frames as they come, and message data up to
     * {@code dataQuantum} bytes of fragments, each no larger than {@code maxFragment} and within the
     * stream's and the connection's credit.
     *
     * @param connectionWindow a one-element array holding the connection credit, decremented here
     * @return bytes (encoded) moved into the batch
     */
    @Override
    long pollInto(List<Frame> batch, int dataQuantum, int maxFragment, long[] connectionWindow) {
        long moved = 0;
        int data = 0;
        if (owedCredit > 0) {
            batch.add(new Frame.Credit(streamId, false, (int) Math.min(owedCredit, FrameLayout.MAX_WINDOW)));
            owedCredit = Math.max(0, owedCredit - FrameLayout.MAX_WINDOW);
            moved += FrameLayout.HEADER_LENGTH + 4;
        }
        while (!items.isEmpty()) {
            Object head = items.peek();
            if (head instanceof Frame f) {
                if (framesSpendCredit && (window <= 0 || data >= dataQuantum)) {
                    break; // waits for publish credit, or takes turns
                }
                int n = pollFrameSize();
                if (framesSpendCredit) {
                    int payload = n - FrameLayout.HEADER_LENGTH;
                    window -= payload;
                    data += payload;
                }
                items.poll();
                batch.add(f);
                queuedBytes -= n;
                moved += n;
                opened = true;
                continue;
            }
            if (data >= dataQuantum) {
                break;
            }
            PendingMessage m = (PendingMessage) head;
            int prefix = m.started ? 0 : FrameLayout.MESSAGE_LENGTH_PREFIX;
            long credit = Math.min(window, connectionWindow[0]);
            int remaining = m.data.length - m.sent;
            long room = Math.min(credit - prefix, Math.min(maxFragment - prefix, dataQuantum - data));
            if (room < Math.min(1, remaining) || credit < prefix) {
                break; // waits for credit
            }
            int take = (int) Math.min(remaining, room);
            Frame.Message frag = new Frame.Message(streamId, m.started ? -1 : m.data.length, m.data, m.sent, take);
            m.started = true;
            m.sent += take;
            int payload = prefix + take;
            window -= payload;
            connectionWindow[0] -= payload;
            queuedBytes -= payload;
            data += take;
            moved += FrameLayout.HEADER_LENGTH + payload;
            batch.add(frag);
            if (m.sent < m.data.length) {
                break; // one fragment of an unfinished message per turn, so other streams interleave
            }
            items.poll();
            queuedBytes -= QUEUED_MESSAGE_OVERHEAD;
        }
        return moved;
    }

    @Override
    boolean sendable(long connectionWindow) {
        if (owedCredit > 0) {
            return true;
        }
        Object head = items.peek();
        if (head == null) {
            return false;
        }
        if (framesSpendCredit && head instanceof Frame) {
            return window > 0;
        }
        int need = creditNeeded();
        return need == 0 || (window >= need && connectionWindow >= need);
    }

    @Override
    boolean waitsForConnectionCredit(long connectionWindow) {
        if (framesSpendCredit && items.peek() instanceof Frame) {
            return false; // publishes wait for publish credit only
        }
        return !isEmpty() && window >= creditNeeded();
    }

    @Override
    void drained(Outbound outbound) {
        if (discarded && items.isEmpty()) {
            outbound.forgetFinishedLocked(this);
        }
    }
}
