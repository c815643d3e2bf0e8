package io.framewire.protocol;

/** Version negotiation and HELLO construction ({@code PROTOCOL.md} section 2). */
public final class Handshake {
    private Handshake() {}

    /** The HELLO a client sends: every version this implementation speaks. */
    public static Frame.Hello clientHello(Settings settings) {
        return new Frame.Hello(FrameLayout.MIN_SUPPORTED_VERSION, FrameLayout.MAX_SUPPORTED_VERSION, settings);
    }

    /** The HELLO a server answers with: the chosen version only. */
    public static Frame.Hello serverHello(int version, Settings settings) {
        return new Frame.Hello(version, version, settings);
    }

    /**
     * Chooses the highest version both sides speak, given the client's range.
     *
     * @throws ProtocolException {@link ErrorCode#UNSUPPORTED_VERSION}, naming both ranges, if there is none
     */
    public static int chooseVersion(Frame.Hello clientHello) {
        int high = Math.min(clientHello.maxVersion(), FrameLayout.MAX_SUPPORTED_VERSION);
        int low = Math.max(clientHello.minVersion(), FrameLayout.MIN_SUPPORTED_VERSION);
        if (high < low) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION, "no common protocol version: the client speaks "
                    + range(clientHello) + ", this server speaks " + FrameLayout.MIN_SUPPORTED_VERSION + ".."
                    + FrameLayout.MAX_SUPPORTED_VERSION);
        }
        return high;
    }

    /**
     * Checks a server's HELLO against what this client offered, returning the version in use.
     *
     * @throws ProtocolException {@link ErrorCode#UNSUPPORTED_VERSION} if the server chose a version the client does not speak
     */
    public static int acceptServerHello(Frame.Hello serverHello) {
        int v = serverHello.maxVersion();
        if (serverHello.minVersion() != v || v < FrameLayout.MIN_SUPPORTED_VERSION || v > FrameLayout.MAX_SUPPORTED_VERSION) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION, "the server answered with version "
                    + range(serverHello) + ", this client speaks " + FrameLayout.MIN_SUPPORTED_VERSION + ".."
                    + FrameLayout.MAX_SUPPORTED_VERSION);
        }
        return v;
    }

    private static String range(Frame.Hello h) {
        return h.minVersion() + ".." + h.maxVersion();
    }
}
