package io.framewire.transport.udp.multicast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Multicast pub/sub between processes: a network namespace of its own (multicast never leaves it, see
 * DEPENDENCIES.md), three receiver JVMs and one publisher JVM in it, each a {@link MulticastMember}
 * using the public {@code Client} on {@code udp://239.x.y.z:port}. Receivers drop a share of the data
 * datagrams they receive (a loss hook, since this kernel has no netem). Skipped, with the reason, where
 * the test is not root or {@code ip netns} does not work.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MulticastNamespaceTest {
    static final int N = 2000;
    static final int BIG_EVERY = 100;
    static final Pattern RESULT = Pattern.compile("RESULT delivered=(\\d+) lost=(\\d+) order=(\\S+) dropped=(\\d+) ms=(\\d+)");

    static String ns;

    @BeforeAll
    static void createNamespace() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to create a network namespace");
        ns = "fw-mcast-" + UUID.randomUUID().toString().substring(0, 8);
        String failure = run("ip", "netns", "add", ns);
        if (failure != null) {
            ns = null;
            assumeTrue(false, "cannot create a network namespace: " + failure);
        }
        for (String[] cmd : new String[][] {
                {"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"},
                {"ip", "netns", "exec", ns, "ip", "link", "set", "lo", "multicast", "on"},
                {"ip", "netns", "exec", ns, "ip", "route", "add", "224.0.0.0/4", "dev", "lo"}}) {
            String f = run(cmd);
            assertEquals(null, f, String.join(" ", cmd));
        }
    }

    @AfterAll
    static void deleteNamespace() throws Exception {
        if (ns != null) {
            run("ip", "netns", "del", ns);
        }
    }

    /** Runs a command; null if it succeeded, else its output. */
    static String run(String... cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out;
    }

    @Test
    void threeReceiversGetEveryMessageInOrderWhenLossIsRepaired() throws Exception {
        List<Matcher> results = runGroup("239.1.2.3", 5, true);
        for (Matcher m : results) {
            assertEquals("ok", m.group(3), m.group());
            assertEquals(N, Long.parseLong(m.group(1)), "every message, none lost: " + m.group());
            assertEquals(0, Long.parseLong(m.group(2)), m.group());
            assertTrue(Long.parseLong(m.group(4)) > 0, "the hook dropped datagrams, and they were repaired: " + m.group());
        }
    }

    @Test
    void withoutRepairEveryLossIsAGap() throws Exception {
        List<Matcher> results = runGroup("239.1.2.4", 5, false);
        for (Matcher m : results) {
            assertEquals("ok", m.group(3), m.group());
            long delivered = Long.parseLong(m.group(1));
            long lost = Long.parseLong(m.group(2));
            assertEquals(N, delivered + lost, "each message arrived or is in a gap: " + m.group());
            assertTrue(lost > 0, "5% of the datagrams were dropped: " + m.group());
        }
    }

    /**
     * A member sends the group spoofed, truncated, wrong-version, oversized-count and random datagrams
     * (and a spoofed heartbeat claiming a huge sequence number) copied from the real publisher's: the
     * receivers drop them all and still get every message in order.
     */
    @Test
    void hostileDatagramsOnTheGroupChangeNothing() throws Exception {
        List<Matcher> results = runGroup("239.1.2.5", 0, true, true);
        for (Matcher m : results) {
            assertEquals("ok", m.group(3), m.group());
            assertEquals(N, Long.parseLong(m.group(1)), m.group());
            assertEquals(0, Long.parseLong(m.group(2)), m.group());
        }
    }

    private List<Matcher> runGroup(String ip, int lossPercent, boolean repair) throws Exception {
        return runGroup(ip, lossPercent, repair, false);
    }

    private List<Matcher> runGroup(String ip, int lossPercent, boolean repair, boolean hostile) throws Exception {
        int port = 20000 + (int) (Math.random() * 20000);
        String group = "udp://" + ip + ":" + port;
        List<Member> members = new ArrayList<>();
        Member attacker = null;
        try {
            if (hostile) {
                attacker = startMain(HostileGroupMember.class.getName(), ip, Integer.toString(port));
                attacker.expect("READY", 20);
            }
            // The publisher first: each receiver then learns where its stream is by a SOLICIT when it
            // joins (the other way round, by the heartbeat the publisher sends when it opens).
            Member publisher = start("publish", group, Integer.toString(N), Integer.toString(BIG_EVERY),
                    Boolean.toString(repair));
            publisher.expect("READY", 20);
            for (int r = 0; r < 3; r++) {
                members.add(start("receive", group, Integer.toString(N), Integer.toString(lossPercent),
                        Boolean.toString(repair), Integer.toString(17 + r)));
            }
            for (Member m : members) {
                m.expect("READY", 20);
            }
            members.add(publisher);
            publisher.send("go");
            publisher.expect("PUBLISHED", 20);
            String call = publisher.expectPrefix("CALL", 10);
            assertTrue(call.startsWith("CALL UNIMPLEMENTED calls are not supported on a multicast group"), call);
            String stream = publisher.expectPrefix("STREAM", 10);
            assertTrue(stream.startsWith("STREAM UNIMPLEMENTED "), stream);
            System.out.println("[" + ns + "] " + call + " | " + stream);
            List<Matcher> results = new ArrayList<>();
            for (Member m : members.subList(0, 3)) {
                String line = m.expectPrefix("RESULT", 30);
                Matcher matcher = RESULT.matcher(line);
                assertTrue(matcher.matches(), line);
                results.add(matcher);
                System.out.println("[" + ns + (repair ? " repair" : " no repair") + "] " + matcher.group());
            }
            if (attacker != null) {
                System.out.println("[" + ns + " hostile] " + attacker.expectPrefix("SENT", 10));
                attacker.send("exit");
            }
            publisher.send("exit");
            for (Member m : members) {
                assertTrue(m.process.waitFor(10, TimeUnit.SECONDS), "member exits");
            }
            return results;
        } finally {
            for (Member m : members) {
                m.process.destroyForcibly();
            }
            if (attacker != null) {
                attacker.process.destroyForcibly();
            }
        }
    }

    private Member start(String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of(MulticastMember.class.getName()));
        all.addAll(List.of(args));
        return startMain(all.toArray(String[]::new));
    }

    private Member startMain(String... mainAndArgs) throws IOException {
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        String classPath = System.getProperty("java.class.path"); // members use the udp transport's own provider
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, javaCommand, "-Xmx256m",
                "-XX:TieredStopAtLevel=1", "-cp", classPath));
        cmd.addAll(List.of(mainAndArgs));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new Member(p);
    }

    /** A member JVM and the lines it prints. */
    static final class Member {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final Writer stdin;

        Member(Process process) {
            this.process = process;
            this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("EOF " + e);
                }
                lines.add("EOF");
            });
        }

        void send(String line) throws IOException {
            stdin.write(line + "\n");
            stdin.flush();
        }

        void expect(String line, int seconds) throws InterruptedException {
            assertEquals(line, expectPrefix(line, seconds));
        }

        String expectPrefix(String prefix, int seconds) throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (true) {
                String line = lines.poll(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new AssertionError("no '" + prefix + "' line within " + seconds + " s");
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
                if (line.startsWith("EOF")) {
                    throw new AssertionError("the member exited before printing '" + prefix + "'");
                }
            }
        }
    }
}
