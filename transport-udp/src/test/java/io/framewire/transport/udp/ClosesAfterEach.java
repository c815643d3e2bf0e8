package io.framewire.transport.udp;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** Tests that add what they start to {@link #open}: closed after each test, the last opened first. */
abstract class ClosesAfterEach {
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeWhatWasOpened() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }
}
