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
 *         .build();
 * }</pre>
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
