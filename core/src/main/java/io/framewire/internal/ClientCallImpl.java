package io.framewire.internal;

import io.framewire.ClientCall;
import io.framewire.MethodDescriptor;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The one {@link ClientCall} implementation: typed messages over a {@link ClientStream}, pulled
 * through an {@link Inbox} or pushed to a {@link ClientCall.Listener}.
 */
final class ClientCallImpl<Req, Resp> implements ClientCall<Req, Resp>, ClientStream.Listener {
    private record End(Status status, Metadata trailers) {}

    private final MethodDescriptor<Req, Resp> method;
    private final ClientCore.Intercepted intercepted;
    private final ClientCall.Listener<Resp> listener;
    private final SerialExecutor serial;
    private final CompletableFuture<Metadata> headers = new CompletableFuture<>();
    private final CompletableFuture<End> end = new CompletableFuture<>();
    private volatile ClientStream stream;
    private volatile Inbox<InboundMessage> inbox;
    private volatile boolean halfClosed;

    /** {@code listener} null: a pulled call. */
    ClientCallImpl(MethodDescriptor<Req, Resp> method, ClientCore.Intercepted intercepted,
                   ClientCall.Listener<Resp> listener, SerialExecutor serial) {
        this.method = method;
        this.intercepted = intercepted;
        this.listener = listener;
        this.serial = serial;
    }

    /** Binds the stream before it opens, so no event can come first. */
    /**
     * Forgets a stream whose CALL was never sent (the connection refused it): it has no id, and a later
     * send, halfClose or cancel must find the call ended, not write frames for stream 0.
     */
    void detachUnopened() {
        ClientStream s = stream;
        if (s != null && s.id() == 0) {
            stream = null;
        }
    }

    void attach(ClientStream s) {
        Inbox<InboundMessage> box = new Inbox<>(s.settler());
        if (listener != null) {
            box.push(new Inbox.Sink<>() {
                @Override
                public void onMessage(InboundMessage m) {
                    Resp value;
                    try {
                        value = method.responseCodec().decode(m.data());
                    } catch (RuntimeException e) {
                        cancelWith(Status.of(StatusCode.INTERNAL, "could not decode a response of " + method.fullName()
                                + ": " + Session.describe(e)));
                        return;
                    }
                    listener.onMessage(value);
                }

                @Override
                public void onFinish() {
                    End e = end.join();
                    listener.onClose(e.status(), e.trailers());
                }

                @Override
                public void onAbort(Status status) {
                    listener.onClose(status, end.join().trailers());
                }
            }, serial, listener.autoRequest());
        }
        this.inbox = box;
        this.stream = s;
    }

    // --- events from the stream (reader thread, timer, or a closing thread) ---

    @Override
    public void onHeaders(Metadata h) {
        headers.complete(h);
        if (listener != null) {
            serial.execute(() -> listener.onHeaders(h));
        }
    }

    @Override
    public void onMessage(ClientStream s, InboundMessage message) {
        inbox.add(message);
    }

    @Override
    public void onClose(Status status, Metadata trailers, boolean fromServer) {
        headers.complete(Metadata.EMPTY);
        intercepted.fireClose(status, trailers);
        end.complete(new End(status, trailers));
        Inbox<InboundMessage> box = inbox;
        if (box == null) {
            // Failed before it had a stream: a pushed call still hears its close.
            if (listener != null) {
                serial.execute(() -> listener.onClose(status, trailers));
            }
        } else if (status.isOk()) {
            box.finish();
        } else {
            box.abort(status, fromServer);
        }
    }

    @Override
    public void onReady() {
        if (listener != null) {
            serial.execute(listener::onReady);
        }
    }

    // --- the API ---

    @Override
    public void send(Req message) {
        if (halfClosed) {
            throw new IllegalStateException("send after halfClose on " + method.fullName());
        }
        ClientStream s = stream;
        if (s == null) {
            throwIfFailed();
            return;
        }
        byte[] body;
        try {
            body = method.requestCodec().encode(message);
        } catch (RuntimeException e) {
            throw cancelWith(Status.of(StatusCode.INTERNAL, "could not encode a request of " + method.fullName() + ": "
                    + Session.describe(e)));
        }
        try {
            ClientCore.checkOutboundSize(s.session, body.length, "request");
        } catch (StatusException e) {
            throw cancelWith(e.status());
        }
        boolean queued;
        try {
            queued = s.send(body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw cancelWith(Status.of(StatusCode.CANCELLED, "interrupted while sending on " + method.fullName()));
        }
        if (!queued) {
            throwIfFailed(); // ended OK: the server needs nothing more, and the message is dropped
        }
    }

    private void throwIfFailed() {
        End e = awaitEnd();
        if (!e.status().isOk()) {
            throw e.status().asException(e.trailers());
        }
    }

    private StatusException cancelWith(Status status) {
        ClientStream s = stream;
        if (s != null) {
            s.cancel(status);
        }
        End e = awaitEnd();
        return e.status().asException(e.trailers());
    }

    @Override
    public boolean isReady() {
        ClientStream s = stream;
        return s != null && !s.isEnded() && !halfClosed && s.isReady();
    }

    @Override
    public void halfClose() {
        halfClosed = true;
        ClientStream s = stream;
        if (s != null && !s.isEnded()) {
            s.halfClose();
        }
    }

    @Override
    public Optional<Resp> receive() {
        if (listener != null) {
            throw new IllegalStateException("the responses of " + method.fullName() + " go to its listener");
        }
        Inbox<InboundMessage> box = inbox;
        if (box == null) {
            throwIfFailed();
            return Optional.empty();
        }
        InboundMessage m;
        HeldWrites.writeHeldNow();
        try {
            m = box.next();
        } catch (StatusException e) {
            throw e.status().asException(awaitEnd().trailers());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw cancelWith(Status.of(StatusCode.CANCELLED, "interrupted while receiving on " + method.fullName()));
        }
        if (m == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(method.responseCodec().decode(m.data()));
        } catch (RuntimeException e) {
            throw cancelWith(Status.of(StatusCode.INTERNAL, "could not decode a response of " + method.fullName() + ": "
                    + Session.describe(e)));
        }
    }

    @Override
    public Iterable<Resp> responses() {
        return Pulled.messages(this::receive);
    }

    @Override
    public void request(int n) {
        if (listener == null) {
            throw new IllegalStateException("request(n) is for calls with a listener; pull with receive()");
        }
        Inbox<InboundMessage> box = inbox;
        if (box != null) {
            box.request(n);
        }
    }

    @Override
    public Metadata headers() {
        return await(headers);
    }

    @Override
    public Status status() {
        return awaitEnd().status();
    }

    @Override
    public Metadata trailers() {
        return awaitEnd().trailers();
    }

    @Override
    public void cancel(String reason) {
        ClientStream s = stream;
        if (s != null) {
            s.cancel(Status.of(StatusCode.CANCELLED, reason == null ? "cancelled by the client" : reason));
        }
    }

    @Override
    public void close() {
        if (!end.isDone()) {
            cancel("the call was closed before it ended");
        }
    }

    private End awaitEnd() {
        return await(end);
    }

    /** Waits for {@code f}; an interrupt cancels this call (only), and the interrupt stays set. */
    private <T> T await(CompletableFuture<T> f) {
        if (!f.isDone()) {
            HeldWrites.writeHeldNow();
        }
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw cancelWith(Status.of(StatusCode.CANCELLED, "interrupted while waiting on " + method.fullName()));
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public String toString() {
        return "ClientCall[" + method.fullName() + (end.isDone() ? ", ended " + end.join().status() : "") + "]";
    }
}
