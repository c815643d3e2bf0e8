package io.framewire.protocol;

/**
 * The four call shapes, with their wire values in a CALL frame, and {@link #UNKNOWN} for a caller that
 * does not know the shape (a gateway forwarding gRPC calls, whose wire does not carry it).
 */
public enum MethodType {
    /** One request, one response. */
    UNARY(0),
    /** A stream of requests, one response. */
    CLIENT_STREAMING(1),
    /** One request, a stream of responses. */
    SERVER_STREAMING(2),
    /** Streams both ways, independent of each other. */
    BIDI_STREAMING(3),
    /**
     * The caller does not know the method's shape and sends and receives as in a bidi stream; the server
     * runs the method with its registered shape and holds the call to that shape's rules (PROTOCOL.md 3.2).
     */
    UNKNOWN(4);

    private static final MethodType[] BY_CODE = values();

    private final int code;

    MethodType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Whether the client sends exactly one message. */
    public boolean clientSendsOne() {
        return this == UNARY || this == SERVER_STREAMING;
    }

    /** Whether the server sends exactly one message on success. */
    public boolean serverSendsOne() {
        return this == UNARY || this == CLIENT_STREAMING;
    }

    static MethodType ofOrNull(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
