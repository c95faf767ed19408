package dev.vecoptim.kernel;

import dev.vecoptim.OptimizerKernels;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * One configuration of a kernel family as the tests run it: its flags, its coefficients (any values, including
 * values no validated optimizer would pass; vector and scalar kernels must agree on all of them), and whether its
 * first step is a first step.
 *
 * <p>Flags and coefficients are made from their types, so that a family needs no test code of its own: every
 * combination of the flags' booleans and enums (but {@code firstStep}, which the step number decides), each float
 * coefficient a {@link TestFloats#coefficient} (negated for a name starting with {@code negative}, taken from 1
 * for a {@code decayFactor}, and on either side of 0.5 for a lerp weight, whose name ends in {@code Complement}),
 * each double the same, each boolean at random. A family whose kernels assume more of their coefficients says so
 * in its {@link Family#tweak}.
 */
public record Update<C, F extends Record>(Family<C, F> family, F flags, C coefficients, boolean startsMidway) {

    /**
     * What some families' kernels assume of their coefficients, by family name; a family not named assumes
     * nothing.
     */
    private static final Map<String, Tweak<?>> TWEAKS = Map.of("Rprop", new Rprop());

    /** The kernel families the tests know, each with its state layout: every kernel test's one list. */
    public static final List<Family<?, ?>> FAMILIES = OptimizerKernels.layouts().stream()
            .<Family<?, ?>>map(Family::of).toList();

    /** The flag component that the step number sets: true at step 1, unless a case starts midway. */
    private static final String FIRST_STEP = "firstStep";

    /**
     * A kernel family as the tests know it.
     *
     * @param stateBuffers how many state buffers its kernels may read (all, whatever the flags)
     * @param scalarBytes the size of each per-parameter scalar that follows them in the state
     * @param tweak adjusts random coefficients to what its kernels assume, when they assume more
     */
    public record Family<C, F extends Record>(KernelFamily<UpdateKernel<C>, F> kernels, Class<F> flagsType,
                                             Supplier<C> newCoefficients, int stateBuffers, List<Integer> scalarBytes,
                                             Tweak<? super C> tweak) {
        /** For a family whose kernels assume nothing of their coefficients. */
        static final Tweak<Object> NONE = new Tweak<>() {
            @Override
            public int variants() {
                return 1;
            }

            @Override
            public void apply(Object coefficients, SplittableRandom random, int variant) {
            }
        };

        /**
         * The family of a layout, its flags and coefficients being its declaring class's {@code Flags} and
         * {@code Coefficients}.
         */
        // Safe: a family's kernels are UpdateKernel<Coefficients> and its scalar reference takes its Flags.
        @SuppressWarnings("unchecked")
        static Family<?, ?> of(OptimizerKernels.Layout layout) {
            KernelFamily<?, ?> kernels = layout.family();
            Class<?> coefficients = nested(kernels, "Coefficients");
            Supplier<Object> newCoefficients = () -> {
                try {
                    return coefficients.getConstructor().newInstance();
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError(e);
                }
            };
            return new Family<>((KernelFamily<UpdateKernel<Object>, Record>) kernels,
                    (Class<Record>) nested(kernels, "Flags"), newCoefficients, layout.stateBuffers(), layout.scalarBytes(),
                    (Tweak<Object>) TWEAKS.getOrDefault(kernels.name(), NONE));
        }

        private static Class<?> nested(KernelFamily<?, ?> kernels, String simpleName) {
            return Arrays.stream(kernels.declaring().getClasses())
                    .filter(nested -> nested.getSimpleName().equals(simpleName)).findFirst()
                    .orElseThrow(() -> new AssertionError(kernels.declaring() + " declares no " + simpleName));
        }

        /** A random update of this family. */
        public Update<C, F> random(SplittableRandom random) {
            List<F> combinations = flagCombinations();
            return new Update<>(this, combinations.get(random.nextInt(combinations.size())),
                    coefficients(random, random.nextBoolean(), random.nextInt(tweak.variants()), false),
                    random.nextBoolean());
        }

        /**
         * An update of each flag combination and variant, once with lerp weights above 0.5 and once below; then each
         * once more with every other coefficient near 1 (a learning rate of 1 lets the last bit of an update reach
         * the parameter, which small ones round away).
         */
        public List<Update<?, ?>> everyFlagCombination(SplittableRandom random) {
            List<Update<?, ?>> updates = new ArrayList<>();
            for (boolean nearOne : new boolean[] {false, true}) {
                for (F flags : flagCombinations()) {
                    for (int variant = 0; variant < tweak.variants(); variant++) {
                        for (boolean highWeights : nearOne ? new boolean[] {true} : new boolean[] {false, true}) {
                            updates.add(new Update<>(this, flags, coefficients(random, highWeights, variant, nearOne),
                                    random.nextBoolean()));
                        }
                    }
                }
            }
            return updates;
        }

        /** Every combination of the flags' booleans and enums that the flags accept, {@code firstStep} off. */
        List<F> flagCombinations() {
            RecordComponent[] components = flagsType.getRecordComponents();
            List<Object[]> values = new ArrayList<>();
            values.add(new Object[components.length]);
            for (int c = 0; c < components.length; c++) {
                Class<?> type = components[c].getType();
                Object[] choices = components[c].getName().equals(FIRST_STEP) ? new Object[] {false}
                        : type == boolean.class ? new Object[] {false, true} : type.getEnumConstants();
                List<Object[]> extended = new ArrayList<>();
                for (Object[] partial : values) {
                    for (Object choice : choices) {
                        Object[] next = partial.clone();
                        next[c] = choice;
                        extended.add(next);
                    }
                }
                values = extended;
            }
            List<F> combinations = new ArrayList<>();
            for (Object[] arguments : values) {
                F flags = newFlags(arguments);
                if (flags != null) {
                    combinations.add(flags);
                }
            }
            return combinations;
        }

        /** Flags of these components, or null for a combination the flags refuse (nesterov without momentum). */
        F newFlags(Object[] arguments) {
            Class<?>[] types = new Class<?>[arguments.length];
            RecordComponent[] components = flagsType.getRecordComponents();
            for (int c = 0; c < components.length; c++) {
                types[c] = components[c].getType();
            }
            try {
                return flagsType.getDeclaredConstructor(types).newInstance(arguments);
            } catch (java.lang.reflect.InvocationTargetException refused) {
                if (refused.getCause() instanceof IllegalArgumentException) {
                    return null;
                }
                throw new AssertionError(refused);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }

        C coefficients(SplittableRandom random, boolean highWeights, int variant, boolean nearOne) {
            C coefficients = newCoefficients.get();
            try {
                for (Field field : coefficients.getClass().getFields()) {
                    // Numbers only: ASGD's operands stay float32's, the only dtype the vector loops run on.
                    if (!Modifier.isStatic(field.getModifiers()) && field.getType().isPrimitive()) {
                        field.set(coefficients, randomValue(field, random, highWeights, nearOne));
                    }
                }
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
            tweak.apply(coefficients, random, variant);
            return coefficients;
        }

        private static Object randomValue(Field field, SplittableRandom random, boolean highWeights,
                                          boolean nearOne) {
            if (field.getType() == boolean.class) {
                return random.nextBoolean();
            }
            String name = field.getName();
            float value = nearOne ? (float) random.nextDouble(0.5, 2) : TestFloats.coefficient(random);
            if (name.endsWith("Complement")) {
                float weight = (float) random.nextDouble(0.5);
                value = highWeights ? 0.5f + weight : weight;
            } else if (name.equals("decayFactor")) {
                value = 1 - value;
            } else if (name.startsWith("negative")) {
                value = -value;
            }
            return field.getType() == double.class ? (Object) (double) value : (Object) value;
        }
    }

    /** The flags of the kernel that runs step number {@code step} (from 1). */
    public F flags(long step) {
        if (step != 1 || startsMidway || !hasFirstStep()) {
            return flags;
        }
        RecordComponent[] components = family.flagsType().getRecordComponents();
        Object[] arguments = new Object[components.length];
        try {
            for (int c = 0; c < components.length; c++) {
                arguments[c] = components[c].getName().equals(FIRST_STEP) ? true
                        : components[c].getAccessor().invoke(flags);
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        F first = family.newFlags(arguments);
        return first != null ? first : flags;
    }

    private boolean hasFirstStep() {
        for (RecordComponent component : family.flagsType().getRecordComponents()) {
            if (component.getName().equals(FIRST_STEP)) {
                return true;
            }
        }
        return false;
    }

    /** State buffers the kernels may read and write, unused ones included. */
    public int stateBuffers() {
        return family.stateBuffers();
    }

    /** The state the kernels read: the first {@link #stateBuffers} of the buffers' state, then their scalars. */
    public MemorySegment[] state(Buffers buffers) {
        int buffered = family.stateBuffers();
        MemorySegment[] state = new MemorySegment[buffered + family.scalarBytes().size()];
        for (int s = 0; s < state.length; s++) {
            state[s] = s < buffered ? buffers.state(s) : buffers.scalar(s - buffered,
                    family.scalarBytes().get(s - buffered));
        }
        return state;
    }

    /** Runs {@code kernel}, one of this update's family made with its flags, over elements [from, to). */
    public void run(UpdateKernel<C> kernel, Buffers buffers, long from, long to) {
        kernel.step(buffers.param(), buffers.grad(), state(buffers), coefficients, from, to);
    }

    /**
     * Prepares the step numbered {@code step} for the whole parameter of {@code buffers}, {@code elements} long, with
     * the kernel of width bits ({@link UpdateKernel#prepareParameter}: a layer-wise family's norms), as a step does
     * before it applies any range.
     */
    public void prepare(int bits, Buffers buffers, long step, long elements) {
        prepare(Kernels.kernel(family.kernels(), bits, flags(step)), buffers, elements);
    }

    /**
     * The coefficients' values, each float (and each element of a float array) by its bits, NaNs alike: what a
     * preparation worked out, to compare.
     */
    public List<Object> coefficientValues() {
        List<Object> values = new ArrayList<>();
        try {
            for (Field field : coefficients.getClass().getFields()) {
                Object value = field.get(coefficients);
                if (value instanceof float[] floats) {
                    for (float f : floats) {
                        values.add(Float.floatToIntBits(f));
                    }
                } else {
                    values.add(value instanceof Float f ? (Object) Float.floatToIntBits(f) : value);
                }
            }
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
        return values;
    }

    /** Prepares with {@code kernel}, one of this update's family made with its flags, as {@link #prepare} does. */
    public void prepare(UpdateKernel<C> kernel, Buffers buffers, long elements) {
        kernel.prepareParameter(buffers.param(), buffers.grad(), state(buffers), coefficients, 0, elements, true, true);
    }

    /** Applies the step numbered {@code step} (from 1) to elements [from, to) with the kernel of width bits. */
    public void apply(int bits, Buffers buffers, long step, long from, long to) {
        run(Kernels.kernel(family.kernels(), bits, flags(step)), buffers, from, to);
    }

    /** A random update of a random family. */
    public static Update<?, ?> random(SplittableRandom random) {
        return FAMILIES.get(random.nextInt(FAMILIES.size())).random(random);
    }

    /** What a family's kernels assume of their coefficients, in as many variants as it has. */
    interface Tweak<C> {
        int variants();

        void apply(C coefficients, SplittableRandom random, int variant);
    }

    /**
     * Rprop's factors as validated ones are (etaminus below 1, etaplus above), or where the vector kernel's
     * shortcuts stop holding (etaminus 0, 1, NaN, negative or equal to etaplus; etaplus 0, negative or NaN), or any;
     * and lr = −0.0, whose step sizes of −0 meet bounds of 0, which PyTorch's clamp keeps as they are.
     */
    private static final class Rprop implements Tweak<RpropKernel.Coefficients> {
        private static final float[][] EDGE_ETAS = {
            {0f, 1.2f}, {1f, 1.2f}, {Float.NaN, 1.2f}, {0.5f, 0.5f}, {1f, 1f}, {0.5f, 0f}, {0.5f, -1f},
            {0.5f, Float.NaN}, {-0.5f, 1.2f}
        };
        private static final int VALID = 0;
        // Variant 1 keeps the random factors, whatever they are.
        private static final int NEGATIVE_ZERO_LR = 2;

        @Override
        public int variants() {
            return NEGATIVE_ZERO_LR + 1 + EDGE_ETAS.length;
        }

        @Override
        public void apply(RpropKernel.Coefficients c, SplittableRandom random, int variant) {
            if (variant == VALID) {
                c.etaPlus = 1 + 4 * TestFloats.coefficient(random);
                c.stepSizeMin = TestFloats.coefficient(random) * 1e-3f;
                c.stepSizeMax = c.stepSizeMin + 100 * TestFloats.coefficient(random);
            } else if (variant == NEGATIVE_ZERO_LR) {
                c.etaMinus = 0.5f;
                c.etaPlus = 1.2f;
                c.stepSizeMin = 0;
                c.stepSizeMax = random.nextBoolean() ? 50 : 0;
                c.initialStepSize = -0.0f;
            } else if (variant > NEGATIVE_ZERO_LR) {
                c.etaMinus = EDGE_ETAS[variant - NEGATIVE_ZERO_LR - 1][0];
                c.etaPlus = EDGE_ETAS[variant - NEGATIVE_ZERO_LR - 1][1];
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(family.kernels().name()).append(' ').append(flags);
        try {
            for (Field field : coefficients.getClass().getFields()) {
                text.append(' ').append(field.getName()).append('=').append(field.get(coefficients));
            }
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
        return text.append(startsMidway ? " midway" : "").toString();
    }
}
