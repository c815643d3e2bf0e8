package io.framewire;

import io.framewire.protocol.MethodType;
import java.util.Objects;

/**
 * A remote method: its full name {@code package.Service/Method}, its shape, and the codecs of its
 * request and response. Client and server share one descriptor, usually as a constant.
 *
 * <pre>{@code
 * static final MethodDescriptor<String, String> SAY =
 *         MethodDescriptor.unary("demo.Echo/Say", Codec.utf8(), Codec.utf8());
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param <Req> request message type
 * @param <Resp> response message type
 */
public final class MethodDescriptor<Req, Resp> {
    private final String fullName;
    private final MethodType type;
    private final Codec<Req> requestCodec;
    private final Codec<Resp> responseCodec;

    private MethodDescriptor(String fullName, MethodType type, Codec<Req> requestCodec, Codec<Resp> responseCodec) {
        this.fullName = checkName(fullName);
        this.type = Objects.requireNonNull(type, "type");
        this.requestCodec = Objects.requireNonNull(requestCodec, "requestCodec");
        this.responseCodec = Objects.requireNonNull(responseCodec, "responseCodec");
    }

    public static <Req, Resp> MethodDescriptor<Req, Resp> create(String fullName, MethodType type,
            Codec<Req> requestCodec, Codec<Resp> responseCodec) {
        return new MethodDescriptor<>(fullName, type, requestCodec, responseCodec);
    }

    /** One request, one response. */
    public static <Req, Resp> MethodDescriptor<Req, Resp> unary(String fullName, Codec<Req> req, Codec<Resp> resp) {
        return create(fullName, MethodType.UNARY, req, resp);
    }

    /** One request, a stream of responses. */
    public static <Req, Resp> MethodDescriptor<Req, Resp> serverStreaming(String fullName, Codec<Req> req, Codec<Resp> resp) {
        return create(fullName, MethodType.SERVER_STREAMING, req, resp);
    }

    /** A stream of requests, one response. */
    public static <Req, Resp> MethodDescriptor<Req, Resp> clientStreaming(String fullName, Codec<Req> req, Codec<Resp> resp) {
        return create(fullName, MethodType.CLIENT_STREAMING, req, resp);
    }

    /** Independent streams both ways. */
    public static <Req, Resp> MethodDescriptor<Req, Resp> bidiStreaming(String fullName, Codec<Req> req, Codec<Resp> resp) {
        return create(fullName, MethodType.BIDI_STREAMING, req, resp);
    }

    /** {@code package.Service/Method}. */
    public String fullName() {
        return fullName;
    }

    /** {@code package.Service}. */
    public String serviceName() {
        return fullName.substring(0, fullName.indexOf('/'));
    }

    /** {@code Method}. */
    public String methodName() {
        return fullName.substring(fullName.indexOf('/') + 1);
    }

    public MethodType type() {
        return type;
    }

    public Codec<Req> requestCodec() {
        return requestCodec;
    }

    public Codec<Resp> responseCodec() {
        return responseCodec;
    }

    static String checkName(String fullName) {
        Objects.requireNonNull(fullName, "fullName");
        int slash = fullName.indexOf('/');
        if (slash <= 0 || slash == fullName.length() - 1 || fullName.indexOf('/', slash + 1) >= 0) {
            String shown = fullName.length() > 100 ? fullName.substring(0, 100) + "..." : fullName;
            throw new IllegalArgumentException("method name must be 'package.Service/Method', got '" + shown + "'");
        }
        int bytes = fullName.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > io.framewire.protocol.FrameLayout.MAX_STR16_BYTES) {
            throw new IllegalArgumentException("method name of " + bytes + " UTF-8 bytes is longer than the "
                    + io.framewire.protocol.FrameLayout.MAX_STR16_BYTES + " a CALL frame can carry");
        }
        return fullName;
    }

    @Override
    public String toString() {
        return fullName + " (" + type + ")";
    }
}
