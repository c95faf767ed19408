package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the processes agree on, in jobs of threads: the first failure, whole characters of its message, its kind. */
class AgreementTest {

    @Test
    void theFirstFailureIsThrownOnEveryProcessItsMessageCutBetweenCharacters() {
        // 3,000 two-byte characters: 4,095 bytes of message fit, so 2,047 characters, not half of the 2,048th.
        String long2ByteMessage = "é".repeat(3000);
        List<String> messages = ThreadedJob.run(3, world -> {
            Agreement agreement = new Agreement(world.communicator(), Arena.ofAuto());
            RuntimeException mine = world.rank() == 0 ? null : new IllegalStateException(world.rank() == 1
                    ? long2ByteMessage : "second");
            return assertThrows(IllegalStateException.class, () -> agreement.ready(mine, 7)).getMessage();
        });
        assertEquals(Collections.nCopies(3, "process 1 of 3: " + "é".repeat(2047)), messages);
    }

    @Test
    void aFilesFailureKeepsItsKind() {
        List<String> messages = ThreadedJob.run(2, world -> {
            Agreement agreement = new Agreement(world.communicator(), Arena.ofAuto());
            Exception mine = world.rank() == 1 ? new CheckpointException("damaged") : null;
            return assertThrows(CheckpointException.class, () -> agreement.done(mine)).getMessage();
        });
        assertEquals(List.of("process 1 of 2: damaged", "process 1 of 2: damaged"), messages);
        List<String> ioMessages = ThreadedJob.run(2, world -> {
            Agreement agreement = new Agreement(world.communicator(), Arena.ofAuto());
            Exception mine = world.rank() == 0 ? new IOException("disk full") : null;
            IOException thrown = assertThrows(IOException.class, () -> agreement.done(mine));
            return thrown.getClass().getSimpleName() + ": " + thrown.getMessage();
        });
        assertEquals(List.of("IOException: process 0 of 2: disk full", "IOException: process 0 of 2: disk full"),
                ioMessages);
    }

    @Test
    void differentFingerprintsAreRefusedNamingTheProcessesThatDiffer() {
        List<String> messages = ThreadedJob.run(3, world -> {
            Agreement agreement = new Agreement(world.communicator(), Arena.ofAuto());
            return assertThrows(IllegalStateException.class, () -> agreement.ready(null, world.rank() == 2 ? 8 : 7))
                    .getMessage();
        });
        assertEquals(Collections.nCopies(3, "the processes' sharded optimizers differ (in their groups, the groups'"
                + " optimizers or sizes, or their step counts): process [2] from process 0; every process must build"
                + " the same one and step it as often; nothing was changed"), messages);
    }
}
