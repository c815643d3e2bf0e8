package io.framewire.protocol;

/** Why a broker discarded messages of a subscription (GAP frame). */
public enum GapReason {
    DROPPED_OLDEST(1),
    DROPPED_NEWEST(2),
    BLOCK_TIMEOUT(3),
    /** The subscriber was disconnected (DISCONNECT policy); these were queued for it. */
    SLOW_CONSUMER(4),
    /** The DELIVER would be longer than the subscriber's MAX_FRAME_SIZE. */
    TOO_LARGE(5),
    /** Lost on the network (pub/sub over udp): the receiver saw a hole in the sequence numbers. */
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
