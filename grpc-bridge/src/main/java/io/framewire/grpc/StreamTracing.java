package io.framewire.grpc;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.List;

/**
 * gRPC's {@link ClientStreamTracer}s for calls over a {@link FramewireChannel}, so that what hooks into them
 * (census and OpenTelemetry per-call metrics, tracing, grpc-java's own interop checks) sees Framewire calls
 * as it sees calls on gRPC's transports. The tracers come from {@link CallOptions#getStreamTracerFactories()}
 * (interceptors add them); each call gets one per factory, with the events a gRPC transport reports at the
 * call's level: created and outbound headers at start, {@code outboundMessage} and
 * {@code outboundMessageSent} per request, {@code inboundHeaders}, {@code inboundMessage} and
 * {@code inboundMessageRead} per response, {@code inboundTrailers} and {@code streamClosed} before the
 * listener hears the close. A message's size is its serialized size (Framewire does not compress, so wire
 * and uncompressed sizes are the same; the frame's header is not counted, as gRPC's 5-byte message
 * prefix is not), reported through {@code outboundWireSize}, {@code outboundUncompressedSize},
 * {@code inboundWireSize}, {@code inboundUncompressedSize} and the sizes of {@code outboundMessageSent}
 * and {@code inboundMessageRead}; -1 where a call is not a {@link FramewireClientCall}.
 *
 * <p>Threads: the tracers are called on the threads that call the call's methods and its listener; a
 * call with no tracer factories is not wrapped at all.
 */
final class StreamTracing {

    private StreamTracing() {}

    static <ReqT, RespT> ClientCall<ReqT, RespT> traced(FramewireClientCall<ReqT, RespT> call, CallOptions options) {
        List<ClientStreamTracer.Factory> factories = options.getStreamTracerFactories();
        return factories.isEmpty() ? call : new TracedCall<>(call, options, factories);
    }

    private static final class TracedCall<ReqT, RespT> extends SimpleForwardingClientCall<ReqT, RespT> {
        private final FramewireClientCall<ReqT, RespT> call;
        private final CallOptions options;
        private final List<ClientStreamTracer.Factory> factories;
        private volatile ClientStreamTracer[] tracers = new ClientStreamTracer[0];
        private int sent;

        TracedCall(FramewireClientCall<ReqT, RespT> call, CallOptions options, List<ClientStreamTracer.Factory> factories) {
            super(call);
            this.call = call;
            this.options = options;
            this.factories = factories;
        }

        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
            ClientStreamTracer.StreamInfo info = ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(options).build();
            ClientStreamTracer[] created = new ClientStreamTracer[factories.size()];
            for (int i = 0; i < created.length; i++) {
                created[i] = factories.get(i).newClientStreamTracer(info, headers);
                created[i].streamCreated(Attributes.EMPTY, headers);
            }
            tracers = created;
            super.start(new TracedListener<>(listener, created, call), headers);
            for (ClientStreamTracer t : created) {
                t.outboundHeaders();
            }
        }

        @Override
        public void sendMessage(ReqT message) {
            int seq = sent++; // ClientCall's methods are not called concurrently (its contract)
            ClientStreamTracer[] ts = tracers;
            for (ClientStreamTracer t : ts) {
                t.outboundMessage(seq);
            }
            super.sendMessage(message);
            int size = call.lastSentSize();
            for (ClientStreamTracer t : ts) {
                if (size >= 0) {
                    t.outboundWireSize(size);
                    t.outboundUncompressedSize(size);
                }
                t.outboundMessageSent(seq, size, size);
            }
        }
    }

    private static final class TracedListener<RespT> extends SimpleForwardingClientCallListener<RespT> {
        private final ClientStreamTracer[] tracers;
        private final FramewireClientCall<?, RespT> call;
        private int received;

        TracedListener(ClientCall.Listener<RespT> delegate, ClientStreamTracer[] tracers, FramewireClientCall<?, RespT> call) {
            super(delegate);
            this.tracers = tracers;
            this.call = call;
        }

        @Override
        public void onHeaders(Metadata headers) {
            for (ClientStreamTracer t : tracers) {
                t.inboundHeaders(headers);
            }
            super.onHeaders(headers);
        }

        @Override
        public void onMessage(RespT message) {
            int seq = received++; // listener events are serialised
            int size = call.deliveringSize();
            for (ClientStreamTracer t : tracers) {
                t.inboundMessage(seq);
                if (size >= 0) {
                    t.inboundWireSize(size);
                    t.inboundUncompressedSize(size);
                }
                t.inboundMessageRead(seq, size, size);
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
