package io.framewire;

import io.framewire.protocol.Metadata;
import java.util.Objects;

/**
 * A call that ended with a status other than OK. Clients receive it from failed calls; handlers throw
 * it to end a call with a chosen status (and trailers). Unchecked, like every Framewire exception.
 *
 * <pre>{@code
 * try {
 *     client.call(GET, key);
 * } catch (StatusException e) {
 *     if (e.status().code() == StatusCode.NOT_FOUND) { ... }
 * }
 * }</pre>
 */
public final class StatusException extends RuntimeException {
    private final Status status;
    private final transient Metadata trailers;

    StatusException(Status status, Metadata trailers, Throwable cause) {
        super(status.toString(), cause);
        this.status = Objects.requireNonNull(status, "status");
        this.trailers = Objects.requireNonNull(trailers, "trailers");
    }

    public Status status() {
        return status;
    }

    /** Trailing metadata sent with the status; empty if none. */
    public Metadata trailers() {
        return trailers;
    }
}
