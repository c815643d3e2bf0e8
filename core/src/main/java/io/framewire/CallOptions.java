package io.framewire;

import io.framewire.protocol.Metadata;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-call options: a deadline and request metadata. Immutable; each {@code with*} returns a copy,
 * so a constant can be shared and refined per call.
 *
 * <pre>{@code
 * CallOptions opts = CallOptions.DEFAULT
 *         .withTimeout(Duration.ofMillis(250))
 *         .withMetadata(Metadata.builder().put("tenant", "acme").build());
 * client.call(GET, key, opts);
 * }</pre>
 *
 * <p>A timeout is relative: it starts when the call starts, so an options object with a timeout can be
 * reused. A {@link Deadline} is absolute. When both are set the earlier wins.
 */
public final class CallOptions {
    /** No deadline, no metadata. */
    public static final CallOptions DEFAULT = new CallOptions(null, null, Metadata.EMPTY);

    private final Duration timeout;
    private final Deadline deadline;
    private final Metadata metadata;

    private CallOptions(Duration timeout, Deadline deadline, Metadata metadata) {
        this.timeout = timeout;
        this.deadline = deadline;
        this.metadata = metadata;
    }

    /** These options with a timeout counted from the start of each call. */
    public CallOptions withTimeout(Duration timeout) {
        return new CallOptions(Objects.requireNonNull(timeout, "timeout"), deadline, metadata);
    }

    /** These options with an absolute deadline. */
    public CallOptions withDeadline(Deadline deadline) {
        return new CallOptions(timeout, Objects.requireNonNull(deadline, "deadline"), metadata);
    }

    /** These options with {@code metadata} replacing the request metadata. */
    public CallOptions withMetadata(Metadata metadata) {
        return new CallOptions(timeout, deadline, Objects.requireNonNull(metadata, "metadata"));
    }

    /** These options with {@code more} appended to the request metadata. */
    public CallOptions withAddedMetadata(Metadata more) {
        return new CallOptions(timeout, deadline, metadata.merge(more));
    }

    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    public Optional<Deadline> deadline() {
        return Optional.ofNullable(deadline);
    }

    /** The deadline a call starting now gets: the earlier of the deadline and now + timeout. */
    public Optional<Deadline> effectiveDeadline() {
        if (timeout == null) {
            return Optional.ofNullable(deadline);
        }
        Deadline fromTimeout = Deadline.after(timeout);
        return Optional.of(deadline == null ? fromTimeout : deadline.earliest(fromTimeout));
    }

    public Metadata metadata() {
        return metadata;
    }

    @Override
    public String toString() {
        return "CallOptions{timeout=" + timeout + ", deadline=" + deadline + ", metadata=" + metadata + "}";
    }
}
