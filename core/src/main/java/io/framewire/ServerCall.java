package io.framewire;

import io.framewire.protocol.Metadata;
import java.util.Optional;

/**
 * One call of a streaming method from the server side: the client's messages in, the responses out.
 * The mirror of {@link ClientCall}, with the same two ways to receive.
 *
 * <p>Blocking handlers ({@link ServerStreamingHandler}, {@link ClientStreamingHandler},
 * {@link BidiStreamingHandler}) run on a virtual thread of their own and <em>pull</em> requests with
 * {@link #receive()} or {@link #requests()}; they end the call by returning (OK) or throwing. An
 * {@link AsyncHandler} is <em>pushed</em> the requests through a {@link Listener} and ends the call with
 * {@link #close}. Either way {@link #send} blocks only while the client's window and the send buffer
 * are full.
 *
 * <pre>{@code
 * BidiStreamingHandler<Chat, Chat> chat = call -> {
 *     for (Chat line : call.requests()) {          // until the client half-closes
 *         call.send(reply(line));
 *     }
 *     call.context().setTrailers(Metadata.builder().put("lines", "42").build());
 * };                                              // returning ends the call with OK
 * }</pre>
 *
 * <p>Thread-safe. If the call ends early (the client cancels, the deadline passes, the connection is
 * lost), {@code receive} and {@code send} throw {@link StatusException} with that status at once.
 *
 * @param <Req> request message type
 * @param <Resp> response message type
 */
public interface ServerCall<Req, Resp> {

    /** The call's method, metadata, peer, deadline and cancellation. */
    ServerCallContext context();

    /**
     * Sends response headers now (otherwise they go with the first message, or the status).
     *
     * @throws IllegalStateException if headers were already sent
     */
    void sendHeaders(Metadata headers);

    /**
     * Sends a response, waiting while the call cannot take more.
     *
     * @throws StatusException with the call's status if it has ended
     */
    void send(Resp message);

    /** Whether {@link #send} would return without waiting now; {@link Listener#onReady} fires once it would. */
    boolean isReady();

    /**
     * The next request of a pulled call, waiting for it; empty once the client has half-closed.
     *
     * @throws StatusException if the call has ended (cancelled, deadline, connection lost)
     * @throws IllegalStateException on a pushed call
     */
    Optional<Req> receive();

    /** The requests of a pulled call, for one iteration, until the client half-closes; see {@link #receive}. */
    Iterable<Req> requests();

    /**
     * Asks for {@code n} more requests of a pushed call whose listener does not auto-request. An
     * {@link AsyncHandler} may ask already in {@code start}, before it returns its listener.
     */
    void request(int n);

    /**
     * Ends a pushed call with {@code status} and {@code trailers} (for an {@link AsyncHandler}; blocking
     * handlers end the call by returning or throwing). Messages sent before still go out first.
     * Ignored if the call has already ended.
     */
    void close(Status status, Metadata trailers);

    /**
     * Hears a pushed call's events, one at a time and in order, on the server's executor (never the
     * connection's reader thread).
     */
    interface Listener<Req> {
        /** One request. Its flow-control credit is returned when this returns. */
        void onMessage(Req message);

        /** The client will send no more requests. */
        default void onHalfClose() {}

        /** The call ended before the handler closed it: cancelled, past its deadline, or disconnected. */
        default void onCancel(Status status) {}

        /** {@link ServerCall#send} would no longer wait. */
        default void onReady() {}

        /** True (the default) to receive every request as it comes; false to receive only what {@link ServerCall#request} asks for. */
        default boolean autoRequest() {
            return true;
        }
    }
}
