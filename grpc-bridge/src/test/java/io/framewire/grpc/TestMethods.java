package io.framewire.grpc;

import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The methods the bridge tests call, each declared twice: as a Framewire descriptor and as a
 * hand-made grpc-java descriptor with a plain marshaller (no protobuf code generation).
 */
final class TestMethods {
    static final int CHUNK = 64 * 1024;
    static final long FIREHOSE_BYTES = 64L << 20;

    static final String UNARY = "test.Echo/Unary";
    static final String SPLIT = "test.Echo/Split";
    static final String JOIN = "test.Echo/Join";
    static final String CHAT = "test.Echo/Chat";
    static final String FAIL = "test.Echo/Fail";
    static final String SLEEP = "test.Echo/Sleep";
    static final String HOLD = "test.Echo/Hold";
    static final String FIREHOSE = "test.Flow/Firehose";
    static final String DRAIN = "test.Flow/Drain";

    static final io.grpc.MethodDescriptor.Marshaller<String> UTF8 = new io.grpc.MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            return new String(readAll(stream), StandardCharsets.UTF_8);
        }
    };

    static final io.grpc.MethodDescriptor.Marshaller<byte[]> BYTES = new io.grpc.MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            return readAll(stream);
        }
    };

    private TestMethods() {}

    private static byte[] readAll(InputStream stream) {
        try (stream) {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- gRPC descriptors ---

    static io.grpc.MethodDescriptor<String, String> grpc(String name, io.grpc.MethodDescriptor.MethodType type) {
        return io.grpc.MethodDescriptor.<String, String>newBuilder().setFullMethodName(name).setType(type)
                .setRequestMarshaller(UTF8).setResponseMarshaller(UTF8).build();
    }

    static io.grpc.MethodDescriptor<byte[], byte[]> grpcBytes(String name, io.grpc.MethodDescriptor.MethodType type) {
        return io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder().setFullMethodName(name).setType(type)
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    }

    static final io.grpc.MethodDescriptor<String, String> G_UNARY = grpc(UNARY, io.grpc.MethodDescriptor.MethodType.UNARY);
    static final io.grpc.MethodDescriptor<String, String> G_SPLIT = grpc(SPLIT, io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING);
    static final io.grpc.MethodDescriptor<String, String> G_JOIN = grpc(JOIN, io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING);
    static final io.grpc.MethodDescriptor<String, String> G_CHAT = grpc(CHAT, io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING);
    static final io.grpc.MethodDescriptor<String, String> G_FAIL = grpc(FAIL, io.grpc.MethodDescriptor.MethodType.UNARY);
    static final io.grpc.MethodDescriptor<String, String> G_SLEEP = grpc(SLEEP, io.grpc.MethodDescriptor.MethodType.UNARY);
    static final io.grpc.MethodDescriptor<String, String> G_HOLD = grpc(HOLD, io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING);
    static final io.grpc.MethodDescriptor<byte[], byte[]> G_FIREHOSE =
            grpcBytes(FIREHOSE, io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING);
    static final io.grpc.MethodDescriptor<byte[], byte[]> G_DRAIN =
            grpcBytes(DRAIN, io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING);

    // --- Framewire descriptors ---

    static final MethodDescriptor<String, String> F_UNARY = MethodDescriptor.unary(UNARY, Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> F_SPLIT = MethodDescriptor.serverStreaming(SPLIT, Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> F_JOIN = MethodDescriptor.clientStreaming(JOIN, Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> F_CHAT = MethodDescriptor.bidiStreaming(CHAT, Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> F_FAIL = MethodDescriptor.unary(FAIL, Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> F_SLEEP = MethodDescriptor.unary(SLEEP, Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> F_HOLD = MethodDescriptor.bidiStreaming(HOLD, Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<byte[], byte[]> F_FIREHOSE =
            MethodDescriptor.serverStreaming(FIREHOSE, Codec.bytes(), Codec.bytes());
    static final MethodDescriptor<byte[], byte[]> F_DRAIN =
            MethodDescriptor.clientStreaming(DRAIN, Codec.bytes(), Codec.bytes());

    /** A Framewire listen address of {@code transport} ("unix" in {@code dir}, or "tcp" on a free port). */
    static String framewireAddress(String transport, Path dir) {
        return switch (transport) {
            case "unix" -> "unix://" + dir.resolve("fw.sock");
            case "tcp" -> "tcp://127.0.0.1:0";
            default -> throw new IllegalArgumentException(transport);
        };
    }
}
