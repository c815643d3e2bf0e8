package io.framewire.transport.udp;

import io.framewire.transport.udp.internal.DropCounts;
import java.util.concurrent.atomic.LongAdder;

/** What one endpoint (a client connection, or a server with all its peers) counted; read by tests and reports. */
final class UdpCounters {

    /** Why a datagram (or a message, or a cached response) was dropped. */
    enum Drop {
        /** Shorter than its kind's fixed fields, or a length field pointing past its end. */
        TRUNCATED,
        /** Byte 0 is not the datagram format this version speaks. */
        WRONG_FORMAT,
        /** A kind this side does not know or does not take in this direction. */
        UNKNOWN_KIND,
        /** Above the configured maximum datagram size. */
        OVERSIZED_DATAGRAM,
        /** From an address with no session, and not an INITIAL. */
        NO_SESSION,
        /** From a session's address with another session id, or a session id from another address. */
        SPOOFED,
        /** An INITIAL whose cookie does not verify or has expired. */
        BAD_COOKIE,
        /** A message announcing more bytes than the maximum message size. */
        OVERSIZED_MESSAGE,
        /** A fragment whose offset and length do not fit its message, or disagree with another fragment. */
        BAD_FRAGMENT,
        /** Reassembly memory of the sending peer was full. */
        PEER_REASSEMBLY_FULL,
        /** Reassembly memory of the whole server was full. */
        TOTAL_REASSEMBLY_FULL,
        /** An incomplete message timed out. */
        REASSEMBLY_TIMEOUT,
        /** A reassembled message whose frames do not form a request or response. */
        MALFORMED_MESSAGE,
        /** An answer to an unverified address withheld by the amplification limit. */
        AMPLIFICATION_LIMIT,
        /** An INITIAL refused because the server holds its maximum number of peers. */
        PEER_LIMIT,
        /** A request refused because the duplicate-request cache was full. */
        CACHE_FULL,
        /** A pub/sub message that is not one frame this side accepts on channel PUBSUB (section 9.6). */
        PUBSUB_MALFORMED,
        /** Server: a pub/sub message from a client whose dedup memory is full (the client sends it again). */
        PUBSUB_DEDUP_FULL,
        /** Server: a PUBLISH while the engine's publish credit is used up (the client sends it again). */
        PUBSUB_NO_CREDIT,
        /** Client: a delivery for a subscription this side no longer has. */
        PUBSUB_STALE,
        /** Client: a delivery (or GAP) whose sequence numbers this subscription already had. */
        PUBSUB_DUPLICATE,
        /** Client: a delivery turned into a LOST gap because the subscription's queue toward the engine was full. */
        PUBSUB_QUEUE_FULL,
        /** Client: a TAIL record announcing a sequence number implausibly far (over 2^32) past what the subscription expects. */
        PUBSUB_TAIL_AHEAD,
        /** A datagram for a call this side no longer has (finished, or below the client's floor). */
        STALE,
        /** Handling it threw (a bug, or memory short for a moment): the datagram is lost, the receiver goes on. */
        FAULT
    }

    final LongAdder datagramsIn = new LongAdder();
    final LongAdder datagramsOut = new LongAdder();
    final LongAdder bytesIn = new LongAdder();
    final LongAdder bytesOut = new LongAdder();
    /** Client: requests sent again (each whole resend counts once). */
    final LongAdder retransmits = new LongAdder();
    /** Client: polls for the response of a call the server acknowledged. */
    final LongAdder polls = new LongAdder();
    /** Server: requests handed to the engine, so handlers started (each call at most once). */
    final LongAdder requestsDelivered = new LongAdder();
    /** Server: duplicates of a finished call answered from the cache. */
    final LongAdder answeredFromCache = new LongAdder();
    /** Server: duplicates of a running call, answered with an acknowledgement only. */
    final LongAdder duplicatesWhileRunning = new LongAdder();
    /** Server: cached responses dropped for the cache's byte or time bound. */
    final LongAdder cacheEvictions = new LongAdder();
    /** Server: peers dropped because they fell silent. */
    final LongAdder peersTimedOut = new LongAdder();
    /** Client: calls ended DATA_LOSS because the server no longer had their response. */
    final LongAdder gone = new LongAdder();
    /** Client: pub/sub messages sent again for want of an acknowledgement. */
    final LongAdder pubsubRetransmits = new LongAdder();
    /** Client: sequence numbers reported as LOST gaps. */
    final LongAdder pubsubLost = new LongAdder();
    /** Server: subscriptions dropped because their lease ran out. */
    final LongAdder leasesExpired = new LongAdder();
    /** Server: subscription ids whose lease a RENEW extended. */
    final LongAdder leasesRenewed = new LongAdder();
    /** Server: PUBLISH frames handed to the engine (each at most once per message id). */
    final LongAdder publishesDelivered = new LongAdder();
    /** Server: DELIVER frames sent (once each). */
    final LongAdder deliveriesSent = new LongAdder();
    /** Server: TAIL records sent (a subscription's highest sequence number, told after it fell quiet). */
    final LongAdder tailsSent = new LongAdder();
    /** Client: TAIL records taken (for a subscription it has; whether or not they revealed a loss). */
    final LongAdder tailsReceived = new LongAdder();
    private final DropCounts<Drop> drops = new DropCounts<>(Drop.class);

    /**
     * The checks every received datagram passes first, at either end: at most {@code maxDatagramSize}
     * bytes, a whole header, this version's format byte. Counts the drop and returns false otherwise.
     */
    boolean admits(java.nio.ByteBuffer d, int maxDatagramSize) {
        int n = d.remaining();
        Drop why = n > maxDatagramSize ? Drop.OVERSIZED_DATAGRAM
                : n < DatagramLayout.HEADER_LENGTH ? Drop.TRUNCATED
                : (d.get(DatagramLayout.FORMAT_OFFSET) & 0xFF) != DatagramLayout.FORMAT ? Drop.WRONG_FORMAT
                : null;
        if (why != null) {
            drop(why);
        }
        return why == null;
    }

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
        StringBuilder sb = new StringBuilder("datagrams in/out ").append(datagramsIn.sum()).append('/')
                .append(datagramsOut.sum()).append(", retransmits ").append(retransmits.sum()).append(", polls ")
                .append(polls.sum()).append(", delivered ").append(requestsDelivered.sum()).append(", from cache ")
                .append(answeredFromCache.sum()).append(", duplicates while running ").append(duplicatesWhileRunning.sum())
                .append(", deliveries sent ").append(deliveriesSent.sum()).append(", tails sent/received ")
                .append(tailsSent.sum()).append('/').append(tailsReceived.sum()).append(", pub/sub lost ")
                .append(pubsubLost.sum());
        return drops.appendNonZero(sb, ", ", " ").toString();
    }
}
