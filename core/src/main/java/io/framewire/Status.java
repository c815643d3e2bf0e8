package io.framewire;

import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import java.util.Objects;

/**
 * The outcome of a call: a gRPC canonical {@link StatusCode} and a description for humans. Every call
 * ends with exactly one status, on both sides.
 *
 * <pre>{@code
 * throw Status.of(StatusCode.NOT_FOUND, "no key " + key).asException();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class Status {
    /** Success. */
    public static final Status OK = new Status(StatusCode.OK, "");

    private final StatusCode code;
    private final String description;

    private Status(StatusCode code, String description) {
        this.code = code;
        this.description = description;
    }

    public static Status of(StatusCode code, String description) {
        return new Status(Objects.requireNonNull(code, "code"), description == null ? "" : description);
    }

    public StatusCode code() {
        return code;
    }

    /** What happened, for humans; empty when there is nothing to add to the code. */
    public String description() {
        return description;
    }

    public boolean isOk() {
        return code == StatusCode.OK;
    }

    /** An exception carrying this status and no trailers. */
    public StatusException asException() {
        return new StatusException(this, Metadata.EMPTY, null);
    }

    /** An exception carrying this status and trailing metadata to send with it. */
    public StatusException asException(Metadata trailers) {
        return new StatusException(this, trailers, null);
    }

    /** An exception carrying this status, with a local cause (which never travels on the wire). */
    public StatusException asException(Throwable cause) {
        return new StatusException(this, Metadata.EMPTY, cause);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Status s && s.code == code && s.description.equals(description);
    }

    @Override
    public int hashCode() {
        return code.hashCode() * 31 + description.hashCode();
    }

    @Override
    public String toString() {
        return description.isEmpty() ? code.name() : code + ": " + description;
    }
}
