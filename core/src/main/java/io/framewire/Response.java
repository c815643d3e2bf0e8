package io.framewire;

import io.framewire.protocol.Metadata;
import java.util.Objects;

/**
 * A unary response with the metadata around it, for callers that need headers or trailers
 * ({@link Client#exchange}); {@link Client#call} returns just the message.
 *
 * @param <T> the response message type
 */
public final class Response<T> {
    private final T message;
    private final Metadata headers;
    private final Metadata trailers;

    private Response(T message, Metadata headers, Metadata trailers) {
        this.message = message;
        this.headers = Objects.requireNonNull(headers, "headers");
        this.trailers = Objects.requireNonNull(trailers, "trailers");
    }

    public static <T> Response<T> of(T message, Metadata headers, Metadata trailers) {
        return new Response<>(message, headers, trailers);
    }

    public T message() {
        return message;
    }

    /** Response metadata the server sent before the message (empty if none). */
    public Metadata headers() {
        return headers;
    }

    /** Metadata the server sent with the final status (empty if none). */
    public Metadata trailers() {
        return trailers;
    }

    @Override
    public String toString() {
        return "Response{" + message + ", headers=" + headers + ", trailers=" + trailers + "}";
    }
}
