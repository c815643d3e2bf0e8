package io.framewire.internal;

import io.framewire.ExecutionMode;
import io.framewire.MethodDescriptor;
import io.framewire.ServerCallContext;
import io.framewire.Status;
import io.framewire.UnaryHandler;
import io.framewire.protocol.StatusCode;

/**
 * A registered method as the engine sees it: bytes in, bytes out, with the codecs and the typed
 * handler hidden behind it. Not API: built by {@code Service.Builder}.
 */
public final class ServerMethod {
    /** A unary handler over bytes. */
    @FunctionalInterface
    interface UnaryInvoker {
        byte[] invoke(byte[] request, ServerCallContext context) throws Exception;
    }

    private final MethodDescriptor<?, ?> descriptor;
    private final ExecutionMode mode;
    private final UnaryInvoker unary;

    private ServerMethod(MethodDescriptor<?, ?> descriptor, ExecutionMode mode, UnaryInvoker unary) {
        this.descriptor = descriptor;
        this.mode = mode;
        this.unary = unary;
    }

    public static <Req, Resp> ServerMethod unary(MethodDescriptor<Req, Resp> method, ExecutionMode mode,
                                                 UnaryHandler<Req, Resp> handler) {
        return new ServerMethod(method, mode, (bytes, ctx) -> {
            Req request = decodeRequest(method, bytes);
            Resp response = handler.handle(request, ctx);
            if (response == null) {
                throw Status.of(StatusCode.INTERNAL, "handler of " + method.fullName() + " returned null").asException();
            }
            return method.responseCodec().encode(response);
        });
    }

    static <Req> Req decodeRequest(MethodDescriptor<Req, ?> method, byte[] bytes) {
        try {
            return method.requestCodec().decode(bytes);
        } catch (RuntimeException e) {
            throw Status.of(StatusCode.INTERNAL, "could not decode the request of " + method.fullName() + ": "
                    + Session.describe(e)).asException(e);
        }
    }

    public MethodDescriptor<?, ?> descriptor() {
        return descriptor;
    }

    ExecutionMode mode() {
        return mode;
    }

    UnaryInvoker unaryInvoker() {
        return unary;
    }
}
