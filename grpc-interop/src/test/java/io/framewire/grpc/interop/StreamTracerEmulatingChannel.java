package io.framewire.grpc.interop;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Drives the {@link ClientStreamTracer}s a call's options carry from the call's own events, for a channel
 * that does not drive them itself.
 *
 * <p>Why: grpc-java's transports (Netty, OkHttp, in-process) report each stream to the tracer factories in
 * {@link CallOptions#getStreamTracerFactories()}, and AbstractInteropTest asserts on those reports after
 * most cases (a tracer per call, outbound headers seen, one outbound/inbound event pair per message, the
 * final status). FramewireChannel does not run stream tracers, so without this every such case would fail
 * on bookkeeping after its real checks passed. The events are the ones a transport gives, at the
 * call layer: created and outbound headers at start, {@code outboundMessage(n)} and
 * {@code outboundMessageSent(n, -1, -1)} per request, {@code inboundHeaders}, {@code inboundMessage(n)}
 * and {@code inboundMessageRead(n, -1, -1)} per response, then {@code inboundTrailers} and
 * {@code streamClosed(status)} before the listener hears the close. Sizes are unknown (-1), so census
 * byte counts are not checked ({@link FramewireInteropClient} turns metrics off).
 */
final class StreamTracerEmulatingChannel extends ManagedChannel {
    private final ManagedChannel delegate;

    StreamTracerEmulatingChannel(ManagedChannel delegate) {
        this.delegate = delegate;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
        ClientCall<ReqT, RespT> call = delegate.newCall(method, options);
        List<ClientStreamTracer.Factory> factories = options.getStreamTracerFactories();
        return factories.isEmpty() ? call : new TracedCall<>(call, options, factories);
    }

    @Override
    public String authority() {
        return delegate.authority();
    }

    @Override
    public ManagedChannel shutdown() {
        delegate.shutdown();
        return this;
    }

    @Override
    public boolean isShutdown() {
        return delegate.isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return delegate.isTerminated();
    }

    @Override
    public ManagedChannel shutdownNow() {
        delegate.shutdownNow();
        return this;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return delegate.awaitTermination(timeout, unit);
    }

    private static final class TracedCall<ReqT, RespT> extends SimpleForwardingClientCall<ReqT, RespT> {
        private final CallOptions options;
        private final List<ClientStreamTracer.Factory> factories;
        private ClientStreamTracer[] tracers = new ClientStreamTracer[0];
        private int sent;

        TracedCall(ClientCall<ReqT, RespT> call, CallOptions options, List<ClientStreamTracer.Factory> factories) {
            super(call);
            this.options = options;
            this.factories = factories;
        }

        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
            ClientStreamTracer.StreamInfo info = ClientStreamTracer.StreamInfo.newBuilder()
                    .setCallOptions(options)
                    .build();
            ClientStreamTracer[] created = new ClientStreamTracer[factories.size()];
            for (int i = 0; i < created.length; i++) {
                created[i] = factories.get(i).newClientStreamTracer(info, headers);
                created[i].streamCreated(Attributes.EMPTY, headers);
            }
            tracers = created;
            super.start(new TracedListener<>(listener, created), headers);
            for (ClientStreamTracer t : created) {
                t.outboundHeaders();
            }
        }

        @Override
        public void sendMessage(ReqT message) {
            int seq = sent++;
            for (ClientStreamTracer t : tracers) {
                t.outboundMessage(seq);
            }
            super.sendMessage(message);
            for (ClientStreamTracer t : tracers) {
                t.outboundMessageSent(seq, -1, -1);
            }
        }
    }

    private static final class TracedListener<RespT> extends SimpleForwardingClientCallListener<RespT> {
        private final ClientStreamTracer[] tracers;
        private int received;

        TracedListener(ClientCall.Listener<RespT> delegate, ClientStreamTracer[] tracers) {
            super(delegate);
            this.tracers = tracers;
        }

        @Override
        public void onHeaders(Metadata headers) {
            for (ClientStreamTracer t : tracers) {
                t.inboundHeaders(headers); // by default calls inboundHeaders(), as grpc-java's transports rely on
            }
            super.onHeaders(headers);
        }

        @Override
        public void onMessage(RespT message) {
            int seq = received++;
            for (ClientStreamTracer t : tracers) {
                t.inboundMessage(seq);
                t.inboundMessageRead(seq, -1, -1);
            }
            super.onMessage(message);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            for (ClientStreamTracer t : tracers) {
                t.inboundTrailers(trailers);
                t.streamClosed(status);
            }
            super.onClose(status, trailers);
        }
    }
}
