package io.framewire.grpc;

import io.framewire.Codec;
import io.framewire.StatusException;
import io.framewire.protocol.StatusCode;
import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One gRPC call made through a {@link FramewireChannel}: grpc-java's {@link ClientCall} over a pushed
 * Framewire call of bytes, the way grpc-java's {@code ClientCallImpl} runs one over an HTTP/2 stream.
 *
 * <p>The listener hears its events one at a time, in order, on the call's executor
 * ({@link CallOptions#getExecutor()}, which blocking stubs depend on), or else on the Framewire client's
 * callback thread (a virtual thread of its own for the events the application's own calls cause, so
 * a listener never runs inside a ClientCall method); after {@code onClose} it hears nothing more. A status this side decides (the
 * application's cancel with its cause, the {@link Context}'s cancellation, a listener that threw)
 * replaces the {@code CANCELLED} Framewire reports for it.
 */
final class FramewireClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
    private static final System.Logger LOG = System.getLogger(FramewireClientCall.class.getName());

    private final FramewireChannel channel;
    private final MethodDescriptor<ReqT, RespT> method;
    private final CallOptions callOptions;
    private final Context context;
    private final SerializingExecutor events;
    /** The status to report instead of Framewire's CANCELLED, once this side has ended the call. */
    private final AtomicReference<Status> localStatus = new AtomicReference<>();
    private final Context.CancellationListener onContextCancelled = c -> cancelWith(Contexts.statusFromCancelled(c));

    private volatile io.framewire.ClientCall<byte[], byte[]> call;
    /** Written by sendMessage (whose calls are never concurrent), read right after it on the same thread. */
    private int lastSentSize = -1;
    /** Written and read inside one event task; the tasks run one at a time, each after the last. */
    private int deliveringSize = -1;
    private volatile Listener<RespT> listener;
    private volatile boolean halfCloseCalled;
    /** Why a listener callback threw: the call is cancelled, reported with this status whatever ends it. */
    private volatile Status failure;

    // Confined to the serialised events.
    private boolean closed;

    FramewireClientCall(FramewireChannel channel, MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
        this.channel = channel;
        this.method = method;
        this.callOptions = callOptions;
        this.context = Context.current();
        this.events = new SerializingExecutor(callOptions.getExecutor());
    }

    @Override
    public void start(Listener<RespT> responseListener, Metadata headers) {
        if (listener != null) {
            throw new IllegalStateException("already started");
        }
        listener = java.util.Objects.requireNonNull(responseListener, "responseListener");
        if (localStatus.get() != null) {
            closeLocally(localStatus.get()); // cancelled before it started
            return;
        }
        if (context.isCancelled()) {
            closeLocally(Contexts.statusFromCancelled(context));
            return;
        }
        io.framewire.MethodDescriptor<byte[], byte[]> bytes;
        try {
            bytes = io.framewire.MethodDescriptor.create(method.getFullMethodName(), shapeOf(method.getType()),
                    Codec.bytes(), Codec.bytes());
        } catch (IllegalArgumentException e) {
            closeLocally(Status.UNIMPLEMENTED.withDescription(e.getMessage()));
            return;
        }
        if (!channel.register(this)) {
            closeLocally(Status.UNAVAILABLE.withDescription("Channel shutdown invoked"));
            return;
        }
        io.framewire.CallOptions options = io.framewire.CallOptions.DEFAULT.withMetadata(Mapping.fromGrpc(headers));
        Optional<Deadline> deadline = Mapping.earliest(callOptions.getDeadline(), context.getDeadline());
        if (deadline.isPresent()) {
            options = options.withDeadline(Mapping.fromGrpc(deadline.get()));
        }
        io.framewire.ClientCall<byte[], byte[]> started;
        try {
            started = channel.client().startCall(bytes, options, new Events());
        } catch (RuntimeException e) {
            channel.unregister(this);
            closeLocally(Status.UNAVAILABLE.withDescription("could not start the call on " + channel.client()).withCause(e));
            return;
        }
        call = started;
        context.addListener(onContextCancelled, Runnable::run);
        if (localStatus.get() != null) {
            started.cancel(localStatus.get().getDescription()); // cancelled while starting
        }
        // gRPC transports tell a new call it is ready; flow-aware callers wait for that to send.
        if (started.isReady()) {
            fromApplication(() -> deliver(ClientCall.Listener::onReady, "Failed to call onReady."));
        }
    }

    /**
     * Queues an event that the application's own call (start) gives rise to. Never run on the
     * application's thread inside that call: gRPC never calls a listener from within a ClientCall method.
     */
    private void fromApplication(Runnable event) {
        if (callOptions.getExecutor() != null) {
            events.execute(event);
        } else {
            Thread.ofVirtual().name("framewire-grpc-call").start(() -> events.execute(event));
        }
    }

    @Override
    public void request(int numMessages) {
        io.framewire.ClientCall<byte[], byte[]> c = call;
        if (c != null) {
            c.request(numMessages);
        }
    }

    @Override
    public void cancel(String message, Throwable cause) {
        if (message == null && cause == null) {
            cause = new CancellationException("Cancelled without a message or cause");
        }
        Status status = Status.CANCELLED.withDescription(message != null ? message : "Call cancelled without message");
        cancelWith(cause == null ? status : status.withCause(cause));
    }

    /** Ends the call with {@code status} (reported as is to the listener), unless it has ended already. */
    void cancelWith(Status status) {
        if (!localStatus.compareAndSet(null, status)) {
            return;
        }
        io.framewire.ClientCall<byte[], byte[]> c = call;
        if (c != null) {
            c.cancel(status.getDescription());
        }
    }

    @Override
    public void halfClose() {
        if (listener == null) {
            throw new IllegalStateException("not started");
        }
        if (halfCloseCalled) {
            throw new IllegalStateException("halfClose already called");
        }
        halfCloseCalled = true;
        io.framewire.ClientCall<byte[], byte[]> c = call;
        if (c != null) {
            c.halfClose();
        }
    }

    /**
     * Sends a request. Unlike grpc-java, which buffers without bound, this waits while the server's
     * window and the connection's send buffer are full; a caller that sends only while
     * {@link #isReady()} never waits.
     */
    @Override
    public void sendMessage(ReqT message) {
        if (listener == null) {
            throw new IllegalStateException("not started");
        }
        if (halfCloseCalled) {
            throw new IllegalStateException("halfClose already called");
        }
        lastSentSize = -1; // a message that is not sent has no size for the tracers
        io.framewire.ClientCall<byte[], byte[]> c = call;
        if (c == null) {
            return; // ended before it started; the listener hears why
        }
        byte[] body;
        try {
            body = Messages.toBytes(method.getRequestMarshaller(), message);
        } catch (RuntimeException e) {
            cancelWith(Status.CANCELLED.withDescription("Failed to stream message").withCause(e));
            return;
        }
        lastSentSize = body.length;
        try {
            c.send(body);
        } catch (StatusException e) {
            // The call has ended: its listener hears the status, as with grpc-java.
        }
    }

    /** The serialized size of the request {@link #sendMessage} last sent, -1 before any: for stream tracers. */
    int lastSentSize() {
        return lastSentSize;
    }

    /** The serialized size of the response being delivered to the listener now, -1 outside a delivery: for stream tracers. */
    int deliveringSize() {
        return deliveringSize;
    }

    @Override
    public boolean isReady() {
        io.framewire.ClientCall<byte[], byte[]> c = call;
        return !halfCloseCalled && c != null && c.isReady();
    }

    /** Framewire has no message compression: ignored. */
    @Override
    public void setMessageCompression(boolean enabled) {}

    @Override
    public Attributes getAttributes() {
        return Attributes.EMPTY;
    }

    /** Ends a call that never reached Framewire: only its listener hears it. */
    private void closeLocally(Status status) {
        fromApplication(() -> deliverClose(status, new Metadata()));
    }

    private void deliverClose(Status status, Metadata trailers) {
        if (closed) {
            return;
        }
        closed = true;
        try {
            listener.onClose(status, trailers);
        } catch (RuntimeException | Error e) {
            LOG.log(Level.WARNING, "onClose of a call of " + method.getFullMethodName() + " failed", e);
        }
    }

    /** Runs {@code event} on the listener (serialised), unless the call is over for it; a throw cancels the call. */
    private void deliver(Consumer<Listener<RespT>> event, String whatFailed) {
        if (closed || failure != null) {
            return;
        }
        try {
            event.accept(listener);
        } catch (RuntimeException | Error e) {
            listenerFailed(e, whatFailed);
        }
    }

    /** A listener callback threw: the call is cancelled and its listener told why, as grpc-java does. */
    private void listenerFailed(Throwable t, String what) {
        Status status = Status.CANCELLED.withDescription(what).withCause(t);
        failure = status;
        cancelWith(status);
    }

    /** Framewire's events for this call, on the client's callback executor, one at a time. */
    private final class Events implements io.framewire.ClientCall.Listener<byte[]> {
        @Override
        public void onHeaders(io.framewire.protocol.Metadata headers) {
            events.execute(() -> deliver(l -> l.onHeaders(Mapping.toGrpc(headers)), "Failed to read headers"));
        }

        @Override
        public void onMessage(byte[] message) {
            events.execute(() -> {
                deliveringSize = message.length;
                try {
                    deliver(l -> l.onMessage(Messages.fromBytes(method.getResponseMarshaller(), message)),
                            "Failed to read message.");
                } finally {
                    deliveringSize = -1;
                }
            });
        }

        @Override
        public void onReady() {
            events.execute(() -> deliver(ClientCall.Listener::onReady, "Failed to call onReady."));
        }

        @Override
        public void onClose(io.framewire.Status status, io.framewire.protocol.Metadata trailers) {
            context.removeListener(onContextCancelled);
            channel.unregister(FramewireClientCall.this);
            Metadata grpcTrailers = Mapping.toGrpc(trailers);
            events.execute(() -> {
                // Read here, after the events before it: a listener that failed reports its failure.
                Status local = failure != null ? failure : localStatus.get();
                boolean ours = failure != null || (local != null && status.code() == StatusCode.CANCELLED);
                deliverClose(ours ? local : Mapping.toGrpc(status), grpcTrailers);
            });
        }

        @Override
        public boolean autoRequest() {
            return false; // gRPC's ClientCall.request(n) decides
        }
    }

    /** The shape a call is made with: gRPC's, or UNKNOWN when the method does not say (the server then uses its own). */
    static io.framewire.protocol.MethodType shapeOf(MethodDescriptor.MethodType type) {
        return switch (type) {
            case UNARY -> io.framewire.protocol.MethodType.UNARY;
            case CLIENT_STREAMING -> io.framewire.protocol.MethodType.CLIENT_STREAMING;
            case SERVER_STREAMING -> io.framewire.protocol.MethodType.SERVER_STREAMING;
            case BIDI_STREAMING -> io.framewire.protocol.MethodType.BIDI_STREAMING;
            case UNKNOWN -> io.framewire.protocol.MethodType.UNKNOWN;
        };
    }

    @Override
    public String toString() {
        return "FramewireClientCall[" + method.getFullMethodName() + "]";
    }
}
