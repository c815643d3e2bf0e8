package io.framewire.grpc;

import io.framewire.Deadline;
import io.framewire.Status;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The one place where gRPC's call attributes and Framewire's meet: metadata, status and deadlines, in
 * both directions. Every class of the bridge maps through here, so the gateway, the proxy, the hosted
 * services and the channel agree.
 *
 * <p>Metadata keys follow the same rules on both sides (lower case, {@code -bin} for binary values), so
 * entries map one to one, in order. Not forwarded: gRPC's reserved headers ({@code grpc-*}, pseudo
 * headers such as {@code :authority}, {@code content-type}, {@code te}, {@code user-agent}), which each
 * side's transport sets itself, and Framewire's reserved {@code fw-*} keys. An entry that one side cannot
 * hold (an ASCII value with a character outside printable ASCII) is dropped rather than failing the call.
 */
final class Mapping {

    private Mapping() {}

    /** Whether a gRPC header is the transport's own and not the application's metadata. */
    static boolean reserved(String key) {
        return key.startsWith("grpc-") || key.startsWith(":") || key.startsWith("fw-")
                || key.equals("content-type") || key.equals("te") || key.equals("user-agent")
                || key.equals("host") || key.equals("connection") || key.equals("accept-encoding")
                || key.equals("content-encoding") || key.equals("transfer-encoding");
    }

    /** Framewire metadata as gRPC metadata. */
    static io.grpc.Metadata toGrpc(Metadata metadata) {
        io.grpc.Metadata out = new io.grpc.Metadata();
        for (int i = 0; i < metadata.size(); i++) {
            String key = metadata.keyAt(i);
            if (reserved(key)) {
                continue;
            }
            byte[] value = metadata.valueAt(i);
            try {
                if (key.endsWith(io.grpc.Metadata.BINARY_HEADER_SUFFIX)) {
                    out.put(io.grpc.Metadata.Key.of(key, io.grpc.Metadata.BINARY_BYTE_MARSHALLER), value);
                } else {
                    out.put(io.grpc.Metadata.Key.of(key, io.grpc.Metadata.ASCII_STRING_MARSHALLER),
                            new String(value, StandardCharsets.US_ASCII));
                }
            } catch (IllegalArgumentException e) {
                // A key or value gRPC does not accept: dropped, as documented above.
            }
        }
        return out;
    }

    /** gRPC metadata as Framewire metadata, without gRPC's reserved headers. */
    static Metadata fromGrpc(io.grpc.Metadata metadata) {
        if (metadata == null) {
            return Metadata.EMPTY;
        }
        java.util.Set<String> keys = metadata.keys(); // builds a new set: once per call, not twice (this method was 2% of a busy gateway JVM's JFR samples)
        if (keys.isEmpty()) {
            return Metadata.EMPTY;
        }
        Metadata.Builder out = Metadata.builder();
        for (String key : keys) {
            if (reserved(key)) {
                continue;
            }
            try {
                if (key.endsWith(io.grpc.Metadata.BINARY_HEADER_SUFFIX)) {
                    Iterable<byte[]> values = metadata.getAll(
                            io.grpc.Metadata.Key.of(key, io.grpc.Metadata.BINARY_BYTE_MARSHALLER));
                    if (values != null) {
                        for (byte[] v : values) {
                            out.putBinary(key, v);
                        }
                    }
                } else {
                    Iterable<String> values = metadata.getAll(
                            io.grpc.Metadata.Key.of(key, io.grpc.Metadata.ASCII_STRING_MARSHALLER));
                    if (values != null) {
                        for (String v : values) {
                            out.put(key, v);
                        }
                    }
                }
            } catch (IllegalArgumentException e) {
                // A key or value Framewire does not accept: dropped, as documented above.
            }
        }
        return out.build();
    }

    /** A Framewire status as a gRPC status; the codes are gRPC's canonical codes on both sides. */
    static io.grpc.Status toGrpc(Status status) {
        io.grpc.Status s = io.grpc.Status.fromCodeValue(status.code().code());
        return status.description().isEmpty() ? s : s.withDescription(status.description());
    }

    /**
     * A gRPC status as a Framewire status. The cause is not carried, as gRPC never sends it either: a
     * handler's {@code onError(new RuntimeException("secret"))} must not show "secret" to the caller.
     */
    static Status fromGrpc(io.grpc.Status status) {
        return Status.of(StatusCode.of(status.getCode().value()), status.getDescription());
    }

    /** A Framewire deadline as a gRPC one (both are relative to this JVM's nanoTime). */
    static io.grpc.Deadline toGrpc(Deadline deadline) {
        return io.grpc.Deadline.after(deadline.timeRemaining().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** A gRPC deadline as a Framewire one. */
    static Deadline fromGrpc(io.grpc.Deadline deadline) {
        return Deadline.afterNanos(deadline.timeRemaining(TimeUnit.NANOSECONDS));
    }

    /** The earlier of a gRPC call's deadline and its context's, if either is set. */
    static Optional<io.grpc.Deadline> earliest(io.grpc.Deadline a, io.grpc.Deadline b) {
        if (a == null) {
            return Optional.ofNullable(b);
        }
        return Optional.of(b == null ? a : a.minimum(b));
    }
}
