package io.framewire.protocol;

import java.util.Objects;

/**
 * A violation of the wire protocol, found while decoding or checking frames. The code is what the
 * receiver sends in its ERROR frame before closing; the message says what was wrong, in terms a
 * person debugging the peer can act on.
 */
public final class ProtocolException extends RuntimeException {
    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public String toString() {
        return "ProtocolException[" + code + "]: " + getMessage();
    }
}
