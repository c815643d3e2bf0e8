package io.framewire.transport.unix;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.framewire.Client;
import io.framewire.Codec;
import io.framewire.Message;
import io.framewire.MethodDescriptor;
import io.framewire.PeerCredentialsPolicy;
import io.framewire.Server;
import io.framewire.Service;
import io.framewire.Subscription;
import io.framewire.protocol.Metadata;
import io.framewire.testing.LeakCheckExtension;
import io.framewire.testing.LogCapture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two processes over a socket file: the kernel's word on who calls (pid, uid, gid) as the server sees
 * it, the authorization hook refusing another user, and calls and publish/subscribe between JVMs.
 */
@ExtendWith(LeakCheckExtension.class)
@Timeout(60)
class UnixProcessesTest {

    @RegisterExtension
    static final SocketDirectory SOCKETS = new SocketDirectory();

    private static final Duration CHILD_WAIT = Duration.ofSeconds(30);
    private static final MethodDescriptor<String, String> ROOT_ONLY =
            MethodDescriptor.unary("test.Who/RootOnly", Codec.utf8(), Codec.utf8());

    @AfterAll
    static void removeDirectories() throws IOException {
        SOCKETS.delete();
        ChildJvm.deleteCopiedClasspath();
    }

    @Test
    void theServerSeesTheCallingProcesssPidUidAndGid() throws Exception {
        String address = SOCKETS.newAddress();
        try (Server server = Server.builder().listen(address).service(UnixChild.who()).build().start();
             ChildJvm child = ChildJvm.start("call", address, UnixChild.WHO.fullName())) {
            assertEquals("OK " + child.pid() + " " + ChildJvm.uid() + " " + ChildJvm.gid(), child.nextLine(CHILD_WAIT));
        }
    }

    /**
     * A group-shared service: socket file 0660, group nogroup; the client runs as nobody:nogroup, so the file
     * lets it connect, and the policy decides per method: "Me" for root and nobody, the rest root only.
     */
    @Test
    void aPolicyRefusesAnotherUserAndLogsItsPidAndUidWhileAllowingWhatItMay() throws Exception {
        String address = SOCKETS.newAddress();
        Service svc = Service.builder("test.Who")
                .unary(UnixChild.WHO, (s, ctx) -> {
                    var c = ctx.peer().credentials().orElseThrow();
                    return c.pid() + " " + c.uid() + " " + c.gid();
                })
                .unary(ROOT_ONLY, (s, ctx) -> "root business")
                .build();
        PeerCredentialsPolicy policy = PeerCredentialsPolicy.builder()
                .allowUids(0)
                .forMethod(UnixChild.WHO.fullName(), Set.of(0L, ChildJvm.NOBODY_UID), Set.of())
                .build();
        UnixOptions shared = UnixOptions.defaults().withFileMode(0660).withGroup("nogroup");
        try (LogCapture log = new LogCapture();
             Server server = Server.builder().listen(address, shared).service(svc).interceptor(policy).build().start();
             ChildJvm child = ChildJvm.startAsNobody("call", address, UnixChild.WHO.fullName(), ROOT_ONLY.fullName())) {
            assertEquals("OK " + child.pid() + " " + ChildJvm.NOBODY_UID + " " + ChildJvm.NOGROUP_GID, child.nextLine(CHILD_WAIT),
                    "the server saw the child's pid, uid and gid");
            String refused = child.nextLine(CHILD_WAIT);
            assertEquals("FAIL PERMISSION_DENIED uid " + ChildJvm.NOBODY_UID + " (gid " + ChildJvm.NOGROUP_GID + ") may not call "
                    + ROOT_ONLY.fullName(), refused);
            await().atMost(Duration.ofSeconds(5)).until(() -> log.anyContains("refused " + ROOT_ONLY.fullName() + " from pid "
                    + child.pid() + " uid " + ChildJvm.NOBODY_UID));
        }
    }

    @Test
    void callsAndPubSubWorkBetweenTwoProcessesOverASocketFile() throws Exception {
        Path path = SOCKETS.newPath();
        int count = 200;
        try (ChildJvm child = ChildJvm.start("serve", "unix://" + path, "600")) {
            assertEquals("READY", child.nextLine(CHILD_WAIT));
            try (Client client = Client.connect("unix://" + path)) {
                assertEquals("across", client.call(UnixChild.ECHO, "across"));
                assertEquals(ProcessHandle.current().pid() + " " + ChildJvm.uid() + " " + ChildJvm.gid(),
                        client.call(UnixChild.WHO, "x"), "the child's server sees this process");
                // The child relays every to-child.X back as from-child.X: a round trip through both brokers' ends.
                try (Subscription back = client.subscribe("from-child.>")) {
                    for (int i = 0; i < count; i++) {
                        client.publishAcked("to-child.n" + i, ("msg " + i).getBytes(StandardCharsets.UTF_8), Metadata.EMPTY)
                                .get(10, TimeUnit.SECONDS);
                    }
                    for (int i = 0; i < count; i++) {
                        Message m = assertInstanceOf(Message.class, back.next(Duration.ofSeconds(10)).orElseThrow(
                                () -> new AssertionError("nothing came back from the child")));
                        assertEquals("from-child.n" + i, m.topic());
                        assertEquals("msg " + i, m.text());
                        assertEquals(i + 1, m.sequence());
                    }
                }
            }
            child.process().getOutputStream().close();
            assertEquals("CLOSED", child.nextLine(CHILD_WAIT));
            assertTrue(child.process().waitFor(10, TimeUnit.SECONDS));
            assertEquals(0, child.process().exitValue(), "stderr: " + child.errors());
        }
        assertEquals(List.of(), SOCKETS.entries(), "the child's server removed its socket file");
    }
}
