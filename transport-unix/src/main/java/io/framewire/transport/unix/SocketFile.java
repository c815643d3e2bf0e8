package io.framewire.transport.unix;

import java.io.IOException;
import java.net.BindException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Objects;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.ConnectionRefusedSocketException;

/**
 * The socket file of one listener on a {@code unix:///path.sock} address: what is checked before
 * binding, how the file gets its mode before anyone can connect, and its removal when the listener
 * closes.
 *
 * <h2>Before binding</h2>
 * junixsocket's bind silently deletes whatever is at the path (a regular file, another server's live
 * socket), so nothing is bound there until the path has been looked at: a regular file, a directory,
 * a symbolic link or any other non-socket is never removed (binding fails naming it); a socket with a
 * server behind it (a probe connection succeeds) is "address in use"; a stale socket (the probe is
 * refused) is replaced. The parent directory must exist and be writable.
 *
 * <h2>Mode before the first connection</h2>
 * bind(2) creates the file with a wide mode (0666 less the umask), and the kernel queues connections
 * from the moment the socket listens, so a chmod after binding on the final path leaves a window in
 * which anyone may connect. Instead the socket is bound in a private directory (mode 0700, only this
 * user can reach into it) created next to the final path, in the same directory so that a rename
 * stays on one filesystem and is atomic; its mode and group are set there; then it is renamed onto
 * the final path ({@code ATOMIC_MOVE}, replacing a stale socket in one step). At no moment does a
 * file at the final path have another mode.
 *
 * <p>The private directory ({@code .NAME.fw} beside {@code NAME}) then stays while the listener
 * lives, holding a second hard link ({@code s}) to the same socket: junixsocket checks on every
 * accept that the path it bound still names its socket's inode, and closes the listener otherwise.
 * The directory's fixed name also keeps two Framewire servers from binding one path at once.
 *
 * <h2>Removal</h2>
 * {@link #remove} deletes the final path only if it still names this listener's socket (same inode),
 * so a successor's socket is never deleted, then the private directory. A server killed with SIGKILL
 * leaves both behind, stale; the next bind replaces them.
 *
 * <p>Not thread-safe; its listener calls {@link #remove} once.
 */
final class SocketFile {
    /** The name of the socket's second link inside the private directory. */
    private static final String PRIVATE_NAME = "s";
    /** How long the probe of an existing socket waits for a server with a full backlog. */
    private static final int PROBE_TIMEOUT_MILLIS = 1000;

    private final Path path;
    private final Path privateDir;
    private final Path privateLink;
    private final Object fileKey;

    private SocketFile(Path path, Path privateDir, Path privateLink, Object fileKey) {
        this.path = path;
        this.privateDir = privateDir;
        this.privateLink = privateLink;
        this.fileKey = fileKey;
    }

