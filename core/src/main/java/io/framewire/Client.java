package io.framewire;

import io.framewire.internal.ClientCore;
import io.framewire.internal.SessionConfig;
import io.framewire.internal.Transports;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.Setting;
import io.framewire.protocol.Settings;
import io.framewire.protocol.StatusCode;
import io.framewire.spi.TransportOptions;
import io.framewire.spi.TransportProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * A connection to one Framewire server, over any transport, shared by every call made through it.
 *
 * <pre>{@code
 * try (Client client = Client.connect("tcp://127.0.0.1:7000")) {
 *     String reply = client.call(SAY, "hello");                              // blocking
 *     CompletableFuture<String> later = client.callAsync(SAY, "hello");     // async
 *     String fast = client.call(SAY, "hi", CallOptions.DEFAULT.withTimeout(Duration.ofMillis(50)));
 * }
 * }</pre>
 *
 * <h2>Calls</h2>
 * Many calls run at once on the one connection, each a stream of its own. Blocking calls are meant for
 * virtual threads: thousands of them can wait on one client. A call that fails throws (or completes
 * with) a {@link StatusException}: {@code UNAVAILABLE} when the server cannot be reached,
 * {@code DEADLINE_EXCEEDED} when the deadline passes (the server is told to stop), or the status the
 * server sent.
 *
 * <h2>Connection</h2>
 * {@link #connect} connects at once and throws {@code UNAVAILABLE} with the reason if it cannot
 * ("connection refused", "unknown host", "connect timed out"). If the connection is later lost, calls
 * in flight fail with {@code UNAVAILABLE} and the next call reconnects.
 *
 * <h2>Threads</h2>
 * Thread-safe. Async results complete on the client's callback executor (a virtual thread per task by
 * default), never on the connection's reader thread.
 */
public final class Client implements AutoCloseable {
    private final ClientCore core;

    private Client(ClientCore core) {
        this.core = core;
    }

    /** Connects to {@code address} with default settings. */
    public static Client connect(String address) {
        return builder(address).connect();
    }

    /** Starts configuring a client for {@code address}, e.g. {@code tcp://host:7000} or {@code unix:///run/app.sock}. */
    public static Builder builder(String address) {
        return new Builder(Address.parse(address));
    }

    /** The server address this client connects to. */
    public Address address() {
        return core.address();
    }

    /** Calls a unary method and waits for its response. */
    public <Req, Resp> Resp call(MethodDescriptor<Req, Resp> method, Req request) {
        return call(method, request, CallOptions.DEFAULT);
    }

    /** Calls a unary method with options (deadline, metadata) and waits for its response. */
    public <Req, Resp> Resp call(MethodDescriptor<Req, Resp> method, Req request, CallOptions options) {
        return exchange(method, request, options).message();
    }

    /** Calls a unary method and waits for its response with the response headers and trailers. */
    public <Req, Resp> Response<Resp> exchange(MethodDescriptor<Req, Resp> method, Req request, CallOptions options) {
        requireUnary(method);
        return core.startUnary(method, request, options).await();
    }

    /** Calls a unary method without waiting. Cancelling the future cancels the call. */
    public <Req, Resp> CompletableFuture<Resp> callAsync(MethodDescriptor<Req, Resp> method, Req request) {
        return callAsync(method, request, CallOptions.DEFAULT);
    }

    /** Calls a unary method with options without waiting. Cancelling the future cancels the call. */
    public <Req, Resp> CompletableFuture<Resp> callAsync(MethodDescriptor<Req, Resp> method, Req request,
                                                         CallOptions options) {
        return startAsync(method, request, options, Response::message);
    }

    /**
     * Calls a unary method without waiting, completing with the response and its metadata on the
     * callback executor. Cancelling the returned future cancels the call.
     */
    public <Req, Resp> CompletableFuture<Response<Resp>> exchangeAsync(MethodDescriptor<Req, Resp> method, Req request,
                                                                      CallOptions options) {
        return startAsync(method, request, options, r -> r);
    }

