package io.framewire.internal;

import io.framewire.Address;
import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.ClientCallInfo;
import io.framewire.ClientInterceptor;
import io.framewire.Deadline;
import io.framewire.MethodDescriptor;
import io.framewire.Response;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Handshake;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import io.framewire.spi.Connection;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * What a {@code Client} does, over bytes: keeps one session to its address (reconnecting on the next
 * call once it is gone), runs client interceptors, and carries unary calls. Not API.
 */
public final class ClientCore implements AutoCloseable {
    private final Address address;
    private final TransportProvider transport;
    private final TransportOptions options;
    private final Duration connectTimeout;
    private final SessionConfig config;
    private final List<ClientInterceptor> interceptors;
    private final ReentrantLock connectLock = new ReentrantLock();
    private volatile ClientSession current;
    private volatile boolean closed;
    /** A connect is under way (set and cleared under {@link #connectLock}). */
    private volatile boolean connecting;
    /** The last connect failed and none has succeeded since. */
    private volatile boolean lastConnectFailed;
    /** One-off callbacks waiting for the connection state to leave the one they were registered with. */
    private final List<StateWatch> stateWatches = new ArrayList<>();
    private final ReentrantLock stateLock = new ReentrantLock();
    /** A {@link #connectInBackground} is under way. */
    private final java.util.concurrent.atomic.AtomicBoolean backgroundConnect = new java.util.concurrent.atomic.AtomicBoolean();

    private record StateWatch(Client.ConnectionState source, Runnable callback) {
    }
    final ClientPubSub pubsub = new ClientPubSub(this);

    public ClientCore(Address address, TransportProvider transport, TransportOptions options, Duration connectTimeout,
                      SessionConfig config, List<ClientInterceptor> interceptors) {
        this.address = address;
        this.transport = transport;
        this.options = options;
        this.connectTimeout = connectTimeout;
        this.config = config;
        this.interceptors = List.copyOf(interceptors);
    }

    public Address address() {
        return address;
    }

    long connectTimeoutNanos() {
        return Deadline.saturatedNanos(connectTimeout);
    }

    /** Where completions of async calls run: never on the connection's reader. */
    public java.util.concurrent.Executor callbackExecutor() {
        return config.callbackExecutor();
    }

    // --- sessions ---

    /** Connects now (the client's eager first connection). */
    public void connect() {
        session(null);
    }

    ClientSession session(Deadline deadline) {
        ClientSession s = current;
        if (s != null && s.acceptsCalls()) {
            return s;
        }
        connectLock.lock();
        try {
            s = current;
            if (s != null && s.acceptsCalls()) {
                return s;
            }
            if (closed) {
                throw Status.of(StatusCode.UNAVAILABLE, "the client is closed").asException();
            }
            HeldWrites held = HeldWrites.suspend(); // the HELLO must leave now: the handshake waits for the answer
            connecting = true;
            stateMaybeChanged();
            boolean connected = false;
            try {
                s = connectSession(deadline);
                if (closed) {
                    // close() ran while this connected: it must not outlive the client.
                    s.close(Status.of(StatusCode.CANCELLED, "the client was closed"), null);
                    throw Status.of(StatusCode.UNAVAILABLE, "the client is closed").asException();
                }
                current = s;
                connected = true;
                return s;
            } finally {
                HeldWrites.resume(held);
                connecting = false;
                lastConnectFailed = !connected;
                stateMaybeChanged();
            }
        } finally {
            connectLock.unlock();
        }
    }

    // --- connection state, for FramewireChannel.getState ---

    /** Where the connection stands now. */
    public Client.ConnectionState connectionState() {
        if (closed) {
            return Client.ConnectionState.SHUTDOWN;
        }
        ClientSession s = current;
        if (s != null && s.acceptsCalls()) {
            return Client.ConnectionState.READY;
        }
        if (connecting) {
            return Client.ConnectionState.CONNECTING;
        }
        return lastConnectFailed ? Client.ConnectionState.TRANSIENT_FAILURE : Client.ConnectionState.IDLE;
    }

