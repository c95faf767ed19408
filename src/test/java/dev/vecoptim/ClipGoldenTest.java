package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code torch.nn.utils.clip_grad_norm_} as PyTorch 1.13.1 and 2.6 computed it, recorded by
 * {@code src/test/python/make_clip_golden.py}: {@link Optimizer#clipGradNorm} and clipping before a step give
 * the same total norm and the same clipped gradients, bit for bit (any NaN equal to any NaN), on one thread and on
 * several, at the machine's vector width.
 */
class ClipGoldenTest {
    /** One recorded call: the gradients, max_norm, and what PyTorch returned and left. */
    record Case(double maxNorm, List<float[]> grads, float norm, List<float[]> clipped) {
    }

    static Stream<Arguments> recordings() {
        return Stream.of(Arguments.of("2.6", Semantics.PYTORCH_2), Arguments.of("1.13", Semantics.PYTORCH_1_13));
    }

    @ParameterizedTest
    @MethodSource("recordings")
    void clippingEqualsPyTorchsBitForBit(String version, Semantics semantics) throws IOException {
        List<Case> cases = read("/golden/clip-" + version + ".bin");
        int index = 0;
        for (Case recorded : cases) {
            for (int helpers : new int[] {0, 2}) {
                boolean beforeAStep = (index + helpers) % 2 == 0;
                String at = "PyTorch " + version + " case " + index + (helpers > 0 ? " on 3 threads" : "")
                        + (beforeAStep ? " before a step" : "");
                Optimizer.Builder builder = Optimizer.builder().helpers(ForkJoinPool.commonPool(), helpers)
                        .parallelThreshold(helpers > 0 ? 64 : 1 << 30);
                try (Arena arena = Arena.ofShared();
                     Optimizer optimizer = (beforeAStep ? builder.maxGradNorm(recorded.maxNorm()) : builder).build()) {
                    ParameterGroup group = optimizer.addGroup(Sgd.builder(0).semantics(semantics).build());
                    List<MemorySegment> grads = new ArrayList<>();
                    for (float[] grad : recorded.grads()) {
                        MemorySegment segment = arena.allocate(4L * Math.max(1, grad.length), 64)
                                .asSlice(0, 4L * grad.length);
                        MemorySegment.copy(grad, 0, segment, ValueLayout.JAVA_FLOAT, 0, grad.length);
                        group.add(arena.allocate(Math.max(4, segment.byteSize())).asSlice(0, segment.byteSize()),
                                segment);
                        grads.add(segment);
                    }
                    double norm = beforeAStep ? optimizer.step().gradNorm().orElseThrow()
                            : optimizer.clipGradNorm(recorded.maxNorm());
                    assertEquals(bits(recorded.norm()), bits((float) norm), at + ": the total norm " + norm
                            + ", PyTorch's " + recorded.norm());
                    for (int t = 0; t < grads.size(); t++) {
                        float[] got = grads.get(t).toArray(ValueLayout.JAVA_FLOAT);
                        for (int i = 0; i < got.length; i++) {
                            assertEquals(bits(recorded.clipped().get(t)[i]), bits(got[i]), at + ": tensor " + t
                                    + " element " + i);
                        }
                    }
                }
            }
            index++;
        }
    }

    /** A float's bits, every NaN as one. */
    private static int bits(float value) {
        return Float.floatToIntBits(value);
    }

    private static List<Case> read(String resource) throws IOException {
        try (InputStream stream = ClipGoldenTest.class.getResourceAsStream(resource)) {
            assertNotNull(stream, resource + " is not committed");
            ByteBuffer in = ByteBuffer.wrap(new DataInputStream(stream).readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[8];
            in.get(magic);
            assertEquals("VOCLIP01", new String(magic, java.nio.charset.StandardCharsets.US_ASCII));
            List<Case> cases = new ArrayList<>();
            for (int c = in.getInt(); c > 0; c--) {
                double maxNorm = in.getDouble();
                int tensors = Short.toUnsignedInt(in.getShort());
                List<float[]> grads = new ArrayList<>();
                for (int t = 0; t < tensors; t++) {
                    grads.add(floats(in, in.getInt()));
                }
                float norm = in.getFloat();
                List<float[]> clipped = new ArrayList<>();
                for (float[] grad : grads) {
                    clipped.add(floats(in, grad.length));
                }
                cases.add(new Case(maxNorm, grads, norm, clipped));
            }
            return cases;
        }
    }

    private static float[] floats(ByteBuffer in, int count) {
        float[] floats = new float[count];
        in.asFloatBuffer().get(floats);
        in.position(in.position() + 4 * count);
        return floats;
    }
}
