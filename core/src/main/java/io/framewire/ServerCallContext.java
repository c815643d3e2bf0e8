package io.framewire;

import io.framewire.protocol.Metadata;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What a server handler knows about its call: the method, the caller's metadata and deadline, the
 * peer and its transport, and whether the call is still wanted. Also where it sets response headers
 * and trailers.
 *
 * <pre>{@code
 * UnaryHandler<Query, Result> search = (query, ctx) -> {
 *     String tenant = ctx.requestMetadata().get("tenant").orElse("default");
 *     ctx.onCancel(() -> backend.abort(query));          // the client gave up, or the deadline passed
 *     while (!ctx.isCancelled() && more()) { ... }
 *     ctx.setTrailers(Metadata.builder().put("rows-scanned", "1200").build());
 *     return result;
 * };
 * }</pre>
 *
 * <p>Thread-safe. Listeners registered with {@link #onCancel} and {@link #onClose} run once, on a
 * thread of their own (never the connection's reader), and must not assume the handler has returned.
 */
public interface ServerCallContext {

    /** The full method name, {@code package.Service/Method}. */
    String methodName();

    /** The metadata the client sent with the call. */
    Metadata requestMetadata();

    /** Who called, over which transport. */
    Peer peer();

    /** The caller's deadline, measured on this server's clock from the call's arrival. */
    Optional<Deadline> deadline();

    /** Time left before the deadline (negative once passed), if the call has one. */
    default Optional<Duration> timeRemaining() {
        return deadline().map(Deadline::timeRemaining);
    }

    /** Whether the call ended before the handler finished: cancelled by the client, past its deadline, or its connection lost. */
    boolean isCancelled();

    /** Why the call was cancelled, once it has been. */
    Optional<Status> cancellationStatus();

    /** Runs {@code listener} once when the call is cancelled (at once if it already was). */
    void onCancel(Runnable listener);

    /** Runs {@code listener} once with the call's final status, whatever ended it. For interceptors and metrics. */
    void onClose(Consumer<Status> listener);

    /**
     * Sets response metadata, sent before the first response message.
     *
     * @throws IllegalStateException if headers have already been sent
     */
    void setResponseHeaders(Metadata headers);

    /** Sets trailing metadata, sent with the final status; replaces trailers set before. */
    void setTrailers(Metadata trailers);
}
