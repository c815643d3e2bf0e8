package io.framewire.grpc;

import io.framewire.Address;
import io.framewire.Peer;
import io.framewire.StatusException;
import io.framewire.protocol.StatusCode;
import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Consumer;

/**
 * One gRPC call of a hosted service, as grpc-java's {@link ServerCall} over a Framewire async call of
 * bytes: what {@code ServerImpl} and a transport do for a call on a gRPC server, done over Framewire.
 *
 * <p>The application's listener hears its events one at a time and in order (a
 * {@link SerializingExecutor} that drains on the thread that brings the event: Framewire's call
 * executor), each inside the call's {@link Context}, which carries the caller's deadline and is
 * cancelled when the call is (promptly, off the serialised events, as {@code ServerImpl} does), and
 * once more, without a cause, when it completes. After {@code onCancel} or {@code onComplete} the
 * listener hears nothing more. A listener that throws ends the call {@code UNKNOWN}, as in grpc-java.
 */
final class HostedServerCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {
    private static final System.Logger LOG = System.getLogger(HostedServerCall.class.getName());

    private final MethodDescriptor<ReqT, RespT> method;
    private final io.framewire.ServerCall<byte[], byte[]> call;
    private final Context.CancellableContext context;
    private final SerializingExecutor events = new SerializingExecutor(null);

    // Confined to the serialised events.
    private ServerCall.Listener<ReqT> listener;
    private boolean done;

    // The application's side (grpc-java's ServerCall is not thread-safe: one caller at a time).
    private volatile boolean closeCalled;

    private HostedServerCall(MethodDescriptor<ReqT, RespT> method, io.framewire.ServerCall<byte[], byte[]> call) {
        this.method = method;
        this.call = call;
        Context base = Context.ROOT;
        this.context = call.context().deadline()
                .map(d -> base.withDeadline(Mapping.toGrpc(d), Deadlines.SCHEDULER))
                .orElseGet(base::withCancellation);
    }

    /**
     * Starts {@code handler} on a Framewire call (on the thread Framewire starts it on) and returns the
     * Framewire listener that feeds the gRPC one.
     */
    static <ReqT, RespT> io.framewire.ServerCall.Listener<byte[]> start(MethodDescriptor<ReqT, RespT> method,
            ServerCallHandler<ReqT, RespT> handler, io.framewire.ServerCall<byte[], byte[]> call) {
        HostedServerCall<ReqT, RespT> c = new HostedServerCall<>(method, call);
        c.events.execute(() -> c.startCall(handler));
        // gRPC transports tell a new call it is ready; ServerCalls relies on that to replay onReady
        // for unary and server-streaming handlers, which start only at the half-close.
        c.events.execute(() -> {
            if (call.isReady()) {
                c.deliver(ServerCall.Listener::onReady);
            }
        });
        call.context().onCancel(c::cancelled);
        call.context().onClose(c::closed);
        return c.new Events();
    }

    private void startCall(ServerCallHandler<ReqT, RespT> handler) {
        Context previous = context.attach();
        try {
            Metadata headers = Mapping.toGrpc(call.context().requestMetadata());
            ServerCall.Listener<ReqT> l = handler.startCall(this, headers);
            if (l == null) {
                throw new NullPointerException("startCall of " + method.getFullMethodName() + " returned a null listener");
            }
            listener = l;
        } catch (RuntimeException | Error e) {
            failed(e);
        } finally {
            context.detach(previous);
        }
    }

    /** Runs {@code event} on the listener inside the call's context, unless the call is done for it. */
    private void deliver(Consumer<ServerCall.Listener<ReqT>> event) {
        if (done || listener == null) {
            return;
        }
        Context previous = context.attach();
        try {
            event.accept(listener);
        } catch (RuntimeException | Error e) {
            failed(e);
        } finally {
            context.detach(previous);
        }
    }

    /** The application threw: the call ends UNKNOWN and its listener hears nothing more (ServerImpl does the same). */
    private void failed(Throwable t) {
        done = true;
        LOG.log(Level.WARNING, "gRPC service " + method.getFullMethodName() + " failed", t);
        closeCalled = true;
        call.close(io.framewire.Status.of(StatusCode.UNKNOWN, "Application error processing RPC: " + t),
                io.framewire.protocol.Metadata.EMPTY);
        context.cancel(t);
    }

    /** Framewire's cancel listener (its own thread): the call ended before the application closed it. */
    private void cancelled() {
        io.framewire.Status why = call.context().cancellationStatus()
                .orElse(io.framewire.Status.of(StatusCode.CANCELLED, "cancelled"));
        context.cancel(Mapping.toGrpc(why).asRuntimeException());
        events.execute(() -> {
            if (!done && listener != null) {
                deliver(ServerCall.Listener::onCancel);
            }
            done = true;
        });
    }

    /** Framewire's close listener: after the application's close, onComplete; then the context is released. */
    private void closed(io.framewire.Status status) {
        events.execute(() -> {
            if (!call.context().isCancelled()) {
                deliver(ServerCall.Listener::onComplete);
                done = true;
                context.cancel(null);
            }
        });
    }

