package io.framewire.internal;

import io.framewire.Deadline;
import io.framewire.Status;
import io.framewire.protocol.Frame;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.MethodType;
import io.framewire.protocol.StatusCode;
import java.util.concurrent.TimeUnit;

/**
 * One call on the client side. The call ends exactly once: with the server's STATUS, a local cancel,
 * the deadline, or the connection closing; its listener hears {@code onClose} once.
 */
final class ClientStream extends StreamBase {

    /**
     * Receives a call's events, on the connection's reader thread (or whichever thread ends the call).
     * Implementations must not block; they hand user code to another thread.
     */
    interface Listener {
        void onHeaders(Metadata headers);

        /** A response message; the listener calls {@link #consumed} once the application has taken it. */
        void onMessage(ClientStream stream, InboundMessage message);

        /**
         * The call ended. {@code fromServer}: the server's STATUS ended it, so messages that arrived
         * before it are the server's output and come first; otherwise (cancel, deadline, lost
         * connection) undelivered messages are dropped.
         */
        void onClose(Status status, Metadata trailers, boolean fromServer);

        /** The stream has room to send again (only after {@link ClientStream#isReady} said no). */
        default void onReady() {}
    }

    final ClientSession clientSession;
    final String method;
    final MethodType type;
    final Deadline deadline;
    private final Listener listener;
    private volatile boolean halfClosed;

    // Reader thread only.
    private boolean headersReceived;

    ClientStream(ClientSession session, String method, MethodType type, Deadline deadline, Listener listener) {
        super(session);
        this.clientSession = session;
        this.method = method;
        this.type = type;
        this.deadline = deadline;
        this.listener = listener;
    }

    void armDeadline() {
        if (deadline == null) {
            return;
        }
        long left = deadline.remainingNanos();
        armTimer(left, () -> cancel(Status.of(StatusCode.DEADLINE_EXCEEDED,
                "deadline exceeded after " + TimeUnit.NANOSECONDS.toMillis(Math.max(0, left)) + " ms (" + method + ")")));
    }

    // --- application threads ---

    /**
     * Queues a message, waiting while the stream or connection is full.
     *
     * @return false if the call has ended (the message is dropped)
     */
    boolean send(byte[] message) throws InterruptedException {
        long until = deadline == null ? Long.MAX_VALUE : System.nanoTime() + Math.max(0, deadline.remainingNanos());
        Outbound o = session.out;
        boolean ok = false;
        boolean roomInTime;
        boolean inline = false;
        boolean startWriter = false;
        o.lock().lock();
        try {
            roomInTime = o.awaitRoomLocked(out, session.config.streamReadyThreshold(), until);
            if (roomInTime) {
                ok = !halfClosed && o.enqueueLocked(out, null, message);
                inline = o.writeInlineLocked(out, session.mayWrite());
                startWriter = o.claimWriterLocked();
            }
        } finally {
            o.lock().unlock();
        }
        if (!roomInTime) {
            return !isEnded(); // the deadline timer ends the call
        }
        if (startWriter) {
            o.startWriter(inline);
        }
        return ok;
    }

    boolean isReady() {
        return session.out.isReady(out, session.config.streamReadyThreshold());
    }

    void halfClose() {
        if (halfClosed) {
            return;
        }
        halfClosed = true;
        session.out.send(out, new Frame.HalfClose(id()), session.mayWrite());
    }

    /** Cancels the call locally and tells the server, unless it has already ended. */
    void cancel(Status status) {
        end(status, Metadata.EMPTY, true);
    }

    // --- reader thread ---

    void onHeaders(Frame.Headers h) {
        if (headersReceived) {
            end(Status.of(StatusCode.INTERNAL, "the server sent response headers twice"), Metadata.EMPTY, true);
            return;
        }
        if (!checkMetadataSize(h.metadata(), "response headers")) {
            return;
        }
        headersReceived = true;
        listener.onHeaders(h.metadata());
    }

    @Override
    void onInboundMessage(InboundMessage message) {
        if (isEnded()) {
            consumed(message);
            return;
        }
        if (!headersReceived) {
            headersReceived = true;
            listener.onHeaders(Metadata.EMPTY);
        }
        listener.onMessage(this, message);
    }

    void onStatus(Frame.Status s) {
        if (!checkMetadataSize(s.trailers(), "trailers")) {
            return;
        }
        if (!headersReceived) {
            headersReceived = true;
            listener.onHeaders(Metadata.EMPTY);
        }
        end(io.framewire.Status.of(s.code(), s.message()), s.trailers(), false, true);
    }

    private boolean checkMetadataSize(Metadata md, String what) {
        int size = md.encodedSize();
        int limit = session.localSettings().maxMetadataSize();
        if (size > limit) {
            end(Status.of(StatusCode.RESOURCE_EXHAUSTED, what + " of " + size + " bytes exceed the client's limit of "
                    + limit + " bytes"), Metadata.EMPTY, true);
            return false;
        }
        return true;
    }

    @Override
    boolean wantsMoreMessages() {
        return !isEnded();
    }

    @Override
    void onMessageTooLarge(long size, int limit) {
        end(Status.of(StatusCode.RESOURCE_EXHAUSTED, "response message of " + size
                + " bytes exceeds the client's maximum message size of " + limit + " bytes"), Metadata.EMPTY, true);
    }

    @Override
    void onSessionClosed(Status status) {
        end(status, Metadata.EMPTY, false);
    }

    /** Ends the call once; with {@code sendCancel}, tells the server with CANCEL (if it ever heard of the call). */
    void end(Status status, Metadata trailers, boolean sendCancel) {
        end(status, trailers, sendCancel, false);
    }

    private void end(Status status, Metadata trailers, boolean sendCancel, boolean fromServer) {
        if (!markEnded()) {
            return;
        }
        Frame last = sendCancel && id() != 0
                ? new Frame.Cancel(id(), status.code() == StatusCode.OK ? StatusCode.CANCELLED : status.code(),
                        status.description()) : null;
        session.out.finish(out, last, session.mayWrite());
        clientSession.streamEnded(this);
        listener.onClose(status, trailers, fromServer);
    }

    void notifyReady() {
        if (!isEnded()) {
            listener.onReady();
        }
    }
}
