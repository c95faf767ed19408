package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vecoptim.kernel.Format;
import dev.vecoptim.kernel.TestFloats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bfloat16 and float16 parameters in the public API ({@link Dtype}): an {@link Optimizer} steps them as the direct
 * step on one tensor does ({@link Algorithm#step(Dtype, long, MemorySegment, MemorySegment, MemorySegment...)}),
 * bit for bit, whatever the threads, the chunking, flat storage or the caller's memory, single-tensor or
 * {@link Algorithm#fused() fused}; the non-finite policies see their gradients; what handles float32 only refuses
 * them by name and changes nothing. {@code HalfGoldenVectorsTest} holds both kinds of step to PyTorch's recordings.
 */
class SixteenBitParametersTest {
    private static final List<Dtype> SIXTEEN_BIT = List.of(Dtype.BFLOAT16, Dtype.FLOAT16);

    @TempDir
    Path directory;

    /**
     * Random optimizers, dtypes, state dtypes, sizes (tails of every length past PyTorch's blocks of 32) and layouts:
     * after every step each parameter and state buffer equals the direct step of that tensor alone. The single-tensor
     * step rounds a tensor's last {@code n % 32} elements its own way, so a flat block must not be stepped as one
     * range.
     */
    @Test
    void theOptimizerStepsEachTensorAsADirectStepDoesAtAnyThreadCountAndLayout() {
        assertStepsAsDirectOnes(new SplittableRandom(23), 60, TestedOptimizers::random, 300);
    }

    /**
     * The same for every layer-wise optimizer of the registry, on tensors long enough that a step cuts them
     * into chunks on several threads: each parameter is stepped by the norms of its whole, not of a chunk or of a
     * flat block.
     */
    @Test
    void aLayerwiseOptimizerStepsEachTensorByItsOwnNormsAtAnyThreadCountAndLayout() {
        List<TestedOptimizers.Kind> layerwise = TestedOptimizers.ALL.stream()
                .filter(kind -> kind.prototype().layerwise()).toList();
        assertFalse(layerwise.isEmpty(), "no layer-wise optimizer in the registry");
        assertStepsAsDirectOnes(new SplittableRandom(29), 40, r -> TestedOptimizers.randomized(
                layerwise.get(r.nextInt(layerwise.size())).random().apply(r), r), 3000);
    }

    private static void assertStepsAsDirectOnes(SplittableRandom random, int trials,
                                                java.util.function.Function<SplittableRandom, Algorithm> draw,
                                                int maxSize) {
        for (int trial = 0; trial < trials; trial++) {
            Dtype dtype = Dtype.values()[random.nextInt(3)];
            Dtype stateDtype = random.nextInt(3) == 0 ? Dtype.values()[random.nextInt(3)] : null;
            Algorithm drawn = draw.apply(random).toBuilder().stateDtype(stateDtype).build();
            Algorithm algorithm = drawn.withFused(random.nextBoolean());
            RandomLayout layout = RandomLayout.draw(random, maxSize);
            String at = "trial " + trial + ": " + algorithm + " on " + dtype + ", " + layout;
            try (Arena arena = Arena.ofShared(); Optimizer optimizer = layout.optimizer()) {
                ParameterGroup group = optimizer.addGroup(algorithm);
                List<Parameter> parameters = layout.parameters(group, dtype, arena);
                List<DirectTensor> direct = new ArrayList<>();
                for (Parameter parameter : parameters) {
                    assertEquals(dtype, parameter.dtype(), at);
                    assertEquals(stateDtype != null ? stateDtype : dtype, parameter.stateDtype(), at);
                    fill(dtype, parameter.value(), random);
                    direct.add(new DirectTensor(arena, algorithm, dtype, parameter.value()));
                }
                for (int step = 1; step <= 3; step++) {
                    for (int p = 0; p < parameters.size(); p++) {
                        fill(dtype, parameters.get(p).grad(), random);
                        direct.get(p).step(step, parameters.get(p).grad());
                    }
                    optimizer.step();
                    for (int p = 0; p < parameters.size(); p++) {
                        direct.get(p).assertHeldBy(at + ", step " + step + ", parameter " + p, parameters.get(p));
                    }
                }
            }
        }
    }

    /** A copy of one tensor with state of its own, stepped by the direct step. */
    private static final class DirectTensor {
        private final Algorithm algorithm;
        private final Dtype dtype;
        private final Dtype stateDtype;
        private final MemorySegment value;
        private final MemorySegment grad;
        private final MemorySegment[] state;

        DirectTensor(Arena arena, Algorithm algorithm, Dtype dtype, MemorySegment initial) {
            this.algorithm = algorithm;
            this.dtype = dtype;
            this.stateDtype = algorithm.stateDtype(dtype);
            this.value = arena.allocate(initial.byteSize()).copyFrom(initial);
            this.grad = arena.allocate(initial.byteSize());
            List<String> names = algorithm.stateNames();
            long elements = initial.byteSize() / dtype.bytes();
            state = new MemorySegment[names.size() + algorithm.scalarNames().size()];
            for (int s = 0; s < state.length; s++) {
                state[s] = arena.allocate(s < names.size() ? elements * stateDtype.bytes()
                        : algorithm.scalarBytes().get(s - names.size()));
                for (long i = 0; s < names.size() && i < elements; i++) {
                    stateDtype.set(state[s], i, algorithm.initialState(names.get(s)));
                }
            }
        }

        void step(long step, MemorySegment stepGrad) {
            grad.copyFrom(stepGrad);
            algorithm.step(dtype, step, value, grad, state);
        }

        void assertHeldBy(String at, Parameter parameter) {
            assertSameElements(at + " value", dtype, value, parameter.value());
            List<String> names = algorithm.stateNames();
            for (int s = 0; s < names.size(); s++) {
                assertSameElements(at + " " + names.get(s), stateDtype, state[s], parameter.state(names.get(s)));
            }
            for (int s = 0; s < algorithm.scalarNames().size(); s++) {
                String name = algorithm.scalarNames().get(s);
                TestFloats.assertSameBits(at + " " + name, state[names.size() + s], parameter.state(name));
            }
        }
    }

    /**
     * Fails unless the two hold the same elements, bit for bit but any NaN equal to any NaN (Java fixes no NaN's sign
     * or payload), naming the first element that differs.
     */
    private static void assertSameElements(String what, Dtype dtype, MemorySegment expected, MemorySegment actual) {
        assertEquals(expected.byteSize(), actual.byteSize(), what + ": bytes");
        for (long i = 0; i < expected.byteSize() / dtype.bytes(); i++) {
            if (!TestFloats.sameBits(dtype.get(expected, i), dtype.get(actual, i))) {
                fail(what + "[" + i + "] of " + expected.byteSize() / dtype.bytes() + ": " + dtype.get(actual, i)
                        + ", expected " + dtype.get(expected, i));
            }
        }
    }

    /** Random 16-bit values, now and then a special one (NaN, infinities, zeros, subnormals). */
    private static void fill(Dtype dtype, MemorySegment segment, SplittableRandom random) {
        for (long i = 0; i < segment.byteSize() / dtype.bytes(); i++) {
            dtype.format().store(segment, i, TestFloats.value(random, 50));
        }
    }

    /**
     * Float32 parameters with bfloat16 state ({@link Algorithm#stateDtype()}): each step is the float32 step of the
     * widened state, the parameter exact, the state rounded once to bfloat16 when stored; checked against float32
     * Adam stepping a float32 copy whose state is rounded after each step. The files carry the state as bfloat16.
     */
    @Test
    void bfloat16StateIsTheFloat32StepRoundedOnceAndFilesKeepIt() throws Exception {
        Algorithm float32 = Adam.builder().lr(0.01).amsgrad(true).weightDecay(0.01).build();
        Algorithm halved = float32.toBuilder().stateDtype(Dtype.BFLOAT16).build();
        assertEquals(Dtype.BFLOAT16, halved.stateDtype());
        assertTrue(halved.toString().endsWith("semantics=PYTORCH_2, state_dtype=torch.bfloat16)"), halved.toString());
        assertNotEquals(float32, halved);
        SplittableRandom random = new SplittableRandom(11);
        int n = 300;
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            Parameter parameter = optimizer.addGroup(halved).allocate(n).getFirst();
            assertEquals(Dtype.BFLOAT16, parameter.stateDtype());
            assertEquals(2L * n, parameter.state("exp_avg").byteSize());
            MemorySegment param = arena.allocate(4L * n);
            MemorySegment grad = arena.allocate(4L * n);
            MemorySegment[] state = {arena.allocate(4L * n), arena.allocate(4L * n), arena.allocate(4L * n)};
            fill(Dtype.FLOAT32, parameter.value(), random);
            param.copyFrom(parameter.value());
            for (int step = 1; step <= 4; step++) {
                fill(Dtype.FLOAT32, parameter.grad(), random);
                grad.copyFrom(parameter.grad());
                optimizer.step();
                float32.step(step, param, grad, state);
                for (MemorySegment buffer : state) {
                    for (long i = 0; i < n; i++) {
                        buffer.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, Dtype.BFLOAT16.format().round(
                                buffer.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i)));
                    }
                }
                assertSameElements("step " + step + " param", Dtype.FLOAT32, param, parameter.value());
                for (int s = 0; s < 3; s++) {
                    MemorySegment kept = parameter.state(parameter.stateNames().get(s));
                    for (long i = 0; i < n; i++) {
                        assertTrue(TestFloats.sameBits(state[s].getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i),
                                Dtype.BFLOAT16.get(kept, i)), "step " + step + " " + parameter.stateNames().get(s)
                                + "[" + i + "]");
                    }
                }
            }
            for (boolean stateDict : new boolean[] {false, true}) {
                Path file = directory.resolve(stateDict ? "halved.safetensors" : "halved.ckpt");
                try (Optimizer fresh = Optimizer.builder().build(); Optimizer full = Optimizer.builder().build()) {
                    fresh.addGroup(halved).allocate(n);
                    full.addGroup(float32).allocate(n);
                    if (stateDict) {
                        optimizer.saveStateDict(file);
                        fresh.loadStateDict(file);
                        CheckpointException refused = assertThrows(CheckpointException.class,
                                () -> full.loadStateDict(file));
                        assertTrue(refused.getMessage().contains("state.0.exp_avg is BF16 of 300 elements, and group 0"
                                + " parameter 0 keeps F32 of 300"), refused.getMessage());
                    } else {
                        optimizer.save(file);
                        fresh.load(file);
                        CheckpointException refused = assertThrows(CheckpointException.class, () -> full.load(file));
                        assertTrue(refused.getMessage().endsWith("group 0 parameter 0 keeps its state in BFLOAT16 in"
                                + " the checkpoint and FLOAT32 here"), refused.getMessage());
                    }
                    assertEquals(CheckpointFiles.state(optimizer), CheckpointFiles.state(fresh));
                }
            }
        }
    }

    @Test
    void stateStartsAtPyTorchsInitialValueRoundedToTheDtypeAndScalarsStayFloat32() {
        try (Optimizer optimizer = Optimizer.builder().build()) {
            Parameter adagrad = optimizer.addGroup(Adagrad.builder().initialAccumulatorValue(0.1).build())
                    .allocate(Dtype.BFLOAT16, 5).getFirst();
            assertEquals(10, adagrad.state("sum").byteSize());
            // torch.full_like(p, 0.1) on a bfloat16 tensor holds 0.1 rounded to bfloat16: 0x3DCD.
            for (int i = 0; i < 5; i++) {
                assertEquals((short) 0x3DCD,
                        adagrad.state("sum").getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT, i));
            }
        }
        try (Optimizer optimizer = Optimizer.builder().build()) {
            Parameter nadam = optimizer.addGroup(NAdam.builder().build()).allocate(Dtype.FLOAT16, 3).getFirst();
            assertEquals(6, nadam.state("exp_avg").byteSize());
            assertEquals(Float.BYTES, nadam.state("mu_product").byteSize(), "PyTorch keeps mu_product in float32");
            assertEquals("group 0 parameter 0 (3 torch.float16 elements, 0 steps, state [exp_avg, exp_avg_sq])",
                    nadam.toString());
        }
    }

    @Test
    void theNonFinitePoliciesSeeSixteenBitGradients() {
        for (Dtype dtype : SIXTEEN_BIT) {
            for (NonFiniteGradients policy : List.of(NonFiniteGradients.SKIP, NonFiniteGradients.THROW)) {
                try (Optimizer optimizer = Optimizer.builder().nonFiniteGradients(policy).build()) {
                    ParameterGroup group = optimizer.addGroup(Sgd.builder(0.5).build().withFused(true));
                    Parameter first = group.allocate(dtype, 700).getFirst();
                    Parameter second = group.allocate(dtype, 70_000).getFirst();
                    for (long i = 0; i < 70_000; i++) {
                        dtype.format().store(second.grad(), i, 0.25f);
                    }
                    for (long i = 0; i < 700; i++) {
                        dtype.format().store(first.grad(), i, 2f);
                    }
                    StepReport finite = optimizer.step();
                    assertFalse(finite.skipped());
                    // 700·2² + 70,000·0.25², each exact in float32 and in double.
                    assertEquals(Math.sqrt(700 * 4.0 + 70_000 * 0.0625), finite.gradNorm().orElseThrow(), dtype + "");
                    dtype.format().store(second.grad(), 69_999, Float.NaN);
                    MemorySegment before = Arena.ofAuto().allocate(second.value().byteSize()).copyFrom(second.value());
                    if (policy == NonFiniteGradients.SKIP) {
                        assertTrue(optimizer.step().skipped(), dtype + " " + policy);
                    } else {
                        ArithmeticException thrown = assertThrows(ArithmeticException.class, optimizer::step);
                        assertTrue(thrown.getMessage().startsWith("group 0 parameter 1 has a NaN"),
                                thrown.getMessage());
                    }
                    assertEquals(-1, before.mismatch(second.value()), dtype + " " + policy + " changed nothing");
                    assertEquals(1, optimizer.stepCount());
                }
            }
        }
    }

    /**
     * PyTorch 1.13 refuses to clip float16 gradients ({@code clamp} has no float16 kernel on its CPU), and beside
     * others sums their squares in float16: an optimizer of its semantics refuses to clip them, before any write;
     * bfloat16 ones it clips, and 2.x clips both ({@code ClipGoldenTest} holds them to recordings).
     */
    @Test
    void pyTorch113sSemanticsRefuseToClipFloat16GradientsAsItDoes() {
        for (Semantics semantics : Semantics.values()) {
            for (Dtype dtype : SIXTEEN_BIT) {
                try (Optimizer optimizer = Optimizer.builder().maxGradNorm(1).build()) {
                    ParameterGroup group = optimizer.addGroup(Adam.builder().semantics(semantics).build());
                    Parameter sixteen = group.allocate(dtype, 8).getFirst();
                    sixteen.grad().fill((byte) 0x40);
                    MemorySegment grad = Arena.ofAuto().allocate(16).copyFrom(sixteen.grad());
                    if (semantics == Semantics.PYTORCH_1_13 && dtype == Dtype.FLOAT16) {
                        String refused = "PyTorch 1.13 clips no float16 gradients as vecoptim can reproduce (alone"
                                + " it refuses: \"clamp_max_scalar_cpu\" not implemented for 'Half'; among others it"
                                + " sums their squares in float16), and this optimizer reproduces PyTorch 1.13; nothing"
                                + " was changed";
                        assertEquals(refused, assertThrows(IllegalStateException.class, optimizer::step).getMessage());
                        assertEquals(refused, assertThrows(IllegalStateException.class,
                                () -> optimizer.clipGradNorm(1)).getMessage());
                        assertEquals(-1, grad.mismatch(sixteen.grad()), "the gradients are not clipped");
                        assertEquals(0, optimizer.stepCount());
                        group.allocate(8);
                        assertEquals(refused, assertThrows(IllegalStateException.class,
                                () -> optimizer.clipGradNorm(1)).getMessage(), "beside float32 gradients too");
                    } else {
                        double norm = optimizer.clipGradNorm(1);
                        assertTrue(norm > 1, semantics + " " + dtype + ": " + norm);
                        assertNotEquals(-1, grad.mismatch(sixteen.grad()), "clipped");
                    }
                }
            }
        }
    }

    /**
     * Checkpoints and state dicts carry 16-bit state in its dtype (BF16 and F16 tensors in a state dict): a fresh
     * optimizer of the same structure loads exactly what was saved and then steps as the original does. A state
     * dict refuses a buffer of another dtype by name.
     */
    @Test
    void sixteenBitStateRoundTripsThroughCheckpointsAndStateDicts() throws Exception {
        for (boolean stateDict : new boolean[] {false, true}) {
            Path file = directory.resolve(stateDict ? "state.safetensors" : "state.ckpt");
            try (Arena arena = Arena.ofShared(); Optimizer trained = sixteenBitModel(arena, Dtype.FLOAT16);
                 Optimizer fresh = sixteenBitModel(arena, Dtype.FLOAT16)) {
                SplittableRandom random = new SplittableRandom(5);
                for (int step = 0; step < 3; step++) {
                    for (Parameter parameter : Checkpoint.inGroupOrder(trained)) {
                        fill(parameter.dtype(), parameter.grad(), random);
                    }
                    trained.step();
                }
                if (stateDict) {
                    trained.saveStateDict(file);
                    fresh.loadStateDict(file);
                } else {
                    trained.save(file);
                    fresh.load(file);
                }
                assertEquals(CheckpointFiles.state(trained), CheckpointFiles.state(fresh));
                List<Parameter> twins = Checkpoint.inGroupOrder(fresh);
                List<Parameter> originals = Checkpoint.inGroupOrder(trained);
                for (int p = 0; p < originals.size(); p++) {
                    twins.get(p).value().copyFrom(originals.get(p).value());
                    twins.get(p).grad().copyFrom(originals.get(p).grad());
                }
                trained.step();
                fresh.step();
                assertEquals(CheckpointFiles.state(trained), CheckpointFiles.state(fresh));
                for (int p = 0; p < originals.size(); p++) {
                    assertSameElements("parameter " + p, originals.get(p).dtype(), originals.get(p).value(),
                            twins.get(p).value());
                }
            }
            if (stateDict) {
                try (Arena arena = Arena.ofShared(); Optimizer other = sixteenBitModel(arena, Dtype.BFLOAT16)) {
                    CheckpointException refused = assertThrows(CheckpointException.class,
                            () -> other.loadStateDict(file));
                    assertTrue(refused.getMessage().contains("state.2.exp_avg is F16 of 300 elements, and group 1"
                            + " parameter 0 keeps BF16 of 300"), refused.getMessage());
                }
            }
        }
    }

    /**
     * Adam on a bfloat16 flat block, fused (group 0), and on {@code second}-dtype tensors of the caller's memory,
     * single-tensor (group 1), beside one float32 parameter.
     */
    private static Optimizer sixteenBitModel(Arena arena, Dtype second) {
        Optimizer optimizer = Optimizer.builder().build();
        optimizer.addGroup(Adam.adamWBuilder().lr(0.01).fused(true).build()).allocate(Dtype.BFLOAT16, 100, 37);
        ParameterGroup single = optimizer.addGroup(Adam.builder().lr(0.02).amsgrad(true).build());
        single.add(second, arena.allocate(600), arena.allocate(600));
        single.add(arena.allocate(40), arena.allocate(40));
        return optimizer;
    }

    @Test
    void badSixteenBitBuffersAreRefusedByName() {
        try (Arena arena = Arena.ofShared(); Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Sgd.builder(0.1).build());
            IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                    () -> group.add(Dtype.BFLOAT16, arena.allocate(7), arena.allocate(7)));
            assertEquals("group 0 parameter 0 value has 7 bytes, not a whole number of torch.bfloat16 elements",
                    odd.getMessage());
            IllegalArgumentException floats = assertThrows(IllegalArgumentException.class,
                    () -> group.add(Dtype.FLOAT16, MemorySegment.ofArray(new float[4]), arena.allocate(16)));
            assertTrue(floats.getMessage().startsWith("group 0 parameter 0 value is a segment over a float[], but"
                    + " holds 2-byte elements for vecoptim: use memory over a short[]"), floats.getMessage());
            assertEquals("parameter 0 of the block would have -2 torch.float16 elements", assertThrows(
                    IllegalArgumentException.class, () -> group.allocate(Dtype.FLOAT16, -2)).getMessage());
            assertEquals(List.of(), group.parameters(), "nothing refused is registered");
            Parameter heap = group.add(Dtype.FLOAT16, MemorySegment.ofArray(new short[4]),
                    MemorySegment.ofArray(new short[4]));
            assertEquals(4, heap.elementCount());

            Algorithm adam = Adam.builder().build();
            MemorySegment param = arena.allocate(8);
            IllegalArgumentException sizes = assertThrows(IllegalArgumentException.class, () -> adam.step(
                    Dtype.BFLOAT16, 1, param, arena.allocate(8), arena.allocate(8), arena.allocate(16)));
            assertEquals("exp_avg_sq has 8 2-byte elements (16 bytes) but param has 4 2-byte elements (8 bytes);"
                    + " every buffer of a parameter must have param's size", sizes.getMessage());
            IllegalArgumentException fusedChange = assertThrows(IllegalArgumentException.class,
                    () -> group.hyperParameters(Sgd.builder(0.1).fused(true).build()));
            assertTrue(fusedChange.getMessage().startsWith("group 0's parameters are planned for fused=false"),
                    fusedChange.getMessage());
        }
    }

    @Test
    void fusedIsASettingOfTheConfigurationLikeItsSemantics() {
        Algorithm adam = Adam.builder().lr(0.01).build();
        Algorithm fused = adam.withFused(true);
        assertTrue(fused.fused());
        assertFalse(adam.fused());
        assertNotEquals(adam, fused);
        assertEquals(adam, fused.withFused(false));
        assertEquals(adam.hashCode(), fused.withFused(false).hashCode());
        assertTrue(fused.toString().endsWith("semantics=PYTORCH_2, fused=True)"), fused.toString());
        assertEquals(fused, fused.withLr(0.5).withLr(0.01), "a copy keeps the setting");
        assertTrue(fused.withNamedHyperParameters(fused.namedHyperParameters()).fused());
        assertEquals(adam.implementation(), adam.implementation(Dtype.FLOAT32));
        assertTrue(fused.implementation(Dtype.BFLOAT16).description().endsWith(
                "bit for bit with PyTorch 2.x's fused step on torch.bfloat16 tensors"),
                fused.implementation(Dtype.BFLOAT16).description());
        assertFalse(adam.implementation(Dtype.FLOAT16).vectorized(), "the single-tensor 16-bit step is scalar");
        assertTrue(Sgd.builder(0.1).fused(true).build().implementation(Dtype.FLOAT16).description()
                .endsWith("the float32 step of PyTorch 2.x rounded once to torch.float16"));
        for (Dtype dtype : Dtype.values()) {
            assertEquals(dtype.name(), dtype.format().name());
            assertEquals(Format.valueOf(dtype.name()).bytes(), dtype.bytes());
        }
    }
}
