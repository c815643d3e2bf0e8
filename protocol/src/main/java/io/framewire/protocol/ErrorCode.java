package io.framewire.protocol;

/** Connection error codes carried by ERROR and GOAWAY ({@code PROTOCOL.md} section 5). */
public enum ErrorCode {
    NO_ERROR(0),
    PROTOCOL_ERROR(1),
    BAD_MAGIC(2),
    UNSUPPORTED_VERSION(3),
    FRAME_TOO_LARGE(4),
    MALFORMED_FRAME(5),
    UNKNOWN_FRAME_TYPE(6),
    FLOW_CONTROL_ERROR(7),
    HANDSHAKE_TIMEOUT(8),
    KEEPALIVE_TIMEOUT(9),
    ENHANCE_YOUR_CALM(10),
    SLOW_CONSUMER(11),
    INTERNAL_ERROR(12),
    TRUNCATED_FRAME(13),
    /** The sender is over a limit of its own (connections, memory) and sheds this connection. */
    OVERLOADED(14),
    /** A frame was begun but not completed within the receiver's frame timeout. */
    FRAME_TIMEOUT(15);

    private static final ErrorCode[] BY_CODE = values();

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The u16 on the wire. */
    public int code() {
        return code;
    }

    /** The error with this wire code; an unknown code reads as {@link #INTERNAL_ERROR}. */
    public static ErrorCode of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : INTERNAL_ERROR;
    }
}
