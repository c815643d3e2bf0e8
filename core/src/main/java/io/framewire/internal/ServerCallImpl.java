package io.framewire.internal;

import io.framewire.MethodDescriptor;
import io.framewire.ServerCall;
import io.framewire.ServerCallContext;
import io.framewire.Status;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/** The one {@link ServerCall} implementation: typed messages over a {@link ServerStream}. */
final class ServerCallImpl<Req, Resp> implements ServerCall<Req, Resp> {
    private final ServerStream stream;
    private final MethodDescriptor<Req, Resp> method;
    final Inbox<InboundMessage> inbox;
    private volatile ServerCall.Listener<Req> listener;
    private volatile SerialExecutor serial;
    /** Whether requests are pushed to a listener (an async handler's call), which {@link #listen} attaches after its start. */
    private final boolean pushed;
    private final ReentrantLock earlyLock = new ReentrantLock();
    // Guarded by earlyLock: what an async handler's start asked for with request(n) before its listener was attached.
    private long requestedEarly;
    private boolean listening;

    ServerCallImpl(ServerStream stream, MethodDescriptor<Req, Resp> method, boolean pushed) {
        this.stream = stream;
        this.method = method;
        this.pushed = pushed;
        this.inbox = new Inbox<>(stream.settler());
    }

    /** Switches to push mode: requests so far and later go to {@code l}. */
    void listen(ServerCall.Listener<Req> l) {
        SerialExecutor s = new SerialExecutor(stream.session.config.callbackExecutor());
        serial = s;
        listener = l;
        inbox.push(new Inbox.Sink<>() {
            @Override
            public void onMessage(InboundMessage m) {
                Req value;
                try {
                    value = method.requestCodec().decode(m.data());
                } catch (RuntimeException e) {
                    stream.abort(Status.of(StatusCode.INTERNAL, "could not decode a request of " + method.fullName()
                            + ": " + Session.describe(e)), true);
                    return;
                }
                l.onMessage(value);
            }

            @Override
            public void onFinish() {
                l.onHalfClose();
            }

            @Override
            public void onAbort(Status status) {
                // Cancellation reaches a pushed call through onCancelled, in order with its other events.
            }
        }, s, l.autoRequest());
        stream.watchReady(() -> s.execute(l::onReady));
        long early;
        earlyLock.lock();
        try {
            listening = true;
            early = requestedEarly;
            requestedEarly = 0;
        } finally {
            earlyLock.unlock();
        }
        if (early > 0) {
            inbox.request((int) Math.min(early, Integer.MAX_VALUE));
        }
    }

    /** The call ended before the handler ended it: tell a pushed listener, after the events before it. */
    void onCancelled(Status status) {
        SerialExecutor s = serial;
        ServerCall.Listener<Req> l = listener;
        if (s != null && l != null) {
            s.execute(() -> l.onCancel(status));
        }
    }

    @Override
    public ServerCallContext context() {
        return stream.context;
    }

    @Override
    public void sendHeaders(Metadata headers) {
        stream.sendHeaders(headers);
    }

    @Override
    public void send(Resp message) {
        byte[] body;
        try {
            body = method.responseCodec().encode(message);
        } catch (RuntimeException e) {
            Status s = Status.of(StatusCode.INTERNAL, "could not encode a response of " + method.fullName());
            stream.abort(s, true);
            throw s.asException(e);
        }
        stream.sendMessage(body);
    }

    @Override
    public boolean isReady() {
        return stream.isReady();
    }

    @Override
    public Optional<Req> receive() {
        if (listener != null) {
            throw new IllegalStateException("the requests of " + method.fullName() + " go to its listener");
        }
        InboundMessage m;
        try {
            m = inbox.next();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Status s = Status.of(StatusCode.CANCELLED, "the handler was interrupted while receiving");
            stream.abort(s, true);
            throw s.asException(e);
        }
        if (m == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(method.requestCodec().decode(m.data()));
        } catch (RuntimeException e) {
            Status s = Status.of(StatusCode.INTERNAL, "could not decode a request of " + method.fullName() + ": "
                    + Session.describe(e));
            stream.abort(s, true);
            throw s.asException(e);
        }
    }

    @Override
    public Iterable<Req> requests() {
        return Pulled.messages(this::receive);
    }

    @Override
    public void request(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("request(n) needs n > 0, got " + n);
        }
        if (pushed) {
            // An async handler may ask for requests in its start, as gRPC's handlers do, before its
            // listener is attached: kept until then.
            earlyLock.lock();
            try {
                if (!listening) {
                    requestedEarly = Math.min(Integer.MAX_VALUE, requestedEarly + n);
                    return;
                }
            } finally {
                earlyLock.unlock();
            }
        }
        inbox.request(n);
    }

    @Override
    public void close(Status status, Metadata trailers) {
        stream.finish(status, stream.context.trailers().merge(trailers), null);
    }

    /** Encodes a client-streaming handler's one response. */
    byte[] encodeResponse(Resp response) {
        if (response == null) {
            throw Status.of(StatusCode.INTERNAL, "handler of " + method.fullName() + " returned null").asException();
        }
        return method.responseCodec().encode(response);
    }
}
