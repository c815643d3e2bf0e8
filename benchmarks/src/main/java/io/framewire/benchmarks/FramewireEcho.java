package io.framewire.benchmarks;

import io.framewire.Address;
import io.framewire.Codec;
import io.framewire.ExecutionMode;
import io.framewire.MethodDescriptor;
import io.framewire.Service;
import io.framewire.transport.tcp.TcpOptions;
import io.framewire.transport.udp.UdpOptions;
import java.nio.file.Path;

/**
 * The Framewire echo method and the settings under test, shared by {@link FramewireEchoServer},
 * {@link FramewireSystem} and the fan-out's Framewire processes. The settings travel to a child JVM
 * as its arguments.
 */
final class FramewireEcho {
    static final MethodDescriptor<byte[], byte[]> ECHO =
            MethodDescriptor.unary("bench.Echo/Echo", Codec.bytes(), Codec.bytes());

    /** Stands for "the transport's default" where a reader-thread kind is expected. */
    static final String DEFAULT_READER = "default";

    private FramewireEcho() {}

    /** The echo service: answers each request with the request itself, the handler run as {@code mode} says. */
    static Service service(ExecutionMode mode) {
        return Service.builder("bench.Echo")
                .unary(ECHO, mode, (request, ctx) -> request)
                .build();
    }

    /** Framewire's address for an endpoint: {@code tcp://127.0.0.1:PORT} or {@code unix:///PATH}. */
    static String address(Endpoint endpoint) {
        return switch (endpoint) {
            case Endpoint.Tcp tcp -> "tcp://127.0.0.1:" + tcp.port();
            case Endpoint.Unix unix -> "unix://" + unix.path();
            case Endpoint.Udp udp -> "udp://127.0.0.1:" + udp.port();
        };
    }

    /** The endpoint of an address a Framewire server bound. */
    static Endpoint endpoint(Address bound) {
        return switch (bound.kind()) {
            case HOST_PORT -> bound.scheme().equals("udp") ? new Endpoint.Udp(bound.port()) : new Endpoint.Tcp(bound.port());
            case PATH -> new Endpoint.Unix(Path.of(bound.path()));
            case NAME -> throw new IllegalArgumentException("no endpoint for " + bound);
        };
    }

    /** TCP options with the given reader threads, or the transport's defaults for null. */
    static TcpOptions tcpOptions(TcpOptions.ReaderThreads reader) {
        return reader == null ? TcpOptions.defaults() : TcpOptions.defaults().withReaderThreads(reader);
    }

    /** UDP options with the reader threads of the same name as {@code reader}, or the defaults for null. */
    static UdpOptions udpOptions(TcpOptions.ReaderThreads reader) {
        return reader == null ? UdpOptions.defaults()
                : UdpOptions.defaults().toBuilder().readerThreads(UdpOptions.ReaderThreads.valueOf(reader.name())).build();
    }

    static String readerArg(TcpOptions.ReaderThreads reader) {
        return reader == null ? DEFAULT_READER : reader.name();
    }

    static TcpOptions.ReaderThreads parseReaderArg(String arg) {
        return arg.equals(DEFAULT_READER) ? null : TcpOptions.ReaderThreads.valueOf(arg);
    }

    static String describeReader(TcpOptions.ReaderThreads reader) {
        return reader == null ? "default (" + TcpOptions.defaults().readerThreads() + ")" : reader.name();
    }

    static ExecutionMode parseHandlerArg(String arg) {
        return ExecutionMode.valueOf(arg);
    }
}
