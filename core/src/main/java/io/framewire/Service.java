package io.framewire;

import io.framewire.internal.ServerMethod;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A named set of methods with their handlers, registered on a {@link Server}.
 *
 * <pre>{@code
 * Service echo = Service.builder("demo.Echo")
 *         .unary(SAY, (request, ctx) -> "echo: " + request)
 *         .serverStreaming(COUNT, (n, call) -> { for (int i = 0; i < n; i++) call.send(i); })
 *         .clientStreaming(SUM, call -> { int s = 0; for (int x : call.requests()) s += x; return s; })
 *         .bidiStreaming(CHAT, call -> { for (String line : call.requests()) call.send("> " + line); })
 *         .build();
 * }</pre>
 *
 * <p>Blocking handlers run on a virtual thread per call. An {@link AsyncHandler} serves any shape
 * without one, the way gRPC's server API does.
 *
 * <p>Every method's name must start with the service name. Immutable once built.
 */
public final class Service {
    private final String name;
    private final Map<String, ServerMethod> methods;

    private Service(String name, Map<String, ServerMethod> methods) {
        this.name = name;
        this.methods = Collections.unmodifiableMap(new LinkedHashMap<>(methods));
    }

    /** Starts a service named {@code package.Service}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    public String name() {
        return name;
    }

    /** The methods, in registration order. */
    public List<MethodDescriptor<?, ?>> methods() {
        List<MethodDescriptor<?, ?>> out = new ArrayList<>();
        for (ServerMethod m : methods.values()) {
            out.add(m.descriptor());
        }
        return Collections.unmodifiableList(out);
    }

    Map<String, ServerMethod> serverMethods() {
        return methods;
    }

    @Override
    public String toString() {
        return "Service[" + name + ", " + methods.keySet() + "]";
    }

    /** Builds a {@link Service}; not thread-safe. */
    public static final class Builder {
        private final String name;
        private final Map<String, ServerMethod> methods = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
            if (name.isEmpty() || name.indexOf('/') >= 0) {
                throw new IllegalArgumentException("service name must be 'package.Service', got '" + name + "'");
            }
        }

        /** Registers a unary method, run on a virtual thread per call. */
        public <Req, Resp> Builder unary(MethodDescriptor<Req, Resp> method, UnaryHandler<Req, Resp> handler) {
            return unary(method, ExecutionMode.VIRTUAL_THREAD, handler);
        }

        /** Registers a unary method with the given execution mode. */
        public <Req, Resp> Builder unary(MethodDescriptor<Req, Resp> method, ExecutionMode mode,
                                         UnaryHandler<Req, Resp> handler) {
            requireType(method, io.framewire.protocol.MethodType.UNARY);
            return add(ServerMethod.unary(method, mode, Objects.requireNonNull(handler, "handler")));
        }

        /** Registers a server-streaming method: one request, responses sent through the call. */
        public <Req, Resp> Builder serverStreaming(MethodDescriptor<Req, Resp> method,
                                                   ServerStreamingHandler<Req, Resp> handler) {
            requireType(method, io.framewire.protocol.MethodType.SERVER_STREAMING);
            return add(ServerMethod.serverStreaming(method, Objects.requireNonNull(handler, "handler")));
        }

        /** Registers a client-streaming method: requests pulled from the call, one response returned. */
        public <Req, Resp> Builder clientStreaming(MethodDescriptor<Req, Resp> method,
                                                   ClientStreamingHandler<Req, Resp> handler) {
            requireType(method, io.framewire.protocol.MethodType.CLIENT_STREAMING);
            return add(ServerMethod.clientStreaming(method, Objects.requireNonNull(handler, "handler")));
        }

        /** Registers a bidirectional-streaming method. */
        public <Req, Resp> Builder bidiStreaming(MethodDescriptor<Req, Resp> method,
                                                 BidiStreamingHandler<Req, Resp> handler) {
            requireType(method, io.framewire.protocol.MethodType.BIDI_STREAMING);
            return add(ServerMethod.bidiStreaming(method, Objects.requireNonNull(handler, "handler")));
        }

        /** Registers a method of any shape served without a thread per call; {@code start} runs on a virtual thread. */
        public <Req, Resp> Builder async(MethodDescriptor<Req, Resp> method, AsyncHandler<Req, Resp> handler) {
            return async(method, ExecutionMode.VIRTUAL_THREAD, handler);
        }

        /** Registers a method of any shape served without a thread per call, starting it as {@code mode} says. */
        public <Req, Resp> Builder async(MethodDescriptor<Req, Resp> method, ExecutionMode mode,
                                         AsyncHandler<Req, Resp> handler) {
            return add(ServerMethod.async(method, Objects.requireNonNull(mode, "mode"), Objects.requireNonNull(handler, "handler")));
        }

        private Builder add(ServerMethod m) {
            MethodDescriptor<?, ?> d = m.descriptor();
            if (!d.serviceName().equals(name)) {
                throw new IllegalArgumentException("method " + d.fullName() + " does not belong to service " + name);
            }
            if (methods.putIfAbsent(d.fullName(), m) != null) {
                throw new IllegalArgumentException("method " + d.fullName() + " registered twice");
            }
            return this;
        }

        private static void requireType(MethodDescriptor<?, ?> method, io.framewire.protocol.MethodType type) {
            if (method.type() != type) {
                throw new IllegalArgumentException(method.fullName() + " is " + method.type() + ", not " + type);
            }
        }

        public Service build() {
            return new Service(name, methods);
        }
    }
}
