package io.framewire.internal;

import io.framewire.Deadline;
import io.framewire.ExecutionMode;
import io.framewire.ServerCall;
import io.framewire.ServerInterceptor;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.ErrorCode;
import io.framewire.protocol.Frame;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.ProtocolException;
import io.framewire.protocol.StatusCode;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One call on the server side: feeds requests to the handler (collected first for unary and
 * server-streaming methods, streamed for the others), runs the handler through the interceptors,
 * and sends responses and the final status. The call ends exactly once, by one of two paths:
 * {@link #finish} when the handler ends it, {@link #abort} for everything else (the client's CANCEL,
 * the deadline, the connection closing, a broken request).
 */
final class ServerStream extends StreamBase {
    private final ServerSession serverSession;
    private final ServerMethod method;
    final ServerCallContextImpl context;
    /** The typed call of a streaming method; null for unary ones, which need none. */
    private final ServerCallImpl<?, ?> call;

    // Reader thread only.
    /** A unary or server-streaming call's request: its credit is held until the handler takes it. */
    private InboundMessage request;
    private boolean halfClosed;

    /** What this call is charged to its connection's memory account while it is open. */
    final long footprint;

    ServerStream(ServerSession session, int streamId, ServerMethod method, ServerCallContextImpl context, long footprint) {
        super(session);
        this.footprint = footprint;
        this.serverSession = session;
        this.method = method;
        this.context = context;
        out.streamId = streamId;
        this.call = method.kind() == ServerMethod.Kind.UNARY ? null : method.newCall(this);
    }

    /** Arms the deadline timer; returns false if the deadline has already passed. */
    boolean armDeadline(Deadline deadline) {
        long left = deadline.remainingNanos();
        if (left <= 0) {
            return false;
        }
        armTimer(left, () -> abort(Status.of(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded on the server after "
                + TimeUnit.NANOSECONDS.toMillis(left) + " ms"), true));
        return true;
    }

    /** The stream is registered: start a handler that runs from the call's start. */
    void started() {
        switch (method.kind()) {
            case PULL -> dispatch(() -> runBlocking(null));
            case ASYNC -> dispatch(this::startAsync);
            default -> { } // unary and server streaming start once the request is complete
        }
    }

    // --- reader thread ---

