package io.framewire.internal;

import io.framewire.AsyncHandler;
import io.framewire.BidiStreamingHandler;
import io.framewire.ClientStreamingHandler;
import io.framewire.ExecutionMode;
import io.framewire.MethodDescriptor;
import io.framewire.ServerCall;
import io.framewire.ServerStreamingHandler;
import io.framewire.Status;
import io.framewire.UnaryHandler;
import io.framewire.protocol.StatusCode;

/**
 * A registered method as the engine sees it: how its handler is run, over bytes, with the codecs and
 * the typed handler behind it. Not API: built by {@code Service.Builder}.
 */
public final class ServerMethod {

    /** How a call of the method is driven. */
    enum Kind {
        /** One request, collected before the handler runs; its return value is the response. */
        UNARY,
        /** One request, collected before the handler runs; responses go out through the call. */
        SERVER_STREAMING,
        /** The handler runs from the start and pulls requests (client streaming, bidi). */
        PULL,
        /** The handler's start returns a listener that is pushed the requests. */
        ASYNC
    }

    /** Runs a blocking handler: returns the response's bytes (unary, client streaming) or null. */
    @FunctionalInterface
    interface Runner {
        byte[] run(ServerStream stream, ServerCallImpl<?, ?> call, byte[] request) throws Exception;
    }

    /** Starts an async handler, returning the listener its call's requests go to. */
    @FunctionalInterface
    interface Starter {
        ServerCall.Listener<?> start(ServerCallImpl<?, ?> call) throws Exception;
    }

    private final MethodDescriptor<?, ?> descriptor;
    private final ExecutionMode mode;
    private final Kind kind;
    private final Runner runner;
    private final Starter starter;

    private ServerMethod(MethodDescriptor<?, ?> descriptor, ExecutionMode mode, Kind kind, Runner runner, Starter starter) {
        this.descriptor = descriptor;
        this.mode = mode;
        this.kind = kind;
        this.runner = runner;
        this.starter = starter;
    }

    public static <Req, Resp> ServerMethod unary(MethodDescriptor<Req, Resp> method, ExecutionMode mode,
                                                 UnaryHandler<Req, Resp> handler) {
        return new ServerMethod(method, mode, Kind.UNARY, (stream, call, bytes) -> {
            Resp response = handler.handle(decodeRequest(method, bytes), stream.context);
            if (response == null) {
                throw Status.of(StatusCode.INTERNAL, "handler of " + method.fullName() + " returned null").asException();
            }
            return method.responseCodec().encode(response);
        }, null);
    }

    @SuppressWarnings("unchecked")
    public static <Req, Resp> ServerMethod serverStreaming(MethodDescriptor<Req, Resp> method,
                                                           ServerStreamingHandler<Req, Resp> handler) {
        return new ServerMethod(method, ExecutionMode.VIRTUAL_THREAD, Kind.SERVER_STREAMING, (stream, call, bytes) -> {
            handler.handle(decodeRequest(method, bytes), (ServerCallImpl<Req, Resp>) call);
            return null;
        }, null);
    }

    @SuppressWarnings("unchecked")
    public static <Req, Resp> ServerMethod clientStreaming(MethodDescriptor<Req, Resp> method,
                                                           ClientStreamingHandler<Req, Resp> handler) {
        return new ServerMethod(method, ExecutionMode.VIRTUAL_THREAD, Kind.PULL, (stream, call, bytes) -> {
            ServerCallImpl<Req, Resp> typed = (ServerCallImpl<Req, Resp>) call;
            return typed.encodeResponse(handler.handle(typed));
        }, null);
    }

    @SuppressWarnings("unchecked")
    public static <Req, Resp> ServerMethod bidiStreaming(MethodDescriptor<Req, Resp> method,
                                                         BidiStreamingHandler<Req, Resp> handler) {
        return new ServerMethod(method, ExecutionMode.VIRTUAL_THREAD, Kind.PULL, (stream, call, bytes) -> {
            handler.handle((ServerCallImpl<Req, Resp>) call);
            return null;
        }, null);
    }

    @SuppressWarnings("unchecked")
    public static <Req, Resp> ServerMethod async(MethodDescriptor<Req, Resp> method, ExecutionMode mode,
                                                 AsyncHandler<Req, Resp> handler) {
        return new ServerMethod(method, mode, Kind.ASYNC, null, call -> {
            ServerCall.Listener<Req> l = handler.start((ServerCallImpl<Req, Resp>) call);
            if (l == null) {
                throw Status.of(StatusCode.INTERNAL, "async handler of " + method.fullName() + " returned no listener")
                        .asException();
            }
            return l;
        });
    }

    /**
     * The method a call of {@code name} runs when no service registered it and the server has a
     * {@code fallback} (a proxy's): over bytes, with the shape the caller gave (bidi when it did not know
     * it). Null when the name is not a method name at all.
     */
    static ServerMethod fallback(String name, io.framewire.protocol.MethodType shape, ExecutionMode mode,
                                 AsyncHandler<byte[], byte[]> handler) {
        MethodDescriptor<byte[], byte[]> descriptor;
        try {
            descriptor = MethodDescriptor.create(name,
                    shape == io.framewire.protocol.MethodType.UNKNOWN ? io.framewire.protocol.MethodType.BIDI_STREAMING : shape,
                    io.framewire.Codec.bytes(), io.framewire.Codec.bytes());
        } catch (IllegalArgumentException e) {
            return null;
        }
        return async(descriptor, mode, handler);
    }

    static <Req> Req decodeRequest(MethodDescriptor<Req, ?> method, byte[] bytes) {
        try {
            return method.requestCodec().decode(bytes);
        } catch (RuntimeException e) {
            throw Status.of(StatusCode.INTERNAL, "could not decode the request of " + method.fullName() + ": "
                    + Session.describe(e)).asException(e);
        }
    }

    /** A typed call object for a stream of this method. */
    ServerCallImpl<?, ?> newCall(ServerStream stream) {
        return newCall(stream, descriptor, kind == Kind.ASYNC);
    }

    private static <Req, Resp> ServerCallImpl<Req, Resp> newCall(ServerStream stream, MethodDescriptor<Req, Resp> d,
                                                                 boolean pushed) {
        return new ServerCallImpl<>(stream, d, pushed);
    }

    public MethodDescriptor<?, ?> descriptor() {
        return descriptor;
    }

    ExecutionMode mode() {
        return mode;
    }

    Kind kind() {
        return kind;
    }

    Runner runner() {
        return runner;
    }

    Starter starter() {
        return starter;
    }
}