    /** Framewire's events for this call, on its call executor, one at a time. */
    private final class Events implements io.framewire.ServerCall.Listener<byte[]> {
        @Override
        public void onMessage(byte[] message) {
            events.execute(() -> {
                if (done || listener == null) {
                    return;
                }
                ReqT request;
                try {
                    request = Messages.fromBytes(method.getRequestMarshaller(), message);
                } catch (RuntimeException e) {
                    failed(e);
                    return;
                }
                deliver(l -> l.onMessage(request));
            });
        }

        @Override
        public void onHalfClose() {
            events.execute(() -> deliver(ServerCall.Listener::onHalfClose));
        }

        @Override
        public void onCancel(io.framewire.Status status) {
            // Heard through the context's onCancel, which also fires when the call ends before this
            // listener is attached (while startCall runs).
        }

        @Override
        public void onReady() {
            events.execute(() -> deliver(ServerCall.Listener::onReady));
        }

        @Override
        public boolean autoRequest() {
            return false; // gRPC's ServerCall.request(n) decides
        }
    }

    // --- io.grpc.ServerCall ---

    @Override
    public void request(int numMessages) {
        call.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
        if (closeCalled) {
            throw new IllegalStateException("call is closed");
        }
        try {
            call.sendHeaders(Mapping.fromGrpc(headers));
        } catch (StatusException e) {
            // The call has ended (cancelled, deadline): the listener hears onCancel, as in grpc-java.
        }
    }

    /**
     * Sends a response. Unlike grpc-java, which buffers without bound, this waits while the client's
     * window and the connection's send buffer are full; a service that sends only while
     * {@link #isReady()} never waits.
     */
    @Override
    public void sendMessage(RespT message) {
        if (closeCalled) {
            throw new IllegalStateException("call is closed");
        }
        byte[] body;
        try {
            body = Messages.toBytes(method.getResponseMarshaller(), message);
        } catch (RuntimeException e) {
            close(Status.fromThrowable(e), new Metadata()); // as grpc-java's ServerCallImpl does
            throw e;
        }
        try {
            call.send(body);
        } catch (StatusException e) {
            // The call has ended (cancelled, deadline): the listener hears onCancel, as in grpc-java.
        }
    }

    @Override
    public boolean isReady() {
        return !closeCalled && call.isReady();
    }

    @Override
    public void close(Status status, Metadata trailers) {
        if (closeCalled) {
            throw new IllegalStateException("call already closed");
        }
        closeCalled = true;
        call.close(Mapping.fromGrpc(status), Mapping.fromGrpc(trailers));
    }

    @Override
    public boolean isCancelled() {
        return call.context().isCancelled();
    }

    /** Framewire has no message compression: every message goes uncompressed; this is ignored. */
    @Override
    public void setMessageCompression(boolean enabled) {}

    /** Framewire has no message compression: every message goes uncompressed; this is ignored. */
    @Override
    public void setCompression(String compressor) {}

    @Override
    public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
        return method;
    }

    /** Framewire calls carry no authority: null, which gRPC allows. */
    @Override
    public String getAuthority() {
        return null;
    }

    /** {@link Grpc#TRANSPORT_ATTR_REMOTE_ADDR}: the caller's address as its transport reports it. */
    @Override
    public Attributes getAttributes() {
        return Attributes.newBuilder().set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, socketAddress(call.context().peer())).build();
    }

    /**
     * A peer's address as a {@link SocketAddress}: {@link InetSocketAddress} for host and port,
     * {@link UnixDomainSocketAddress} for a path, otherwise one that only names it.
     */
    static SocketAddress socketAddress(Peer peer) {
        try {
            Address a = Address.parse(peer.address());
            switch (a.kind()) {
                case HOST_PORT -> {
                    return new InetSocketAddress(a.host(), a.port()); // transports report literal addresses
                }
                case PATH -> {
                    return UnixDomainSocketAddress.of(a.path());
                }
                default -> {
                    return new NamedAddress(peer.address());
                }
            }
        } catch (RuntimeException e) {
            return new NamedAddress(peer.address());
        }
    }

    /** An address that is only a name (inproc, an abstract or unnamed socket). */
    static final class NamedAddress extends SocketAddress {
        private static final long serialVersionUID = 1L;
        private final String name;

        NamedAddress(String name) {
            this.name = name;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof NamedAddress n && n.name.equals(name);
        }

        @Override
        public int hashCode() {
            return name.hashCode();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** The timer behind every hosted call's Context deadline: one daemon thread, made on first use. */
    private static final class Deadlines {
        static final ScheduledExecutorService SCHEDULER = create();

        private static ScheduledExecutorService create() {
            ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1,
                    Thread.ofPlatform().daemon().name("framewire-grpc-deadlines").factory());
            s.setRemoveOnCancelPolicy(true);
            return Executors.unconfigurableScheduledExecutorService(s);
        }
    }
}
