package io.framewire.transport.unix;

import io.framewire.spi.TransportOptions;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Options of the AF_UNIX transport. Immutable; {@code with*} methods return a copy.
 *
 * <pre>{@code
 * // a service only its own user may call (the default: socket file mode 0600)
 * Server.builder().listen("unix:///run/app/app.sock")
 * // a service every member of group "app" may call
 * Server.builder().listen("unix:///run/app/app.sock", UnixOptions.defaults().withFileMode(0660).withGroup("app"))
 * }</pre>
 *
 * <p>The file options apply to socket-file addresses ({@code unix:///path.sock}) on the server side;
 * abstract addresses ({@code unix:@name}) have no file, and anyone in the network namespace may
 * connect to them (use {@link io.framewire.PeerCredentialsPolicy} to decide who may call).
 *
 * @param fileMode the permission bits of the socket file, as an octal number: {@code 0600} (the
 *        default: only the server's user may connect), {@code 0660} (its group too), {@code 0666}
 *        (everyone). Connecting needs write permission on the file. Only the bits {@code 0777}.
 *        The file has this mode before the first client can connect (see {@link UnixTransportProvider}).
 * @param group the group to give the socket file (for {@code 0660} services shared with a group), or
 *        {@code null} to keep the server process's own group. The server must be a member of the
 *        group (or root).
 * @param backlog connections the kernel queues before the server accepts them.
 * @param readerThreads which kind of thread reads each connection; {@link ReaderThreads#PLATFORM} by
 *        default, and on purpose (see {@link ReaderThreads}).
 */
public record UnixOptions(int fileMode, String group, int backlog, ReaderThreads readerThreads)
        implements TransportOptions {

    /** The kind of thread that blocks reading a connection (and runs a listener's accept loop). */
    public enum ReaderThreads {
        /**
         * Platform threads (the default). junixsocket serves a blocking read on a virtual thread through
         * poll jobs of its own (junixsocket issue 172): on the channels this transport uses, an idle
         * virtual reader busy-polls, so idle connections keep the CPUs busy (measured: 6 idle connections,
         * 2 CPUs, 3250-3450 ms of CPU in 2 s, against 40-90 ms with platform readers; see
         * {@link UnixTransportProvider}). A platform thread blocks in the kernel instead.
         */
        PLATFORM,
        /**
         * Virtual threads: idle connections busy-poll, as described under {@link #PLATFORM}. For
         * measurements, and for a junixsocket release that fixes it.
         */
        VIRTUAL
    }

    private static final UnixOptions DEFAULTS = new UnixOptions(0600, null, 1024, ReaderThreads.PLATFORM);

    public UnixOptions {
        if ((fileMode & ~0777) != 0) {
            throw new IllegalArgumentException("fileMode may only have the permission bits 0777, got 0"
                    + Integer.toOctalString(fileMode));
        }
        if (group != null && group.isBlank()) {
            throw new IllegalArgumentException("group must be a group name, or null for the process's own group");
        }
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be at least 1, got " + backlog);
        }
        Objects.requireNonNull(readerThreads, "readerThreads");
    }

    public static UnixOptions defaults() {
        return DEFAULTS;
    }

    public UnixOptions withFileMode(int v) {
        return new UnixOptions(v, group, backlog, readerThreads);
    }

    public UnixOptions withGroup(String v) {
        return new UnixOptions(fileMode, v, backlog, readerThreads);
    }

    public UnixOptions withBacklog(int v) {
        return new UnixOptions(fileMode, group, v, readerThreads);
    }

    public UnixOptions withReaderThreads(ReaderThreads v) {
        return new UnixOptions(fileMode, group, backlog, v);
    }

    /** {@link #fileMode()} as permissions, e.g. {@code 0660} as owner and group read and write. */
    public Set<PosixFilePermission> filePermissions() {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] byBit = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int bit = 0; bit < byBit.length; bit++) {
            if ((fileMode & (1 << bit)) != 0) {
                s.add(byBit[bit]);
            }
        }
        return s;
    }

    @Override
    public String toString() {
        return "UnixOptions[fileMode=0" + Integer.toOctalString(fileMode) + ", group=" + group + ", backlog=" + backlog
                + ", readerThreads=" + readerThreads + "]";
    }
}
