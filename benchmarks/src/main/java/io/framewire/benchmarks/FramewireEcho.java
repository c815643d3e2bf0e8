package io.framewire.benchmarks;

import io.framewire.Codec;
import io.framewire.ExecutionMode;
import io.framewire.MethodDescriptor;
import io.framewire.transport.tcp.TcpOptions;

/**
 * The Framewire echo method and the settings under test, shared by {@link FramewireEchoServer} and
 * {@link FramewireSystem}. The settings travel to the server JVM as its two arguments.
 */
final class FramewireEcho {
    static final MethodDescriptor<byte[], byte[]> ECHO =
            MethodDescriptor.unary("bench.Echo/Echo", Codec.bytes(), Codec.bytes());

    /** Stands for "the transport's default" where a reader-thread kind is expected. */
    static final String DEFAULT_READER = "default";

    private FramewireEcho() {}

    /** TCP options with the given reader threads, or the transport's defaults for null. */
    static TcpOptions tcpOptions(TcpOptions.ReaderThreads reader) {
        return reader == null ? TcpOptions.defaults() : TcpOptions.defaults().withReaderThreads(reader);
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
