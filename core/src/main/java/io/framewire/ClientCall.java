package io.framewire;

import io.framewire.protocol.Metadata;
import java.util.Optional;

/**
 * One call of any shape from the client side: a stream of requests out, a stream of responses in,
 * headers first and a status with trailers last. Unary calls are simplest through {@link Client#call};
 * this is for streams, and for unary calls that need the full control.
 *
 * <h2>Two ways to receive, one way to send</h2>
 * A call made with {@link Client#newCall} is <em>pulled</em>: its thread asks for each response with
 * {@link #receive()} or iterates {@link #responses()}, blocking until one arrives, which is natural
 * on virtual threads. A call made with {@link Client#startCall} is <em>pushed</em>: a {@link Listener}
 * hears every event, without a thread waiting per call. Sending is the same either way:
 * {@link #send} blocks only while the call's flow-control window and send buffer are full, and
 * {@link #isReady} (with {@link Listener#onReady}) tells async code when it would not block.
 *
 * <pre>{@code
 * // Bidirectional streaming on a virtual thread
 * try (ClientCall<Chat, Chat> call = client.newCall(CHAT, CallOptions.DEFAULT)) {
 *     Thread.startVirtualThread(() -> {
 *         for (Chat line : lines) call.send(line);
 *         call.halfClose();                        // done sending; responses keep coming
 *     });
 *     for (Chat reply : call.responses()) {        // ends at OK; throws StatusException otherwise
 *         show(reply);
 *     }
 * }
 *
 * // Server streaming, pushed to a listener
 * ClientCall<Query, Row> call = client.startCall(SCAN, CallOptions.DEFAULT, new ClientCall.Listener<>() {
 *     public void onMessage(Row row) { rows.add(row); }
 *     public void onClose(Status status, Metadata trailers) { done.complete(status); }
 * });
 * call.sendLast(query);
 * }</pre>
 *
 * <h2>Flow control</h2>
 * A response counts against the call's window until it is consumed: when {@code receive} returns it,
 * or when {@link Listener#onMessage} returns. A receiver that stops reading stops its sender, and
 * only that call's. A pushed call delivers messages as fast as the listener takes them, unless its
 * listener turns {@link Listener#autoRequest} off; then it delivers exactly as many as
 * {@link #request} asked for.
 *
 * <h2>Ending</h2>
 * The call ends once, with its status: the server's, {@code CANCELLED} after {@link #cancel},
 * {@code DEADLINE_EXCEEDED} when the deadline (which covers the whole call) passes, or
 * {@code UNAVAILABLE} when the connection is lost. {@link #close} cancels a call that has not ended.
 *
 * <p>Thread-safe: one thread may send while another receives.
 *
 * @param <Req> request message type
 * @param <Resp> response message type
 */
public interface ClientCall<Req, Resp> extends AutoCloseable {

    /**
     * Sends a message, waiting while the call cannot take more (flow control).
     *
     * @throws StatusException with the call's status if it ended with an error
     * @throws IllegalStateException after {@link #halfClose}
     */
    void send(Req message);

    /** Sends a last message and half-closes: the common way to start a server-streaming call. */
    default void sendLast(Req message) {
        send(message);
        halfClose();
    }

    /** Whether {@link #send} would return without waiting now. When it would not, {@link Listener#onReady} fires once it would. */
    boolean isReady();

    /** Ends the sending side; responses keep arriving. Idempotent. */
    void halfClose();

    /**
     * The next response of a pulled call, waiting for it; empty once the call has ended with OK.
     *
     * @throws StatusException with the call's status once it has ended otherwise (after the responses
     *         that arrived before the end)
     * @throws IllegalStateException on a pushed call
     */
    Optional<Resp> receive();

    /** The responses of a pulled call, for one iteration; see {@link #receive}. */
    Iterable<Resp> responses();

    /** Asks for {@code n} more responses of a pushed call whose listener does not auto-request. */
    void request(int n);

    /** The response headers, waiting for them (empty if the call ended without any). */
    Metadata headers();

    /** The call's final status, waiting for the end. Never throws. */
    Status status();

    /** The trailers sent with the final status, waiting for the end. */
    Metadata trailers();

    /** Cancels the call: the server's handler sees it at once; this side ends with {@code CANCELLED}. */
    void cancel(String reason);

    /** Cancels the call unless it has already ended. */
    @Override
    void close();

    /**
     * Hears a pushed call's events, one at a time and in order, on the client's callback executor
     * (never the connection's reader thread): headers, then messages, then the close.
     */
    interface Listener<Resp> {
        /** Response headers, before any message (empty if the server sent none). */
        default void onHeaders(Metadata headers) {}

        /** One response. Its flow-control credit is returned when this returns. */
        void onMessage(Resp message);

        /** The end, once, after every message that arrived before it (for an OK end). */
        void onClose(Status status, Metadata trailers);

        /** {@link ClientCall#send} would no longer wait (after {@link ClientCall#isReady} said it would). */
        default void onReady() {}

        /** True (the default) to receive every message as it comes; false to receive only what {@link ClientCall#request} asks for. */
        default boolean autoRequest() {
            return true;
        }
    }
}