    /**
     * Starts connecting on a thread of its own if there is no connection (IDLE, or TRANSIENT_FAILURE:
     * there is no automatic retry, so a caller waiting for READY asks again); at most one such connect at
     * a time. A failure shows as TRANSIENT_FAILURE.
     */
    public void connectInBackground() {
        Client.ConnectionState st = connectionState();
        if ((st != Client.ConnectionState.IDLE && st != Client.ConnectionState.TRANSIENT_FAILURE)
                || !backgroundConnect.compareAndSet(false, true)) {
            return;
        }
        try {
            Thread.ofVirtual().name("framewire-connect").start(() -> {
                try {
                    session(null);
                } catch (StatusException e) {
                    Session.LOG.log(System.Logger.Level.DEBUG, "connecting to " + address + " failed: " + e.getMessage());
                } finally {
                    backgroundConnect.set(false);
                }
            });
        } catch (RuntimeException | OutOfMemoryError e) {
            backgroundConnect.set(false);
            throw e;
        }
    }

    /**
     * Runs {@code callback} once, on the callback executor, when the connection state is no longer
     * {@code source} (at once if it is not now).
     */
    public void whenStateLeaves(Client.ConnectionState source, Runnable callback) {
        stateLock.lock();
        try {
            if (connectionState() == source) {
                stateWatches.add(new StateWatch(source, callback));
                return;
            }
        } finally {
            stateLock.unlock();
        }
        runStateCallback(callback);
    }

    /** Called after anything that may change {@link #connectionState}: runs the watches it concerns. */
    void stateMaybeChanged() {
        List<Runnable> due = null;
        stateLock.lock();
        try {
            if (stateWatches.isEmpty()) {
                return;
            }
            Client.ConnectionState now = connectionState();
            for (java.util.Iterator<StateWatch> it = stateWatches.iterator(); it.hasNext(); ) {
                StateWatch w = it.next();
                if (w.source() != now) {
                    it.remove();
                    if (due == null) {
                        due = new ArrayList<>();
                    }
                    due.add(w.callback());
                }
            }
        } finally {
            stateLock.unlock();
        }
        if (due != null) {
            due.forEach(this::runStateCallback);
        }
    }

