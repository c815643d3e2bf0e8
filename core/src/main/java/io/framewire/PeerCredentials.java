package io.framewire;

/**
 * Who the peer process is, as the kernel reports it (AF_UNIX {@code SO_PEERCRED}). Only transports
 * with the {@code PEER_CREDENTIALS} capability provide them.
 *
 * @param pid the peer's process id
 * @param uid the peer's user id
 * @param gid the peer's primary group id
 */
public record PeerCredentials(long pid, long uid, long gid) {}
