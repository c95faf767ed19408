package dev.vecoptim.kernel;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The properties mostly run kernels before C2 compiles them (each flag combination is its own class).
 * Here a few kernels run long enough for C2 to compile their loops with the SIMD intrinsics, and every
 * call is still compared with the scalar reference: C2's code must give the same bits as the
 * interpreter's.
 */
class CompiledKernelsTest {
    private static final int CALLS = 30_000;
    private static final int LENGTH = 67;

    @ParameterizedTest(name = "{0}-bit")
    @MethodSource("dev.vecoptim.kernel.KernelCase#widths")
    void c2CompiledVectorKernelsEqualTheScalarReference(int bits) {
        SplittableRandom random = new SplittableRandom(bits);
        for (Update.Family<?, ?> family : Update.FAMILIES) {
            Update<?, ?> update = family.random(random);
            for (int call = 0; call < CALLS; call++) {
                try (Arena arena = Arena.ofConfined()) {
                    Buffers scalar = Buffers.nativeFilled(arena, LENGTH, update.stateBuffers(), call % 64, call);
                    Buffers vector = scalar.copy(arena);
                    update.apply(0, scalar, 2, 0, LENGTH);
                    update.apply(bits, vector, 2, 0, LENGTH);
                    vector.assertSameBits(update + " call " + call, scalar);
                }
            }
        }
    }
}
