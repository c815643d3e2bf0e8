package io.framewire;

import java.util.OptionalLong;

/**
 * Messages a subscription lost, delivered in sequence order where they would have been: after the
 * message numbered {@link #afterSequence()}, {@link #lost()} messages are missing, and the next
 * message is numbered {@code afterSequence + lost + 1}. After a reconnect the count is unknown (the
 * broker cannot know what was published while the subscriber was away), and numbering goes on from
 * {@code afterSequence + 1}.
 *
 * @param afterSequence the sequence number of the last message before the gap (0 if none)
 * @param lostCount how many messages were lost, or -1 if unknown ({@link Reason#RECONNECT})
 * @param reason why they were lost
 */
public record Gap(long afterSequence, long lostCount, Reason reason) implements Delivery {

    /** Why messages were lost. */
    public enum Reason {
        /** The subscription's queue was full and its policy is DROP_OLDEST. */
        DROPPED_OLDEST,
        /** The subscription's queue was full and its policy is DROP_NEWEST. */
        DROPPED_NEWEST,
        /** The queue stayed full for the BLOCK policy's timeout. */
        BLOCK_TIMEOUT,
        /** The queue overflowed under the DISCONNECT policy: these were queued when the broker disconnected. */
        SLOW_CONSUMER,
        /** The connection was lost; the client reconnected and subscribed again. */
        RECONNECT,
        /** The message was larger than this client accepts in a frame (its MAX_FRAME_SIZE setting). */
        TOO_LARGE,
        /**
         * Lost on the network (udp://): the receiver saw a hole in the sequence numbers that was not
         * repaired in time. On a multicast group the lost message's topic is unknown, so every
         * subscription on the connection is told: there the count is an upper bound.
         */
        LOST
    }

    /** The first lost sequence number. */
    public long firstSequence() {
        return afterSequence + 1;
    }

    /** The last lost sequence number, when the count is known. */
    public OptionalLong lastSequence() {
        return lostCount >= 0 ? OptionalLong.of(afterSequence + lostCount) : OptionalLong.empty();
    }

    /** How many were lost, when known. */
    public OptionalLong lost() {
        return lostCount >= 0 ? OptionalLong.of(lostCount) : OptionalLong.empty();
    }

    @Override
    public String toString() {
        return lostCount >= 0 ? "Gap[" + firstSequence() + ".." + (afterSequence + lostCount) + ", " + reason + "]"
                : "Gap[after " + afterSequence + ", unknown count, " + reason + "]";
    }
}
