package dev.vecoptim.probe;

import dev.vecoptim.Adam;
import dev.vecoptim.RmsProp;
import dev.vecoptim.Schedulers;
import dev.vecoptim.Sgd;
import dev.vecoptim.VectorWidth;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Run in a JVM of its own by the fallback tests: reports the implementation the library chose and a
 * checksum of three optimizers' results, so that every way of starting the JVM can be compared with every
 * other. Uses only the public API, like a user's program.
 */
public final class Probe {
    private static final int N = 1001;

    private Probe() {
    }

    public static void main(String[] args) {
        System.out.println("vectorBits=" + Adam.builder().build().implementation().vectorBits());
        System.out.println("implementation=" + Adam.builder().build().implementation().description());
        System.out.println("checksum=" + checksum(VectorWidth.PREFERRED));
        try {
            Sgd.builder(0.1).vectorWidth(VectorWidth.BITS_256).build();
            System.out.println("width256=accepted");
        } catch (RuntimeException e) {
            System.out.println("width256=refused: " + e.getMessage());
        }
        // A rate that Java's Math.cos misses by an ulp, and the C library's cos does not (a recorded case).
        System.out.println("scheduleRate=" + Schedulers.cosineAnnealingWarmRestarts(0.2, 1, 3, 0.01, 3).lr(32));
    }

    /** A hash of every parameter and state bit after three steps of SGD, RMSProp and AdamW. */
    public static int checksum(VectorWidth width) {
        Sgd sgd = Sgd.builder(0.05).momentum(0.9).nesterov(true).weightDecay(1e-3).vectorWidth(width).build();
        RmsProp rms = RmsProp.builder().centered(true).momentum(0.5).vectorWidth(width).build();
        Adam adamW = Adam.adamWBuilder().amsgrad(true).vectorWidth(width).build();
        int hash = 1;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] b = new MemorySegment[5];
            for (int optimizer = 0; optimizer < 3; optimizer++) {
                for (int i = 0; i < b.length; i++) {
                    b[i] = arena.allocate(4L * N, 64);
                }
                for (int j = 0; j < N; j++) {
                    b[0].setAtIndex(ValueLayout.JAVA_FLOAT, j, (float) Math.sin(j));
                }
                for (int step = 1; step <= 3; step++) {
                    for (int j = 0; j < N; j++) {
                        b[1].setAtIndex(ValueLayout.JAVA_FLOAT, j, (float) Math.cos(j * step) * 1e-2f);
                    }
                    switch (optimizer) {
                        case 0 -> sgd.step(b[0], b[1], b[2], step);
                        case 1 -> rms.step(b[0], b[1], b[2], b[3], b[4], step);
                        default -> adamW.step(b[0], b[1], b[2], b[3], b[4], step);
                    }
                }
                for (MemorySegment buffer : b) {
                    for (int j = 0; j < N; j++) {
                        hash = 31 * hash + Float.floatToIntBits(buffer.getAtIndex(ValueLayout.JAVA_FLOAT, j));
                    }
                }
            }
        }
        return hash;
    }
}
