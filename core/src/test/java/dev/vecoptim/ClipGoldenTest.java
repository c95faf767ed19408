package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * several, at the machine's vector width; on float32 gradients, and on bfloat16, float16 and mixed ones wherever
 * that PyTorch clips them (1.13 refuses float16).
 */
class ClipGoldenTest {
    /** One recorded call: the gradients and their dtypes, max_norm, and what PyTorch returned and left. */
    record Case(double maxNorm, List<Dtype> dtypes, List<float[]> grads, float norm, List<float[]> clipped) {
    }

    static Stream<Arguments> recordings() {
        return Stream.of(Arguments.of("2.6", Semantics.PYTORCH_2), Arguments.of("1.13", Semantics.PYTORCH_1_13),
                Arguments.of("2.6-bfloat16", Semantics.PYTORCH_2), Arguments.of("2.6-float16", Semantics.PYTORCH_2),
                Arguments.of("2.6-mixed", Semantics.PYTORCH_2),
                Arguments.of("1.13-bfloat16", Semantics.PYTORCH_1_13),
                Arguments.of("1.13-mixed", Semantics.PYTORCH_1_13));
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
                    for (int t = 0; t < recorded.grads().size(); t++) {
                        float[] grad = recorded.grads().get(t);
                        Dtype dtype = recorded.dtypes().get(t);
                        long bytes = (long) dtype.bytes() * grad.length;
                        MemorySegment segment = arena.allocate(Math.max(4, bytes), 64).asSlice(0, bytes);
                        for (int i = 0; i < grad.length; i++) {
                            dtype.set(segment, i, grad[i]);
                        }
                        group.add(dtype, arena.allocate(Math.max(4, bytes)).asSlice(0, bytes), segment);
                        grads.add(segment);
                    }
                    double norm = beforeAStep ? optimizer.step().gradNorm().orElseThrow()
                            : optimizer.clipGradNorm(recorded.maxNorm());
                    assertEquals(bits(recorded.norm()), bits((float) norm), at + ": the total norm " + norm
                            + ", PyTorch's " + recorded.norm());
                    for (int t = 0; t < grads.size(); t++) {
                        Dtype dtype = recorded.dtypes().get(t);
                        for (int i = 0; i < recorded.clipped().get(t).length; i++) {
                            assertEquals(bits(recorded.clipped().get(t)[i]), bits(dtype.get(grads.get(t), i)),
                                    at + ": tensor " + t + " (" + dtype + ") element " + i);
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
            String format = new String(magic, java.nio.charset.StandardCharsets.US_ASCII);
            assertTrue(format.equals("VOCLIP01") || format.equals("VOCLIP02"), format);
            // VOCLIP02 says each tensor's dtype (0 float32, 1 bfloat16, 2 float16); its values are widened to float.
            boolean typed = format.equals("VOCLIP02");
            List<Case> cases = new ArrayList<>();
            for (int c = in.getInt(); c > 0; c--) {
                double maxNorm = in.getDouble();
                int tensors = Short.toUnsignedInt(in.getShort());
                List<Dtype> dtypes = new ArrayList<>();
                List<float[]> grads = new ArrayList<>();
                for (int t = 0; t < tensors; t++) {
                    dtypes.add(typed ? Dtype.values()[in.get()] : Dtype.FLOAT32);
                    grads.add(floats(in, in.getInt()));
                }
                float norm = in.getFloat();
                List<float[]> clipped = new ArrayList<>();
                for (float[] grad : grads) {
                    clipped.add(floats(in, grad.length));
                }
                cases.add(new Case(maxNorm, dtypes, grads, norm, clipped));
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