    @Override
    void onInboundMessage(InboundMessage message) {
        if (halfClosed) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "stream " + id() + ": MESSAGE after HALF_CLOSE");
        }
        if (call != null && method.kind() != ServerMethod.Kind.SERVER_STREAMING) {
            call.inbox.add(message);
            return;
        }
        if (request != null) {
            consumed(message);
            abort(Status.of(StatusCode.INTERNAL, "more than one request message for " + method.descriptor().type()
                    + " method " + method.descriptor().fullName()), true);
            return;
        }
        // Kept, with its credit, until the handler takes it: buffered requests stay within the
        // connection's window however many calls a client opens.
        request = message;
    }

    void onHalfClose() {
        if (halfClosed) {
            throw new ProtocolException(ErrorCode.PROTOCOL_ERROR, "stream " + id() + ": a second HALF_CLOSE");
        }
        halfClosed = true;
        if (isEnded()) {
            return;
        }
        if (call != null && method.kind() != ServerMethod.Kind.SERVER_STREAMING) {
            call.inbox.finish();
            return;
        }
        if (request == null) {
            abort(Status.of(StatusCode.INTERNAL, "half-closed without a request message for " + method.descriptor().type()
                    + " method " + method.descriptor().fullName()), true);
            return;
        }
        InboundMessage req = request;
        request = null;
        dispatch(() -> {
            // The handler has its request: its credit goes back, but the handler holds its bytes until
            // it is done, so they stay charged to the connection's memory meanwhile. A request larger
            // than a window keeps its reservation until then too, so handlers of large requests that
            // wait to send their responses cannot pile up beyond what the reservations allow.
            boolean reserved = req.reservation() > 0;
            long held = reserved ? 0 : creditBackKeepingMemory(req);
            try {
                runBlocking(req.data());
            } finally {
                if (reserved) {
                    consumed(req);
                } else {
                    session.account.release(held);
                }
            }
        });
    }

    void onCancel(Frame.Cancel cancel) {
        String why = cancel.message().isEmpty() ? "cancelled by the client" : "cancelled by the client: " + cancel.message();
        abort(Status.of(cancel.code(), why), false);
    }

    @Override
    boolean wantsMoreMessages() {
        return !halfClosed && !isEnded();
    }

    @Override
    void onMessageTooLarge(long size, int limit) {
        abort(Status.of(StatusCode.RESOURCE_EXHAUSTED, "request message of " + size
                + " bytes exceeds the server's maximum message size of " + limit + " bytes"), true);
    }

    @Override
    void onSessionClosed(Status status) {
        abort(Status.of(StatusCode.CANCELLED, "connection closed: " + status.description()), false);
    }

    // --- handler threads ---

    private void dispatch(Runnable r) {
        if (method.mode() == ExecutionMode.INLINE) {
            r.run();
        } else {
            serverSession.runtime.handlerExecutor.execute(r);
        }
    }

    /** Runs a blocking handler through the interceptors; its return ends the call. */
    private void runBlocking(byte[] req) {
        byte[][] response = new byte[1][];
        boolean[] ran = new boolean[1];
        try {
            runChain(0, () -> {
                ran[0] = true;
                response[0] = method.runner().run(this, call, req);
            });
            if (!ran[0]) {
                throw Status.of(StatusCode.INTERNAL, "an interceptor neither proceeded nor refused the call").asException();
            }
            finish(Status.OK, context.trailers(), response[0]);
        } catch (Throwable t) {
            handlerFailed(t);
        }
    }

    /** Starts an async handler through the interceptors; the handler ends the call itself. */
    private void startAsync() {
        boolean[] ran = new boolean[1];
        try {
            runChain(0, () -> {
                ran[0] = true;
                listen(method.starter().start(call));
            });
            if (!ran[0]) {
                throw Status.of(StatusCode.INTERNAL, "an interceptor neither proceeded nor refused the call").asException();
            }
        } catch (Throwable t) {
            handlerFailed(t);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void listen(ServerCall.Listener<?> l) {
        ((ServerCallImpl) call).listen(l);
    }

    private void handlerFailed(Throwable t) {
        if (t instanceof StatusException e) {
            finish(e.status(), context.trailers().merge(e.trailers()), null);
            return;
        }
        Session.LOG.log(Level.WARNING, "handler of " + method.descriptor().fullName() + " failed", t);
        finish(Status.of(StatusCode.INTERNAL, "internal error in the handler of " + method.descriptor().fullName()),
                context.trailers(), null);
        if (t instanceof Error err && !(t instanceof StackOverflowError)) {
            throw err;
        }
    }

    private void runChain(int index, ServerInterceptor.Next terminal) throws Exception {
        List<ServerInterceptor> chain = serverSession.runtime.interceptors;
        if (index == chain.size()) {
            terminal.proceed();
            return;
        }
        boolean[] proceeded = new boolean[1];
        chain.get(index).intercept(context, () -> {
            if (proceeded[0]) {
                throw new IllegalStateException("an interceptor called proceed() twice");
            }
            proceeded[0] = true;
            runChain(index + 1, terminal);
        });
    }

    // --- sending (handler threads) ---

    void sendHeaders(Metadata headers) {
        context.setResponseHeaders(headers);
        Outbound o = session.out;
        o.lock().lock();
        try {
            requireOpen();
            Metadata h = context.takeResponseHeaders();
            if (h != null) {
                o.enqueueLocked(out, new Frame.Headers(id(), h), null);
            }
        } finally {
            o.lock().unlock();
        }
        o.flush(session.mayWrite());
    }

    /**
     * Queues a response message, waiting while the client's window and the send buffer are full; the
     * message counts against the connection's memory while it waits.
     */
    void sendMessage(byte[] body) {
        session.account.charge(body.length);
        try {
            sendMessageCharged(body);
        } finally {
            session.account.release(body.length);
        }
    }

    private void sendMessageCharged(byte[] body) {
        requireOpen();
        int limit = outboundLimit();
        if (body.length > limit) {
            Status s = Status.of(StatusCode.RESOURCE_EXHAUSTED, "response message of " + body.length
                    + " bytes exceeds the maximum message size of " + limit + " bytes");
            abort(s, true);
            throw s.asException();
        }
        long until = context.deadline().map(d -> System.nanoTime() + Math.max(0, d.remainingNanos())).orElse(Long.MAX_VALUE);
        Outbound o = session.out;
        boolean inline;
        boolean startWriter;
        InterruptedException interrupted = null;
        o.lock().lock();
        try {
            try {
                o.awaitRoomLocked(out, session.config.streamReadyThreshold(), until);
            } catch (InterruptedException e) {
                interrupted = e;
            }
            if (interrupted == null) {
                requireOpen();
                Metadata h = context.takeResponseHeaders();
                if (h != null && !h.isEmpty()) {
                    o.enqueueLocked(out, new Frame.Headers(id(), h), null);
                }
                o.enqueueLocked(out, null, body);
            }
            inline = interrupted == null && o.writeInlineLocked(out, session.mayWrite());
            startWriter = interrupted == null && o.claimWriterLocked();
        } finally {
            o.lock().unlock();
        }
        if (interrupted != null) {
            Thread.currentThread().interrupt();
            Status s = Status.of(StatusCode.CANCELLED, "the handler was interrupted while sending");
            abort(s, true);
            throw s.asException(interrupted);
        }
        if (startWriter) {
            o.startWriter(inline);
        }
    }

    boolean isReady() {
        return !isEnded() && session.out.isReady(out, session.config.streamReadyThreshold());
    }

    void watchReady(Runnable onReady) {
        session.out.watchReady(out, session.config.streamReadyThreshold(), onReady);
    }

    private void requireOpen() {
        if (isEnded()) {
            throw context.cancellationStatus()
                    .orElse(Status.of(StatusCode.FAILED_PRECONDITION, "the call has already ended")).asException();
        }
    }

    private int outboundLimit() {
        return Math.min(serverSession.peerSettings().maxMessageSize(), serverSession.config.local().maxMessageSize());
    }

    // --- ending ---

    /**
     * The handler ends the call: responses already queued go first, then {@code responseOrNull} (a
     * unary or client-streaming result) and the status.
     */
    void finish(Status status, Metadata trailers, byte[] responseOrNull) {
        Outbound o = session.out;
        boolean mayWait = responseOrNull != null && session.mayWrite();
        long charged = 0;
        Status finalStatus = status;
        byte[] body = responseOrNull;
        o.lock().lock();
        try {
            if (mayWait && !o.hasRoomLocked(out, session.config.streamReadyThreshold())) {
                // The response waits, like any other message, while the connection's queue is full, so
                // a client that keeps calling without reading cannot make the server buffer responses
                // without bound; meanwhile it counts against the connection's memory.
                charged = body.length;
                session.account.charge(charged);
                awaitRoomLocked(o);
            }
            if (!markEnded()) {
                return;
            }
            if (body != null && body.length > outboundLimit()) {
                finalStatus = Status.of(StatusCode.RESOURCE_EXHAUSTED, "response message of " + body.length
                        + " bytes exceeds the maximum message size of " + outboundLimit() + " bytes");
                body = null;
            }
            Metadata headers = context.takeResponseHeaders();
            if (headers != null && !headers.isEmpty()) {
                o.enqueueLocked(out, new Frame.Headers(id(), headers), null);
            }
            if (body != null) {
                o.enqueueLocked(out, null, body);
            }
            o.enqueueLocked(out, new Frame.Status(id(), finalStatus.code(), finalStatus.description(), trailers), null);
            o.endLocked(out);
        } finally {
            o.lock().unlock();
            session.account.release(charged);
        }
        o.flush(session.mayWrite());
        ended(finalStatus);
    }

    /**
     * Waits (lock held) until the call's deadline or the connection's end for room; an interrupt of the
     * handler's thread does not cut it short (the handler has finished), it stays set for whoever owns
     * the thread.
     */
    private void awaitRoomLocked(Outbound o) {
        long until = context.deadline().map(d -> System.nanoTime() + Math.max(0, d.remainingNanos())).orElse(Long.MAX_VALUE);
        boolean interrupted = Thread.interrupted();
        try {
            while (!isEnded()) {
                try {
                    o.awaitRoomLocked(out, session.config.streamReadyThreshold(), until);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Something other than the handler ends the call: the handler is told (cancellation), what is
     * queued is dropped, and with {@code tellClient} the client gets {@code status}.
     */
    void abort(Status status, boolean tellClient) {
        if (!markEnded()) {
            return;
        }
        context.cancel(status);
        if (call != null) {
            call.inbox.abort(status, false);
            call.onCancelled(status);
        }
        Frame last = tellClient ? new Frame.Status(id(), status.code(), status.description(), Metadata.EMPTY) : null;
        session.out.finish(out, last, session.mayWrite());
        ended(status);
    }

    private void ended(Status status) {
        serverSession.streamEnded(this);
        context.closed(status);
    }
}
