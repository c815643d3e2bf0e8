package io.framewire.examples;

import io.framewire.CallOptions;
import io.framewire.Client;
import io.framewire.ClientCall;
import io.framewire.Gap;
import io.framewire.Message;
import io.framewire.Subscription;
import io.framewire.Codec;
import io.framewire.MethodDescriptor;
import io.framewire.Response;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.Status;
import io.framewire.StatusException;
import io.framewire.protocol.Metadata;
import io.framewire.protocol.StatusCode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The README's first command: a server on the embedded default address (TCP loopback, an ephemeral
 * port) serving an echo service and a key-value service, and a client calling them, including a call
 * that misses its deadline and one that fails, a streaming call, and a subscription to the key-value
 * store's change events, printing what happened.
 *
 * <p>Run with another address as the first argument, e.g. {@code inproc://demo},
 * {@code tcp://127.0.0.1:7000} or {@code unix:///tmp/framewire-demo.sock}.
 */
public final class Demo {
    static final String DEFAULT_ADDRESS = "tcp://127.0.0.1:0";

    static final MethodDescriptor<String, String> SAY = MethodDescriptor.unary("demo.Echo/Say", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> SLOW = MethodDescriptor.unary("demo.Echo/Slow", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> PUT = MethodDescriptor.unary("demo.KeyValue/Put", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> GET = MethodDescriptor.unary("demo.KeyValue/Get", Codec.utf8(), Codec.utf8());
    static final MethodDescriptor<String, String> SCAN = MethodDescriptor.serverStreaming("demo.KeyValue/Scan", Codec.utf8(), Codec.utf8());

    private Demo() {}

    public static void main(String[] args) throws Exception {
        String address = args.length > 0 ? args[0] : DEFAULT_ADDRESS;
        AtomicBoolean slowCallSawCancel = new AtomicBoolean();
        CountDownLatch slowCallEnded = new CountDownLatch(1);

        Service echo = Service.builder("demo.Echo")
                .unary(SAY, (text, ctx) -> "echo: " + text)
                .unary(SLOW, (millis, ctx) -> {
                    // Works for as long as asked, unless the caller stops waiting first.
                    CountDownLatch cancelled = new CountDownLatch(1);
                    ctx.onCancel(cancelled::countDown);
                    boolean wasCancelled = cancelled.await(Long.parseLong(millis), TimeUnit.MILLISECONDS);
                    slowCallSawCancel.set(wasCancelled);
                    slowCallEnded.countDown();
                    return "done after " + millis + " ms";
                })
                .build();

        Map<String, String> store = new java.util.concurrent.ConcurrentSkipListMap<>();
        AtomicReference<Server> self = new AtomicReference<>();
        Service kv = Service.builder("demo.KeyValue")
                .unary(PUT, (entry, ctx) -> {
                    int eq = entry.indexOf('=');
                    if (eq <= 0) {
                        throw Status.of(StatusCode.INVALID_ARGUMENT, "expected key=value, got '" + entry + "'").asException();
                    }
                    String key = entry.substring(0, eq);
                    String previous = store.put(key, entry.substring(eq + 1));
                    ctx.setTrailers(Metadata.builder().put("replaced", String.valueOf(previous != null)).build());
                    // Code inside the server publishes through its in-process client.
                    self.get().localClient().publish("kv.changed." + key, entry.getBytes(StandardCharsets.UTF_8));
                    return "stored";
                })
                .serverStreaming(SCAN, (prefix, call) -> {
                    for (Map.Entry<String, String> e : store.entrySet()) {
                        if (e.getKey().startsWith(prefix)) {
                            call.send(e.getKey() + "=" + e.getValue());
                        }
                    }
                })
                .unary(GET, (key, ctx) -> {
                    String value = store.get(key);
                    if (value == null) {
                        throw Status.of(StatusCode.NOT_FOUND, "no key '" + key + "'").asException();
                    }
                    return value;
                })
                .build();

        Server server = Server.builder().listen(address).service(echo).service(kv).build().start();
        self.set(server);
        String bound = server.address().toString();
        System.out.println("Framewire demo");
        System.out.println("  server listening on " + bound + " with demo.Echo and demo.KeyValue");

        try (Client client = Client.connect(bound)) {
            System.out.printf("  client connected; ping round trip %.3f ms%n", client.ping().toNanos() / 1e6);

            show("Echo/Say(\"hello\")", () -> quote(client.call(SAY, "hello")));
            Subscription changes = client.subscribe("kv.changed.*");
            show("KeyValue/Put(\"color=blue\")", () -> {
                Response<String> r = client.exchange(PUT, "color=blue", CallOptions.DEFAULT);
                return quote(r.message()) + "  trailers " + r.trailers();
            });
            show("KeyValue/Get(\"color\")", () -> quote(client.call(GET, "color")));
            show("subscription kv.changed.* got", () -> switch (changes.next(Duration.ofSeconds(5)).orElseThrow()) {
                case Message m -> m.topic() + " #" + m.sequence() + " \"" + m.text() + "\"";
                case Gap g -> "a gap: " + g;
            });
            client.call(PUT, "colour=green");
            client.call(PUT, "size=large");
            show("KeyValue/Scan(\"\") streaming", () -> {
                List<String> rows = new ArrayList<>();
                try (ClientCall<String, String> call = client.newCall(SCAN, CallOptions.DEFAULT)) {
                    call.sendLast("");
                    call.responses().forEach(rows::add);
                }
                return rows.toString();
            });
            show("KeyValue/Get(\"missing\")   [an error]", () -> quote(client.call(GET, "missing")));
            show("KeyValue/Put(\"oops\")      [an error]", () -> quote(client.call(PUT, "oops")));
            show("Echo/Slow(500 ms) with a 100 ms deadline", () ->
                    quote(client.call(SLOW, "500", CallOptions.DEFAULT.withTimeout(Duration.ofMillis(100)))));
            slowCallEnded.await(5, TimeUnit.SECONDS);
            System.out.println("    the server's handler saw the cancellation: " + slowCallSawCancel.get());

            show("100 concurrent Echo/Say calls on virtual threads", () -> {
                try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Future<String>> replies = new ArrayList<>();
                    for (int i = 0; i < 100; i++) {
                        String text = "call-" + i;
                        replies.add(pool.submit(() -> client.call(SAY, text)));
                    }
                    int ok = 0;
                    for (int i = 0; i < replies.size(); i++) {
                        if (replies.get(i).get().equals("echo: call-" + i)) {
                            ok++;
                        }
                    }
                    return ok + " of 100 correct";
                }
            });
            show("Echo/Say async", () -> quote(client.callAsync(SAY, "later").get(5, TimeUnit.SECONDS)));
        } finally {
            server.close();
            System.out.println("  server shut down");
        }
    }

    @FunctionalInterface
    private interface Step {
        String run() throws Exception;
    }

    private static void show(String what, Step step) {
        long t0 = System.nanoTime();
        String outcome;
        try {
            outcome = "-> " + step.run();
        } catch (StatusException e) {
            outcome = "-> failed with " + e.status();
        } catch (Exception e) {
            outcome = "-> failed: " + e;
        }
        System.out.printf("  %-48s %s   (%.1f ms)%n", what, outcome, (System.nanoTime() - t0) / 1e6);
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
