package io.framewire.protocol;

/**
 * What a broker does when a subscription's bounded queue is full ({@code PROTOCOL.md} section 6).
 * Every message lost to a policy is reported to the subscriber as a gap.
 */
public enum OverflowPolicy {
    /** The publisher waits for room up to the subscription's block timeout; past it the message is dropped. */
    BLOCK(0),
    /** The oldest queued message is discarded. */
    DROP_OLDEST(1),
    /** The new message is discarded. */
    DROP_NEWEST(2),
    /** The slow subscriber's connection is closed. */
    DISCONNECT(3);

    private static final OverflowPolicy[] BY_CODE = values();

    private final int code;

    OverflowPolicy(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    static OverflowPolicy ofOrNull(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
