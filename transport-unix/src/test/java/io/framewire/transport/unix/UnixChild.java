package io.framewire.transport.unix;

import io.framewire.Address;
import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.Gap;
import io.framewire.MethodDescriptor;
import io.framewire.PeerCredentials;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.StatusException;
import io.framewire.Subscription;
import io.framewire.spi.Acceptor;
import io.framewire.spi.Connection;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * A Framewire process of its own, for the tests that need a second process (another pid, another
 * user, a SIGKILL). It reports on stdout, one line per result.
 *
 * <ul>
 *   <li>{@code serve <address> <octal file mode>}: serves {@link #ECHO} and {@link #WHO}, relays each
 *       message published to {@code to-child.X} back as {@code from-child.X}, prints {@code READY}, and
 *       runs until its stdin closes (then prints {@code CLOSED}) or it is killed.</li>
 *   <li>{@code call <address> <method>...}: calls each unary method (UTF-8 in and out) with "x" and prints
 *       {@code OK <reply>} or {@code FAIL <status code> <description>}.</li>
 *   <li>{@code connect <address>...} and {@code listen <address>...}: the transport SPI alone; prints
 *       {@code OK <address>} or {@code ERROR <exception class> <message>} for each address.</li>
 * </ul>
 */
public final class UnixChild {
    static final MethodDescriptor<String, String> ECHO = MethodDescriptor.unary("test.Echo/Echo", Codec.utf8(), Codec.utf8());
    /** Answers with the caller's kernel credentials as "pid uid gid". */
    static final MethodDescriptor<String, String> WHO = MethodDescriptor.unary("test.Who/Me", Codec.utf8(), Codec.utf8());

    private UnixChild() {}

    static Service services() {
        return Service.builder("test.Echo").unary(ECHO, (s, ctx) -> s).build();
    }

    static Service who() {
        return Service.builder("test.Who").unary(WHO, (s, ctx) -> {
            PeerCredentials c = ctx.peer().credentials().orElseThrow();
            return c.pid() + " " + c.uid() + " " + c.gid();
        }).build();
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "serve" -> serve(args[1], Integer.parseInt(args[2], 8));
            case "call" -> call(args);
            case "connect" -> {
                for (int i = 1; i < args.length; i++) {
                    connect(args[i]);
                }
            }
            case "listen" -> {
                for (int i = 1; i < args.length; i++) {
                    listen(args[i]);
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.flush();
    }

    private static void serve(String address, int mode) throws IOException {
        try (Server server = Server.builder().listen(address, UnixOptions.defaults().withFileMode(mode))
                .service(services()).service(who()).build().start()) {
            Client local = server.localClient();
            Subscription relay = local.subscribe("to-child.>", io.framewire.SubscribeOptions.DEFAULT,
                    io.framewire.Subscription.Listener.of(
                            m -> local.publish("from-child." + m.topic().substring("to-child.".length()), m.data()),
                            (Gap g) -> report("GAP " + g)));
            report("READY");
            InputStream in = System.in;
            while (in.read() >= 0) {
                // runs until the parent closes stdin
            }
            relay.close();
        }
        report("CLOSED");
    }

    private static void call(String[] args) {
        try (Client client = Client.builder(args[1]).connectTimeout(Duration.ofSeconds(10)).connect()) {
            for (int i = 2; i < args.length; i++) {
                MethodDescriptor<String, String> m = MethodDescriptor.unary(args[i], Codec.utf8(), Codec.utf8());
                try {
                    report("OK " + client.call(m, "x"));
                } catch (StatusException e) {
                    report("FAIL " + e.status().code() + " " + e.status().description());
                }
            }
        } catch (StatusException e) {
            report("FAIL " + e.status().code() + " " + e.status().description());
        }
    }

    private static void connect(String address) {
        UnixTransportProvider unix = new UnixTransportProvider();
        try (Connection c = unix.connect(Address.parse(address), UnixOptions.defaults(), Duration.ofSeconds(5))) {
            report("OK " + c.remoteAddress());
        } catch (IOException e) {
            report("ERROR " + e.getClass().getName() + " " + e.getMessage());
        }
    }

    private static void listen(String address) {
        UnixTransportProvider unix = new UnixTransportProvider();
        try (Acceptor a = unix.listen(Address.parse(address), UnixOptions.defaults())) {
            report("OK " + a.boundAddress());
        } catch (IOException e) {
            report("ERROR " + e.getClass().getName() + " " + e.getMessage());
        }
    }

    private static void report(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