    private void runStateCallback(Runnable callback) {
        try {
            config.callbackExecutor().execute(() -> {
                try {
                    callback.run();
                } catch (RuntimeException e) {
                    Session.LOG.log(System.Logger.Level.WARNING, "a connection state callback failed", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            Session.LOG.log(System.Logger.Level.DEBUG, "a connection state callback was refused by its executor", e);
        }
    }

    private ClientSession connectSession(Deadline deadline) {
        long timeoutNanos = Deadline.saturatedNanos(connectTimeout);
        if (deadline != null) {
            timeoutNanos = Math.min(timeoutNanos, Math.max(0, deadline.remainingNanos()));
            if (timeoutNanos <= 0) {
                throw Status.of(StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before connecting to " + address).asException();
            }
        }
        Duration timeout = Duration.ofNanos(timeoutNanos);
        Connection conn;
        try {
            conn = transport.connect(address, options, timeout);
        } catch (IOException e) {
            throw Status.of(StatusCode.UNAVAILABLE, "cannot connect to " + address + ": " + Session.describe(e))
                    .asException(e);
        }
        ClientSession s = new ClientSession(conn, transport.scheme(), config, pubsub);
        s.out.sendControl(Handshake.clientHello(config.local()), true);
        s.start(conn.readerThreads(), Duration.ZERO);
        try {
            s.handshakeFuture().get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            s.failConnection(io.framewire.protocol.ErrorCode.HANDSHAKE_TIMEOUT, "no HELLO from the server within "
                    + timeout.toMillis() + " ms");
            throw Status.of(StatusCode.UNAVAILABLE, "connected to " + address + " but the server did not complete the handshake within "
                    + timeout.toMillis() + " ms").asException();
        } catch (ExecutionException e) {
            s.close(Status.of(StatusCode.UNAVAILABLE, "handshake failed"), null);
            Throwable c = e.getCause();
            String why = c instanceof StatusException se ? se.status().description() : Session.describe(c);
            throw Status.of(StatusCode.UNAVAILABLE, "handshake with " + address + " failed: " + why).asException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            s.close(Status.of(StatusCode.CANCELLED, "interrupted"), null);
            throw Status.of(StatusCode.CANCELLED, "interrupted while connecting to " + address).asException(e);
        }
        pubsub.sessionOpened(s);
        s.onDraining(this::stateMaybeChanged);
        s.closeFuture().thenRun(() -> {
            stateMaybeChanged();
            if (!closed && pubsub.hasSubscriptions()) {
                scheduleReconnect(0);
            }
        });
        return s;
    }

    /**
     * Reconnects in the background while subscriptions wait for a connection (calls reconnect on their
     * own, when made): after 50 ms, doubling up to 2 s, with jitter so many clients do not reconnect in
     * step.
     */
    private void scheduleReconnect(int attempt) {
        long base = Math.min(2000, 50L << Math.min(attempt, 6));
        long delay = base / 2 + java.util.concurrent.ThreadLocalRandom.current().nextLong(base / 2 + 1);
        Timers.schedule(() -> Thread.ofVirtual().name("framewire-reconnect").start(() -> {
            ClientSession s = current;
            if (closed || !pubsub.hasSubscriptions() || (s != null && s.acceptsCalls())) {
                return;
            }
            try {
                session(null);
            } catch (StatusException e) {
                Session.LOG.log(System.Logger.Level.DEBUG, "reconnect to " + address + " failed: " + e.getMessage());
                scheduleReconnect(attempt + 1);
            }
        }), delay, TimeUnit.MILLISECONDS);
    }

    // --- publish/subscribe, for the public Client ---

    public java.util.concurrent.CompletableFuture<Status> publish(String topic, String replyTo, Metadata metadata,
                                                                 byte[] data, boolean ack) {
        return pubsub.publish(topic, replyTo, metadata, data, null, ack);
    }

    public io.framewire.Subscription subscribe(String pattern, io.framewire.SubscribeOptions options,
                                               io.framewire.Subscription.Listener listener) {
        return pubsub.subscribe(pattern, options, listener);
    }

    public java.util.concurrent.CompletableFuture<io.framewire.Message> request(String topic, Metadata metadata,
                                                                               byte[] data, Duration timeout) {
        return pubsub.request(topic, metadata, data, timeout);
    }

    public static io.framewire.Message await(java.util.concurrent.CompletableFuture<io.framewire.Message> reply) {
        HeldWrites.writeHeldNow();
        return ClientPubSub.await(reply);
    }

    /**
     * Holds the calling thread's writes to this client's connections until the hold is released; empty
     * if the thread already holds writes (to this client or another).
     */
    public java.util.Optional<HeldWrites> holdWrites(boolean withoutWaiting) {
        return java.util.Optional.ofNullable(HeldWrites.begin(config, withoutWaiting));
    }

    /** Round-trip time to the server. */
    public CompletableFuture<Duration> ping() {
        CompletableFuture<Duration> rtt = session(null).ping();
        HeldWrites.writeHeldNow(); // a caller may wait for it
        return rtt;
    }

    /** Closes without waiting for a connect in progress (which closes what it made when it sees this). */
    @Override
    public void close() {
        closed = true;
        pubsub.close();
        ClientSession s = current;
        if (s != null) {
            s.close(Status.of(StatusCode.CANCELLED, "the client was closed"),
                    new io.framewire.protocol.Frame.GoAway(0, io.framewire.protocol.ErrorCode.NO_ERROR, "client closed"));
        }
        stateMaybeChanged();
    }

    // --- interceptors ---

    /** The options after every interceptor, and the close listeners they registered. */
    record Intercepted(CallOptions options, List<BiConsumer<Status, Metadata>> closeListeners) {
        void fireClose(Status status, Metadata trailers) {
            for (BiConsumer<Status, Metadata> l : closeListeners) {
                try {
                    l.accept(status, trailers);
                } catch (RuntimeException e) {
                    Session.LOG.log(System.Logger.Level.WARNING, "client interceptor close listener failed", e);
                }
            }
        }
    }

    Intercepted intercept(MethodDescriptor<?, ?> method, CallOptions options) {
        if (interceptors.isEmpty()) {
            return new Intercepted(options, List.of());
        }
        List<BiConsumer<Status, Metadata>> listeners = new ArrayList<>(1);
        CallOptions o = options;
        for (ClientInterceptor i : interceptors) {
            CallOptions current = o;
            o = i.interceptCall(new ClientCallInfo() {
                @Override
                public MethodDescriptor<?, ?> method() {
                    return method;
                }

                @Override
                public CallOptions options() {
                    return current;
                }

                @Override
                public Address target() {
                    return address;
                }

                @Override
                public void onClose(BiConsumer<Status, Metadata> listener) {
                    listeners.add(listener);
                }
            });
            if (o == null) {
                throw new IllegalStateException("client interceptor " + i + " returned null options");
            }
        }
        return new Intercepted(o, listeners);
    }

    // --- unary ---

    /** A started unary call; its raw result completes on the reader thread. */
    public static final class UnaryCall<Resp> implements ClientStream.Listener {
        private final MethodDescriptor<?, Resp> method;
        private final Intercepted intercepted;
        private final CompletableFuture<Response<byte[]>> raw = new CompletableFuture<>();
        private volatile ClientStream stream;
        private Metadata headers = Metadata.EMPTY;
        private byte[] message;

        UnaryCall(MethodDescriptor<?, Resp> method, Intercepted intercepted) {
            this.method = method;
            this.intercepted = intercepted;
        }

        @Override
        public void onHeaders(Metadata h) {
            headers = h;
        }

        @Override
        public void onMessage(ClientStream s, InboundMessage m) {
            s.consumed(m);
            if (message != null) {
                s.cancel(Status.of(StatusCode.INTERNAL, "more than one response message for unary method " + method.fullName()));
                return;
            }
            message = m.data();
        }

        @Override
        public void onClose(Status status, Metadata trailers, boolean fromServer) {
            intercepted.fireClose(status, trailers);
            if (status.isOk()) {
                if (message == null) {
                    raw.completeExceptionally(Status.of(StatusCode.INTERNAL, "the server ended unary call "
                            + method.fullName() + " with OK but no response message").asException(trailers));
                } else {
                    raw.complete(Response.of(message, headers, trailers));
                }
            } else {
                raw.completeExceptionally(status.asException(trailers));
            }
        }

        /** Cancels the call (if still running) with CANCELLED. */
        public void cancel(String why) {
            ClientStream s = stream;
            if (s != null) {
                s.cancel(Status.of(StatusCode.CANCELLED, why));
            }
        }

        /** Waits for the response on the calling thread and decodes it there. */
        public Response<Resp> await() {
            HeldWrites.writeHeldNow();
            try {
                return decode(raw.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                cancel("the calling thread was interrupted");
                throw Status.of(StatusCode.CANCELLED, "interrupted while waiting for " + method.fullName()).asException(e);
            } catch (ExecutionException e) {
                throw rethrow(e.getCause());
            }
        }

        /** Completes {@code target} with the decoded response, on {@code executor}. */
        public void whenDone(java.util.concurrent.Executor executor, BiConsumer<Response<Resp>, Throwable> target) {
            raw.whenComplete((r, e) -> executor.execute(() -> {
                if (e != null) {
                    target.accept(null, e instanceof CancellationException ? e : rethrow(e));
                    return;
                }
                Response<Resp> decoded;
                try {
                    decoded = decode(r);
                } catch (StatusException se) {
                    target.accept(null, se);
                    return;
                }
                target.accept(decoded, null);
            }));
        }

        private Response<Resp> decode(Response<byte[]> r) {
            Resp value;
            try {
                value = method.responseCodec().decode(r.message());
            } catch (RuntimeException e) {
                throw Status.of(StatusCode.INTERNAL, "could not decode the response of " + method.fullName() + ": "
                        + Session.describe(e)).asException(e);
            }
            return Response.of(value, r.headers(), r.trailers());
        }

        private static StatusException rethrow(Throwable t) {
            if (t instanceof StatusException se) {
                // A fresh exception, so the stack trace shows the caller, with the original's status and trailers.
                StatusException e = se.status().asException(se.trailers());
                e.addSuppressed(se);
                return e;
            }
            return Status.of(StatusCode.INTERNAL, Session.describe(t)).asException(t);
        }
    }

    /**
     * Starts a unary call: interceptors, encoding, size checks, then CALL + MESSAGE + HALF_CLOSE.
     *
     * @throws StatusException if the call fails before anything is sent
     */
    public <Req, Resp> UnaryCall<Resp> startUnary(MethodDescriptor<Req, Resp> method, Req request, CallOptions options) {
        Intercepted ic = intercept(method, options);
        UnaryCall<Resp> call = new UnaryCall<>(method, ic);
        try {
            Deadline deadline = ic.options().effectiveDeadline().orElse(null);
            if (deadline != null && deadline.isExpired()) {
                throw Status.of(StatusCode.DEADLINE_EXCEEDED, "deadline already exceeded before " + method.fullName()
                        + " was sent").asException();
            }
            byte[] body;
            try {
                body = method.requestCodec().encode(request);
            } catch (RuntimeException e) {
                throw Status.of(StatusCode.INTERNAL, "could not encode the request of " + method.fullName() + ": "
                        + Session.describe(e)).asException(e);
            }
            ClientSession s = session(deadline);
            checkOutboundSize(s, body.length, "request");
            checkMetadataSize(s, ic.options().metadata());
            ClientStream stream = s.newStream(method.fullName(), method.type(), deadline, call);
            call.stream = stream;
            s.open(stream, ic.options().metadata(), body, true);
            return call;
        } catch (StatusException e) {
            call.onClose(e.status(), e.trailers(), false);
            throw e;
        }
    }

    /**
     * Starts a call of any shape: CALL now, messages as the application sends them. Pulled when
     * {@code listener} is null, pushed to it otherwise. A pulled call that cannot start throws; a
     * pushed one tells its listener.
     */
    public <Req, Resp> ClientCall<Req, Resp> startCall(MethodDescriptor<Req, Resp> method, CallOptions options,
                                                       ClientCall.Listener<Resp> listener) {
        SerialExecutor serial = listener == null ? null : new SerialExecutor(config.callbackExecutor());
        ClientCallImpl<Req, Resp> call = null;
        try {
            Intercepted ic = intercept(method, options);
            call = new ClientCallImpl<>(method, ic, listener, serial);
            if (method.type() != io.framewire.protocol.MethodType.UNARY
                    && !transport.capabilities().contains(io.framewire.spi.TransportCapability.RELIABLE_ORDERED)) {
                throw Status.of(StatusCode.UNIMPLEMENTED, streamingUnsupported(transport.scheme())).asException();
            }
            Deadline deadline = ic.options().effectiveDeadline().orElse(null);
            if (deadline != null && deadline.isExpired()) {
                throw Status.of(StatusCode.DEADLINE_EXCEEDED, "deadline already exceeded before " + method.fullName()
                        + " started").asException();
            }
            ClientSession s = session(deadline);
            checkMetadataSize(s, ic.options().metadata());
            ClientStream stream = s.newStream(method.fullName(), method.type(), deadline, call);
            call.attach(stream);
            s.open(stream, ic.options().metadata(), null, false);
            if (listener != null) {
                // After open: before it, nobody can have asked isReady(), so no onReady can be owed.
                s.out.watchReady(stream.out, config.streamReadyThreshold(), stream::notifyReady);
            }
            return call;
        } catch (StatusException e) {
            if (call == null) {
                // An interceptor refused the call before it existed.
                call = new ClientCallImpl<>(method, new Intercepted(options, List.of()), listener, serial);
            }
            call.detachUnopened();
            call.onClose(e.status(), e.trailers(), false);
            if (listener == null) {
                throw e;
            }
            return call;
        }
    }

    /**
     * Request metadata the server would refuse fails the call here, before anything is sent: metadata
     * that did not even fit a frame would otherwise cost the whole connection (FRAME_TOO_LARGE).
     */
    static void checkMetadataSize(Session s, Metadata metadata) {
        int size = metadata.encodedSize();
        int limit = s.peerSettings().maxMetadataSize();
        if (size > limit) {
            throw Status.of(StatusCode.RESOURCE_EXHAUSTED, "request metadata of " + size
                    + " bytes exceeds the server's limit of " + limit + " bytes").asException();
        }
    }

    /** Why a streaming call cannot run on a transport without {@code RELIABLE_ORDERED}; both sides say it alike. */
    public static String streamingUnsupported(String scheme) {
        return "streaming is not supported over " + scheme + ": datagrams may be lost or reordered";
    }

    static void checkOutboundSize(Session s, int size, String what) {
        int limit = Math.min(s.peerSettings().maxMessageSize(), s.localSettings().maxMessageSize());
        if (size > limit) {
            String whose = limit == s.peerSettings().maxMessageSize() ? "the server's" : "the client's";
            throw Status.of(StatusCode.RESOURCE_EXHAUSTED, what + " message of " + size + " bytes exceeds " + whose
                    + " maximum message size of " + limit + " bytes").asException();
        }
    }
}
