package io.framewire.transport.udp.multicast;

import io.framewire.transport.udp.internal.DropCounts;
import java.util.concurrent.atomic.LongAdder;

/** What one multicast connection counted, as publisher and as receiver; read by tests and reports. */
final class MulticastCounters {

    /** Why a received datagram (or a message, or part of one) was dropped. */
    enum Drop {
        /** Shorter than its kind's fixed fields, or longer than the maximum datagram size. */
        TRUNCATED,
        /** Byte 0 is not the datagram format this version speaks. */
        WRONG_FORMAT,
        /** A kind this side does not take on this socket. */
        UNKNOWN_KIND,
        /** A multicast version this side does not speak. */
        WRONG_VERSION,
        /** Fragment index, count, total and length that do not describe a fragment this side accepts. */
        BAD_FRAGMENT,
        /** A message announcing more bytes than the maximum message size. */
        OVERSIZED_MESSAGE,
        /** A publisher id already seen from another source address. */
        SPOOFED,
        /** A fragment that disagrees with earlier fragments of its message (total or count). */
        INCONSISTENT_FRAGMENT,
        /** Reassembly memory for its publisher, or for the whole connection, was full. */
        REASSEMBLY_FULL,
        /** An incomplete message discarded after the reassembly timeout (its sequence becomes missing). */
        REASSEMBLY_TIMEOUT,
        /** A reassembled message that is not one valid PUBLISH frame. */
        MALFORMED_MESSAGE,
        /** A sequence already delivered, reported lost, or already held. */
        DUPLICATE,
        /** A retransmission of a stream this receiver has not joined, or a sequence below its join point. */
        BEFORE_JOIN,
        /** A new publisher while the connection tracks its maximum number of publishers. */
        TOO_MANY_PUBLISHERS,
        /** A NAK with bad ranges, or for a publisher id that is not this connection's. */
        BAD_NAK
    }

    final LongAdder datagramsIn = new LongAdder();
    final LongAdder datagramsOut = new LongAdder();
    /** Publisher: messages published (each once, however many fragments). */
    final LongAdder published = new LongAdder();
    /** Publisher: messages sent again in answer to NAKs. */
    final LongAdder retransmits = new LongAdder();
    /** Publisher: NAKed sequences no longer in the retransmit buffer (answered with a heartbeat). */
    final LongAdder unrepairable = new LongAdder();
    /** Receiver: NAK datagrams sent. */
    final LongAdder naksSent = new LongAdder();
    /** Receiver: messages that arrived after a NAK had asked for them. */
    final LongAdder repaired = new LongAdder();
    /** Receiver: complete messages handed to the local subscriptions, in order. */
    final LongAdder messagesIn = new LongAdder();
    /** Receiver: sequence numbers declared lost (a gap). */
    final LongAdder lost = new LongAdder();
    private final DropCounts<Drop> drops = new DropCounts<>(Drop.class);

    void drop(Drop why) {
        drops.increment(why);
    }

    long dropped(Drop why) {
        return drops.get(why);
    }

    long droppedTotal() {
        return drops.total();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("in=").append(datagramsIn.sum()).append(" out=").append(datagramsOut.sum())
                .append(" published=").append(published.sum()).append(" retransmits=").append(retransmits.sum())
                .append(" naksSent=").append(naksSent.sum()).append(" repaired=").append(repaired.sum())
                .append(" messagesIn=").append(messagesIn.sum()).append(" lost=").append(lost.sum());
        return drops.appendNonZero(sb, " ", "=").toString();
    }
}
