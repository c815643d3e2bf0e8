package io.framewire.internal;

import io.framewire.protocol.Frame;
import java.util.List;

/**
 * Something with frames to write on a connection, drained by {@link Outbound}'s writer in turn with
 * the others: a call stream ({@link SendQueue}) or a broker subscription ({@link BrokerSubscription}).
 * Every method runs under the outbound's lock.
 */
abstract class OutboundSource {
    /** In the outbound's ready ring. */
    boolean scheduled;

    abstract boolean isEmpty();

    /** Whether something could be written now, given the connection's credit. */
    abstract boolean sendable(long connectionWindow);

    /**
     * Moves frames into {@code batch}, at most about {@code dataQuantum} bytes of payload (so sources
     * take turns), within credit. Returns the encoded bytes moved.
     *
     * @param connectionWindow a one-element array holding the connection credit, decremented by
     *        flow-controlled frames
     */
    abstract long pollInto(List<Frame> batch, int dataQuantum, int maxFragment, long[] connectionWindow);

    /**
     * Bytes of this source that count against the connection's queue bound ({@link Outbound}'s byte
     * limit): a call stream's queued frames and messages. A broker subscription has bounds of its own
     * and counts nothing here.
     */
    long accountedBytes() {
        return 0;
    }

    /** Whether it is held back only by the connection's window (so connection credit should reschedule it). */
    boolean waitsForConnectionCredit(long connectionWindow) {
        return false;
    }

    /** Called once it is empty after polling: a source that has ended can be forgotten. */
    void drained(Outbound outbound) {}
}
