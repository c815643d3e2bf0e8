package io.framewire.protocol;

/** The gRPC canonical status codes, which end every call ({@code PROTOCOL.md} section 5). */
public enum StatusCode {
    OK(0),
    CANCELLED(1),
    UNKNOWN(2),
    INVALID_ARGUMENT(3),
    DEADLINE_EXCEEDED(4),
    NOT_FOUND(5),
    ALREADY_EXISTS(6),
    PERMISSION_DENIED(7),
    RESOURCE_EXHAUSTED(8),
    FAILED_PRECONDITION(9),
    ABORTED(10),
    OUT_OF_RANGE(11),
    UNIMPLEMENTED(12),
    INTERNAL(13),
    UNAVAILABLE(14),
    DATA_LOSS(15),
    UNAUTHENTICATED(16);

    private static final StatusCode[] BY_CODE = values();

    private final int code;

    StatusCode(int code) {
        this.code = code;
    }

    /** The u8 on the wire, equal to gRPC's numeric code. */
    public int code() {
        return code;
    }

    /** The status with this code; a code above 16 reads as {@link #UNKNOWN}, as in gRPC. */
    public static StatusCode of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }
}
