package io.framewire.protocol;

import java.util.Optional;

/** Frame types, with their wire codes ({@code PROTOCOL.md} section 3). */
public enum FrameType {
    HELLO(0x01),
    PING(0x02),
    PONG(0x03),
    GOAWAY(0x04),
    ERROR(0x05),
    CREDIT(0x06),
    CALL(0x10),
    HEADERS(0x11),
    MESSAGE(0x12),
    HALF_CLOSE(0x13),
    STATUS(0x14),
    CANCEL(0x15),
    SUBSCRIBE(0x20),
    UNSUBSCRIBE(0x21),
    PUBLISH(0x22),
    DELIVER(0x23),
    GAP(0x24),
    ACK(0x25),
    SUBSCRIPTION_END(0x26);

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    /** The type byte on the wire. */
    public int code() {
        return code;
    }

    /** The type with this wire code, or empty for an unknown code. */
    public static Optional<FrameType> of(int code) {
        return Optional.ofNullable(code >= 0 && code < 256 ? BY_CODE[code] : null);
    }

    static FrameType orNull(int code) {
        return BY_CODE[code & 0xFF];
    }

    /** Whether an unknown frame of this code is skipped rather than rejected. */
    public static boolean isExtension(int code) {
        return code >= FrameLayout.FIRST_EXTENSION_TYPE && code <= 0xFF;
    }
}
