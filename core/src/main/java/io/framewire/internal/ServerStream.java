package io.framewire.internal;

import io.framewire.Deadline;
import io.framewire.ExecutionMode;
import io.framewire.ServerInterceptor;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Frame;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One call on the server side: collects the request, runs the handler through the interceptors, and
 * sends the response and the final status. The call ends exactly once, whichever comes first: the
 * handler's result, the client's CANCEL, the deadline, or the connection closing.
 */
final class ServerStream extends StreamBase {
    private final ServerSession serverSession;
    private final ServerMethod method;
    final ServerCallContextImpl context;

    // Reader thread only.
    private byte[] request;
    private boolean halfClosed;

    ServerStream(ServerSession session, int streamId, ServerMethod method, ServerCallContextImpl context) {
        super(session);
        this.serverSession = session;
        this.method = method;
        this.context = context;
        out.streamId = streamId;
    }

    /** Arms the deadline timer; returns false if the deadline has already passed. */
    boolean armDeadline(Deadline deadline) {
        long left = deadline.remainingNanos();
        if (left <= 0) {
            return false;
        }
        armTimer(left, () -> end(Status.of(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded on the server after "
                + TimeUnit.NANOSECONDS.toMillis(left) + " ms"), Metadata.EMPTY, null, true));
        return true;
    }

    // --- reader thread ---

    @Override
    void onInboundMessage(InboundMessage message) {
        if (halfClosed) {
            throw new io.framewire.protocol.ProtocolException(io.framewire.protocol.ErrorCode.PROTOCOL_ERROR,
                    "stream " + id() + ": MESSAGE after HALF_CLOSE");
        }
        if (request != null) {
            consumed(message);
            end(Status.of(StatusCode.INTERNAL, "more than one request message for " + method.descriptor().type()
                    + " method " + method.descriptor().fullName()), Metadata.EMPTY, null, true);
            return;
        }
        request = message.data();
        consumed(message);
    }

    void onHalfClose() {
        if (halfClosed) {
            throw new io.framewire.protocol.ProtocolException(io.framewire.protocol.ErrorCode.PROTOCOL_ERROR,
                    "stream " + id() + ": a second HALF_CLOSE");
        }
        halfClosed = true;
        if (isEnded()) {
            return;
        }
        if (request == null) {
            end(Status.of(StatusCode.INTERNAL, "half-closed without a request message for unary method "
                    + method.descriptor().fullName()), Metadata.EMPTY, null, true);
            return;
        }
        byte[] req = request;
        request = null;
        if (method.mode() == ExecutionMode.INLINE) {
            runUnary(req);
        } else {
            serverSession.runtime.handlerExecutor.execute(() -> runUnary(req));
        }
    }

    void onCancel(Frame.Cancel cancel) {
        String why = cancel.message().isEmpty() ? "cancelled by the client" : "cancelled by the client: " + cancel.message();
        end(Status.of(cancel.code(), why), Metadata.EMPTY, null, false);
    }

    @Override
    boolean wantsMoreMessages() {
        return !halfClosed && !isEnded();
    }

    @Override
    void onMessageTooLarge(long size, int limit) {
        end(Status.of(StatusCode.RESOURCE_EXHAUSTED, "request message of " + size
                + " bytes exceeds the server's maximum message size of " + limit + " bytes"), Metadata.EMPTY, null, true);
    }

    @Override
    void onSessionClosed(Status status) {
        end(Status.of(StatusCode.CANCELLED, "connection closed: " + status.description()), Metadata.EMPTY, null, false);
    }

    // --- handler thread ---

    private void runUnary(byte[] req) {
        byte[][] response = new byte[1][];
        try {
            runChain(0, () -> response[0] = method.unaryInvoker().invoke(req, context));
            if (response[0] == null) {
                // An interceptor returned without proceeding and without refusing.
                throw Status.of(StatusCode.INTERNAL, "an interceptor did not proceed").asException();
            }
            end(Status.OK, context.trailers(), response[0], true);
        } catch (StatusException e) {
            end(e.status(), context.trailers().merge(e.trailers()), null, true);
        } catch (Throwable t) {
            Session.LOG.log(Level.WARNING, "handler of " + method.descriptor().fullName() + " failed", t);
            end(Status.of(StatusCode.INTERNAL, "internal error in the handler of " + method.descriptor().fullName()),
                    context.trailers(), null, true);
            if (t instanceof Error err && !(t instanceof StackOverflowError)) {
                throw err;
            }
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

    // --- ending ---

    /**
     * Ends the call once. With {@code send}, writes the response (if any) and the status; without, the
     * client already knows (it cancelled, or the connection is gone).
     */
    void end(Status status, Metadata trailers, byte[] responseOrNull, boolean send) {
        if (!markEnded()) {
            return;
        }
        if (!status.isOk()) {
            context.cancel(status);
        }
        Status finalStatus = status;
        byte[] body = responseOrNull;
        if (body != null) {
            int limit = Math.min(serverSession.peerSettings().maxMessageSize(), serverSession.config.local().maxMessageSize());
            if (body.length > limit) {
                finalStatus = Status.of(StatusCode.RESOURCE_EXHAUSTED, "response message of " + body.length
                        + " bytes exceeds the maximum message size of " + limit + " bytes");
                body = null;
            }
        }
        if (send) {
            Frame.Status statusFrame = new Frame.Status(id(), finalStatus.code(), finalStatus.description(), trailers);
            Outbound o = session.out;
            if (finalStatus.isOk() || body != null) {
                o.lock().lock();
                try {
                    Metadata headers = context.takeResponseHeaders();
                    if (headers != null && !headers.isEmpty()) {
                        o.enqueueLocked(out, new Frame.Headers(id(), headers), null);
                    }
                    if (body != null) {
                        o.enqueueLocked(out, null, body);
                    }
                    o.enqueueLocked(out, statusFrame, null);
                    o.endLocked(out);
                } finally {
                    o.lock().unlock();
                }
                o.flush(session.mayWrite());
            } else {
                o.finish(out, statusFrame, session.mayWrite());
            }
        } else {
            session.out.finish(out, null, session.mayWrite());
        }
        serverSession.streamEnded(this);
        context.closed(finalStatus);
    }
}