    /** What a path names, as far as binding and connecting care. */
    enum Kind {
        ABSENT("nothing"),
        SOCKET("a socket"),
        REGULAR("a regular file"),
        DIRECTORY("a directory"),
        SYMLINK("a symbolic link"),
        OTHER("a special file (not a socket)");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        /** What {@code p} is; {@link #ABSENT} if nothing is there. */
        static Kind of(Path p, LinkOption... options) throws IOException {
            try {
                int type = (Integer) Files.getAttribute(p, "unix:mode", options) & 0170000;
                return switch (type) {
                    case 0140000 -> SOCKET;
                    case 0100000 -> REGULAR;
                    case 0040000 -> DIRECTORY;
                    case 0120000 -> SYMLINK;
                    default -> OTHER;
                };
            } catch (NoSuchFileException e) {
                return ABSENT;
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                // No "unix" attribute view on this platform: a socket is one of the "other" kinds.
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, options);
                    return a.isSymbolicLink() ? SYMLINK : a.isDirectory() ? DIRECTORY : a.isRegularFile() ? REGULAR : SOCKET;
                } catch (NoSuchFileException absent) {
                    return ABSENT;
                }
            }
        }

        @Override
        public String toString() {
            return description;
        }
    }

    /**
     * Binds {@code channel} so that it listens on {@code path} with the mode and group of {@code options}.
     * On failure nothing this call created is left behind; the caller closes the channel.
     *
     * @throws IOException naming the path and the reason: {@link BindException} if something is in the
     *         way or a server listens there, {@link NoSuchFileException} or {@link AccessDeniedException}
     *         for the directory, {@link SocketException} for a path that is too long
     */
    static SocketFile bind(AFUNIXServerSocketChannel channel, Path path, UnixOptions options) throws IOException {
        try {
            return bindChecked(channel, path, options);
        } catch (AccessDeniedException e) {
            throw e.getFile() == null ? e : withCause(new AccessDeniedException(null, null, "cannot bind " + path + ": " + e.getMessage()), e);
        } catch (FileSystemException e) {
            // The JDK's own exceptions name only the file; ours (no file) already say everything.
            throw e.getFile() == null ? e : withCause(new FileSystemException(null, null, "cannot bind " + path + ": " + e.getMessage()), e);
        }
    }

    private static <E extends Exception> E withCause(E e, Throwable cause) {
        e.initCause(cause);
        return e;
    }

    private static SocketFile bindChecked(AFUNIXServerSocketChannel channel, Path path, UnixOptions options) throws IOException {
        Path parent = Objects.requireNonNull(path.getParent(), "an absolute path has a parent");
        Path privateDir = parent.resolve("." + path.getFileName() + ".fw");
        Path privateLink = privateDir.resolve(PRIVATE_NAME);
        UnixTransportProvider.checkLength(privateLink, "cannot bind " + path + ": its private socket path " + privateLink);
        checkDirectory(path, parent);
        checkPath(path);
        createPrivateDir(path, privateDir, privateLink);
        boolean renamed = false;
        try {
            try {
                channel.bind(AFUNIXSocketAddress.of(privateLink), options.backlog());
            } catch (SocketException e) {
                throw new BindException("cannot bind " + path + ": " + e.getMessage());
            }
            // Nobody but this user can reach the socket yet: its directory is 0700.
            if (options.group() != null) {
                setGroup(path, privateLink, options.group());
            }
            Files.setPosixFilePermissions(privateLink, options.filePermissions());
            Object key = fileKey(privateLink);
            // Something may have appeared at the path since it was checked: look again, as late as possible.
            checkPath(path);
            // The socket gets its final name with its final mode in one step (replacing a stale socket).
            Files.move(privateLink, path, StandardCopyOption.ATOMIC_MOVE);
            renamed = true;
            // ... and keeps its bound name too, or junixsocket's accept would close the listener.
            Files.createLink(privateLink, path);
            return new SocketFile(path, privateDir, privateLink, key);
        } catch (IOException | RuntimeException e) {
            if (renamed) {
                Files.deleteIfExists(path);
            }
            Files.deleteIfExists(privateLink);
            Files.deleteIfExists(privateDir);
            throw e;
        }
    }

    /** Removes the socket file if it is still this listener's, and the private directory. Idempotent. */
    void remove() throws IOException {
        try {
            // Only this listener's own inode: a successor's socket at the path stays.
            if (Kind.of(path, LinkOption.NOFOLLOW_LINKS) == Kind.SOCKET && fileKey.equals(fileKey(path))) {
                Files.delete(path);
            }
        } catch (NoSuchFileException e) {
            // already gone
        } finally {
            Files.deleteIfExists(privateLink);
            Files.deleteIfExists(privateDir);
        }
    }

    Path path() {
        return path;
    }

    private static Object fileKey(Path p) throws IOException {
        return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /** The directory must exist and let this process create and remove files in it. */
    private static void checkDirectory(Path path, Path parent) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(parent, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(null, null, "cannot bind " + path + ": the directory " + parent + " does not exist");
        } catch (AccessDeniedException e) {
            throw new AccessDeniedException(null, null, "cannot bind " + path + ": permission denied to look into "
                    + parent + " (a directory on the way is not searchable)");
        } catch (FileSystemException e) {
            throw new NoSuchFileException(null, null, "cannot bind " + path + ": cannot look into " + parent + ": "
                    + e.getReason());
        }
        if (!a.isDirectory()) {
            throw new FileSystemException(null, null, "cannot bind " + path + ": " + parent + " is not a directory");
        }
        if (!Files.isWritable(parent) || !Files.isExecutable(parent)) {
            throw new AccessDeniedException(null, null, "cannot bind " + path + ": permission denied to create files in "
                    + parent + describeOwnerAndMode(parent));
        }
    }

    private static String describeOwnerAndMode(Path dir) {
        try {
            PosixFileAttributeView v = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
            var a = v.readAttributes();
            return " (owner " + a.owner().getName() + ", group " + a.group().getName() + ", mode "
                    + PosixFilePermissions.toString(a.permissions()) + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Checks that binding may put a socket at the path: nothing is there, or a stale socket.
     *
     * @throws BindException if a non-socket is there, or a socket with a live (or unknowable) server
     */
    private static void checkPath(Path path) throws IOException {
        Kind kind = Kind.of(path, LinkOption.NOFOLLOW_LINKS);
        if (kind == Kind.ABSENT) {
            return;
        }
        if (kind != Kind.SOCKET) {
            throw new BindException("cannot bind " + path + ": " + kind + " is in the way; Framewire replaces only a stale "
                    + "socket file, never anything else (remove it, or choose another path)");
        }
        if (probe(path)) {
            throw new BindException("cannot bind " + path + ": address in use (a server is listening on this socket file)");
        }
    }

    /**
     * Whether a server accepts connections on the socket at {@code path}: true if a probe connection
     * succeeds (or waits in a full backlog), false if it is refused (a stale socket).
     *
     * @throws BindException if the probe cannot tell, e.g. for lack of permission
     */
    private static boolean probe(Path path) throws IOException {
        try {
            UnixTransportProvider.openChannel(AFUNIXSocketAddress.of(path), PROBE_TIMEOUT_MILLIS).close();
            return true;
        } catch (ConnectionRefusedSocketException e) {
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        } catch (IOException e) {
            if (Kind.of(path, LinkOption.NOFOLLOW_LINKS) == Kind.ABSENT) {
                return false; // removed meanwhile: nothing to replace, and binding will create it
            }
            throw new BindException("cannot bind " + path + ": a socket file is there, and whether a server listens on it "
                    + "cannot be told (" + (Files.isWritable(path) ? e.getMessage() : "no permission to connect to it")
                    + "); remove it if it is stale");
        }
    }

    /**
     * Creates the private directory, mode 0700. One left by a server that was killed (its socket stale)
     * is removed first; one whose socket is live belongs to a running server.
     */
    private static void createPrivateDir(Path path, Path dir, Path link) throws IOException {
        for (int attempt = 0; ; attempt++) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                // The umask may have taken bits the owner needs; the mode is exactly 0700 either way.
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                return;
            } catch (FileAlreadyExistsException e) {
                if (attempt > 0) {
                    throw new BindException("cannot bind " + path + ": another server is binding it right now (" + dir + ")");
                }
            }
            Kind kind = Kind.of(dir, LinkOption.NOFOLLOW_LINKS);
            if (kind != Kind.DIRECTORY) {
                throw new BindException("cannot bind " + path + ": " + kind + " is in the way at " + dir
                        + ", where Framewire keeps the socket's private directory; remove it");
            }
            Kind inside;
            try {
                inside = Kind.of(link, LinkOption.NOFOLLOW_LINKS);
            } catch (AccessDeniedException denied) {
                throw new AccessDeniedException(null, null, "cannot bind " + path + ": " + dir
                        + " (the socket's private directory, left by another server) belongs to another user");
            }
            if (inside == Kind.SOCKET && probe(link)) {
                throw new BindException("cannot bind " + path + ": address in use (a server listens on it; its socket "
                        + "file may have been removed, but its private directory " + dir + " holds the live socket)");
            }
            if (inside != Kind.ABSENT && inside != Kind.SOCKET) {
                throw new BindException("cannot bind " + path + ": " + link + " is " + inside + ", not a stale socket; "
                        + "remove " + dir);
            }
            // Left behind by a server that was killed: its socket is stale.
            Files.deleteIfExists(link);
            try {
                Files.delete(dir);
            } catch (DirectoryNotEmptyException notEmpty) {
                throw new BindException("cannot bind " + path + ": " + dir + " holds files Framewire did not put there; remove it");
            } catch (NoSuchFileException gone) {
                // removed by someone else meanwhile: try again
            }
        }
    }

    private static void setGroup(Path path, Path link, String group) throws IOException {
        GroupPrincipal principal;
        try {
            principal = link.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
        } catch (UserPrincipalNotFoundException e) {
            throw new IOException("cannot bind " + path + ": no group named '" + group + "'", e);
        }
        try {
            Files.getFileAttributeView(link, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(principal);
        } catch (FileSystemException e) {
            throw new AccessDeniedException(null, null, "cannot bind " + path + ": cannot give the socket file to group '"
                    + group + "' (" + e.getReason() + "; the server's user must be a member of the group)");
        }
    }
}
