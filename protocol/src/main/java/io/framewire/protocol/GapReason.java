package io.framewire.protocol;

/** Why messages of a subscription were lost (GAP frame): discarded by a broker, or lost on the network. */
public enum GapReason {
    DROPPED_OLDEST(1),
    DROPPED_NEWEST(2),
    BLOCK_TIMEOUT(3),
    /** The subscriber was disconnected (DISCONNECT policy); these were queued for it. */
    SLOW_CONSUMER(4),
    /** The DELIVER would be longer than the subscriber's MAX_FRAME_SIZE. */
    TOO_LARGE(5),
    /** Lost on the network (pub/sub over udp, unicast or multicast): a hole in the sequence numbers, not repaired in time. */
    LOST(6);

    private final int code;

    GapReason(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    static GapReason ofOrNull(int code) {
        for (GapReason r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        return null;
    }
}