    private <Req, Resp, T> CompletableFuture<T> startAsync(MethodDescriptor<Req, Resp> method, Req request,
                                                           CallOptions options, java.util.function.Function<Response<Resp>, T> extract) {
        requireUnary(method);
        CompletableFuture<T> result = new CompletableFuture<>();
        ClientCore.UnaryCall<Resp> call;
        try {
            call = core.startUnary(method, request, options);
        } catch (StatusException e) {
            result.completeExceptionally(e);
            return result;
        }
        call.whenDone(core.callbackExecutor(), (r, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(extract.apply(r));
            }
        });
        result.whenComplete((r, e) -> {
            if (result.isCancelled()) {
                call.cancel("the caller cancelled the future");
            }
        });
        return result;
    }

    /**
     * Starts a call of any shape whose responses this thread pulls ({@link ClientCall#receive},
     * {@link ClientCall#responses}). The CALL goes out at once; send requests, then half-close.
     *
     * <pre>{@code
     * try (ClientCall<Query, Row> call = client.newCall(SCAN, CallOptions.DEFAULT)) {
     *     call.sendLast(query);
     *     for (Row row : call.responses()) { ... }
     * }
     * }</pre>
     *
     * @throws StatusException if the call cannot start (for example {@code UNAVAILABLE})
     */
    public <Req, Resp> ClientCall<Req, Resp> newCall(MethodDescriptor<Req, Resp> method, CallOptions options) {
        return core.startCall(method, options, null);
    }

    /**
     * Starts a call of any shape whose events are pushed to {@code listener}, on the callback executor,
     * one at a time. A call that cannot start is reported to the listener's {@code onClose}.
     */
    public <Req, Resp> ClientCall<Req, Resp> startCall(MethodDescriptor<Req, Resp> method, CallOptions options,
                                                       ClientCall.Listener<Resp> listener) {
        return core.startCall(method, options, Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Holds back the writes this thread would make to this client's connection until the returned hold
     * is {@linkplain WriteHold#close closed}, so that what it queues meanwhile (a call's start, its
     * messages and half-close, other calls' frames) leaves in one write instead of one each. For code that
     * reacts to a burst of events on one thread, such as a proxy on an event loop, and knows when the
     * burst ends.
     *
     * <pre>{@code
     * try (Client.WriteHold hold = client.holdWrites()) {
     *     ClientCall<byte[], byte[]> call = client.startCall(METHOD, CallOptions.DEFAULT, listener);
     *     call.send(request);
     *     call.halfClose();
     * } // CALL, MESSAGE and HALF_CLOSE leave together here
     * }</pre>
     *
     * <p>Nothing waits on a hold: a thread that must wait (for room to send, for a response, for a PING)
     * writes what it holds first, another thread's writes may carry the held frames out earlier, and
     * connecting is never held. Holds do not nest: while this thread already holds writes (to this
     * client or another), the hold returned holds nothing and its close does nothing.
     *
     * <p>Confined to the calling thread: close it on the thread that took it, and do not leave it open
     * longer than the burst, since what it holds is not on the wire.
     */
    public WriteHold holdWrites() {
        return new WriteHold(core.holdWrites(false).orElse(null));
    }

    /**
     * As {@link #holdWrites}, for a thread that must never wait on a socket, such as an event loop:
     * closing the hold writes what the connection takes at once and hands the rest to a writer thread of
     * the client's own, so a server that stops reading can never hold this thread. Over transports that
     * can write without waiting (unix, inproc) the burst still leaves on this thread, with no thread
     * hop; over the others (tcp) a writer thread always writes it.
     *
     * <pre>{@code
     * // in a Netty handler, on the event loop
     * Client.WriteHold hold = client.holdWritesWithoutWaiting();
     * call.send(request);               // isReady() was true: queues without waiting
     * eventLoop.execute(hold::close);   // once the loop has handled this read
     * }</pre>
     */
    public WriteHold holdWritesWithoutWaiting() {
        return new WriteHold(core.holdWrites(true).orElse(null));
    }

    /**
     * Writes a thread held back ({@link Client#holdWrites}); closing it writes them. Not thread-safe: it
     * belongs to the thread that took it.
     */
    public static final class WriteHold implements AutoCloseable {
        private final io.framewire.internal.HeldWrites held;

        private WriteHold(io.framewire.internal.HeldWrites held) {
            this.held = held;
        }

        /**
         * Ends the hold and writes what it held. Idempotent.
         *
         * @throws IllegalStateException on another thread than the one that took the hold
         */
        @Override
        public void close() {
            if (held != null) {
                held.release();
            }
        }
    }

    // --- publish/subscribe ---

    /**
     * Publishes {@code data} to {@code topic}, without waiting for the broker. Blocks only while the
     * connection's send queue is full, which is how a publisher is slowed to what the broker (and
     * BLOCK subscribers) take.
     *
     * @throws IllegalArgumentException if the topic is invalid
     * @throws StatusException UNAVAILABLE if the server cannot be reached; RESOURCE_EXHAUSTED if the
     *         message does not fit the server's frame size
     */
    public void publish(String topic, byte[] data) {
        publish(topic, data, Metadata.EMPTY);
    }

    /** Publishes with metadata; see {@link #publish(String, byte[])}. */
    public void publish(String topic, byte[] data, Metadata metadata) {
        core.publish(topic, "", metadata, data, false);
    }

    /**
     * Publishes and completes once the broker has queued the message for every matching subscription.
     * It completes exceptionally with {@code RESOURCE_EXHAUSTED} when a BLOCK subscription stayed full
     * past its block timeout, and {@code UNAVAILABLE} if the connection was lost first.
     */
    public CompletableFuture<Void> publishAcked(String topic, byte[] data, Metadata metadata) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            core.publish(topic, "", metadata, data, true).whenComplete((status, e) -> {
                if (e != null) {
                    done.completeExceptionally(e);
                } else if (status.isOk()) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(status.asException());
                }
            });
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    /**
     * Subscribes to topics matching {@code pattern} with default options; pull deliveries with
     * {@link Subscription#next()}. Returns once the server has the subscription: whatever is published
     * from then on reaches it.
     *
     * @throws IllegalArgumentException if the pattern is invalid
     * @throws StatusException if the server refuses the subscription (for example RESOURCE_EXHAUSTED at
     *         its limit of subscriptions per connection)
     */
    public Subscription subscribe(String pattern) {
        return subscribe(pattern, SubscribeOptions.DEFAULT);
    }

    /** Subscribes with options; pull deliveries with {@link Subscription#next()}. */
    public Subscription subscribe(String pattern, SubscribeOptions options) {
        return core.subscribe(pattern, Objects.requireNonNull(options, "options"), null);
    }

    /** Subscribes with options; deliveries are pushed to {@code listener}, one at a time, off the I/O threads. */
    public Subscription subscribe(String pattern, SubscribeOptions options, Subscription.Listener listener) {
        return core.subscribe(pattern, Objects.requireNonNull(options, "options"), Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Publishes a request to {@code topic} and waits for the first reply (responders answer with
     * {@link #reply}).
     *
     * @throws StatusException NOT_FOUND at once if nothing subscribes to {@code topic}; DEADLINE_EXCEEDED
     *         if no reply comes within {@code timeout}
     */
    public Message request(String topic, byte[] data, Duration timeout) {
        return ClientCore.await(requestAsync(topic, data, Metadata.EMPTY, timeout));
    }

    /** As {@link #request(String, byte[], Duration)}, without waiting; completes on the callback executor. */
    public CompletableFuture<Message> requestAsync(String topic, byte[] data, Metadata metadata, Duration timeout) {
        CompletableFuture<Message> out = new CompletableFuture<>();
        core.request(topic, metadata, data, timeout).whenCompleteAsync((m, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
            } else {
                out.complete(m);
            }
        }, core.callbackExecutor());
        return out;
    }

    /**
     * Answers a request received on a subscription: publishes {@code data} to its reply-to topic.
     *
     * @throws IllegalArgumentException if the message is not a request (it has no reply-to)
     */
    public void reply(Message request, byte[] data) {
        String to = request.replyTo().orElseThrow(() -> new IllegalArgumentException(request + " has no reply-to topic"));
        publish(to, data);
    }

    /**
     * Measures the round-trip time to the server with a PING.
     *
     * @throws StatusException UNAVAILABLE if the connection is gone
     */
    public Duration ping() {
        try {
            return core.ping().get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StatusException se ? se
                    : Status.of(StatusCode.UNAVAILABLE, String.valueOf(e.getCause())).asException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.of(StatusCode.CANCELLED, "interrupted").asException(e);
        }
    }

    /**
     * Where a client's connection stands, in the terms of gRPC's {@code ConnectivityState} (a
     * {@code FramewireChannel} reports it as its {@code getState}).
     */
    public enum ConnectionState {
        /** No connection and none being made: the next call (or {@link #connectionState(boolean)} with true) connects. */
        IDLE,
        /** Connecting: the transport's connect and the HELLO exchange are under way. */
        CONNECTING,
        /** Connected: calls start on this connection at once. */
        READY,
        /** The last connect failed and none has succeeded since; the next call (or {@link #connectionState(boolean)} with true) tries again. */
        TRANSIENT_FAILURE,
        /** The client is closed. */
        SHUTDOWN
    }

    /**
     * Where the connection stands. A client keeps at most one connection and makes it when a call needs
     * one: after the server closes it (or sends GOAWAY) the state is {@code IDLE} until the next call.
     *
     * Any thread; it never waits (a requested connect runs on a virtual thread of its own).
     *
     * @param requestConnection whether to start connecting, in the background, if the state is {@code IDLE}
     *        or {@code TRANSIENT_FAILURE} (a client does not retry by itself between calls)
     */
    public ConnectionState connectionState(boolean requestConnection) {
        if (requestConnection) {
            core.connectInBackground();
        }
        return core.connectionState();
    }

    /**
     * Runs {@code callback} once, on the client's callback executor, as soon as the connection state
     * differs from {@code source} (at once if it already does), as gRPC's
     * {@code ManagedChannel.notifyWhenStateChanged} does. Any thread; a callback that throws is logged.
     */
    public void whenConnectionStateLeaves(ConnectionState source, Runnable callback) {
        core.whenStateLeaves(Objects.requireNonNull(source, "source"), Objects.requireNonNull(callback, "callback"));
    }

    /** Closes the connection. Calls in flight end with {@code CANCELLED}. Idempotent. */
    @Override
    public void close() {
        core.close();
    }

    private static void requireUnary(MethodDescriptor<?, ?> method) {
        if (method.type() != io.framewire.protocol.MethodType.UNARY) {
            throw new IllegalArgumentException(method.fullName() + " is " + method.type() + ", not UNARY");
        }
    }

    @Override
    public String toString() {
        return "Client[" + core.address() + "]";
    }

    /**
     * Configures a {@link Client}; not thread-safe.
     *
     * <pre>{@code
     * Client client = Client.builder("tcp://10.0.0.5:7000")
     *         .connectTimeout(Duration.ofSeconds(2))
     *         .maxMessageSize(16 << 20)
     *         .interceptor(authInterceptor)
     *         .connect();
     * }</pre>
     */
    public static final class Builder {
        private final Address address;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private TransportOptions transportOptions;
        private Settings.Builder settings = Settings.builder();
        private final List<ClientInterceptor> interceptors = new ArrayList<>();
        private Executor callbackExecutor;
        private long maxQueuedBytes = 4 << 20;

        private Builder(Address address) {
            this.address = address;
        }

        /** How long connecting (and the handshake) may take; 10 seconds by default. */
        public Builder connectTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("connect timeout must be positive");
            }
            this.connectTimeout = timeout;
            return this;
        }

        /** Options of the address's transport (for example {@code TcpOptions}); its defaults otherwise. */
        public Builder transportOptions(TransportOptions options) {
            this.transportOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        /** The largest response message accepted, and request message sent; 4 MiB by default. */
        public Builder maxMessageSize(int bytes) {
            settings.set(Setting.MAX_MESSAGE_SIZE, bytes);
            return this;
        }

        /** Any protocol setting this client announces (what it accepts): windows, frame size, heartbeats. */
        public Builder setting(Setting setting, int value) {
            settings.set(setting, value);
            return this;
        }

        /** Adds an interceptor; interceptors run in the order added. */
        public Builder interceptor(ClientInterceptor interceptor) {
            interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
            return this;
        }

        /** Where async completions and listeners run; a virtual thread per task by default. */
        public Builder callbackExecutor(Executor executor) {
            this.callbackExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** Bytes that may wait to be written before senders block; 4 MiB by default. */
        public Builder maxQueuedBytes(long bytes) {
            if (bytes < 64 * 1024) {
                throw new IllegalArgumentException("maxQueuedBytes must be at least 64 KiB");
            }
            this.maxQueuedBytes = bytes;
            return this;
        }

        /**
         * Connects and completes the handshake.
         *
         * @throws StatusException UNAVAILABLE with the reason if the server cannot be reached
         */
        public Client connect() {
            TransportProvider transport = Transports.forAddress(address);
            TransportOptions opts = transportOptions != null ? transportOptions : transport.defaultOptions();
            Executor callbacks = callbackExecutor != null ? callbackExecutor
                    : Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("framewire-callback").factory());
            SessionConfig config = SessionConfig.forClient(settings.build(), maxQueuedBytes, callbacks);
            ClientCore core = new ClientCore(address, transport, opts, connectTimeout, config, interceptors);
            core.connect();
            return new Client(core);
        }
    }
}
