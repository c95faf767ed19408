package dev.vecoptim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * The optimizers behind the checkpoint files committed under {@code src/test/resources/checkpoints}: two
 * groups (with and without weight decay) whose parameters are registered the common way, layer by layer,
 * so that the groups interleave: layer 1 weight (group 0), layer 1 bias (group 1), layer 2 weight (group 0),
 * layer 2 bias (group 1). Values and gradients come from fixed seeds, so the same recipe trained the same
 * number of steps gives the same bits in any JVM. Each recipe names the first format that could hold it.
 */
final class CheckpointFixtures {
    /** Floats of layer 1's weight, layer 1's bias, layer 2's weight, layer 2's bias. */
    private static final int[] SIZES = {48, 8, 24, 8};

    enum Recipe {
        SGD(Sgd.builder(0.05).momentum(0.9).nesterov(true).weightDecay(1e-3).build(),
                Sgd.builder(0.05).momentum(0.9).nesterov(true).build()),
        RMSPROP(RmsProp.builder().lr(0.01).centered(true).momentum(0.5).weightDecay(1e-3).build(),
                RmsProp.builder().lr(0.01).centered(true).momentum(0.5).build()),
        ADAMW(Adam.adamWBuilder().lr(0.01).amsgrad(true).weightDecay(0.05).build(),
                Adam.adamWBuilder().lr(0.01).amsgrad(true).weightDecay(0).build()),
        ADAGRAD(Adagrad.builder().lr(0.05).lrDecay(0.01).initialAccumulatorValue(0.1).weightDecay(1e-3).build(),
                Adagrad.builder().lr(0.05).lrDecay(0.01).initialAccumulatorValue(0.1).build()),
        NADAM(NAdam.builder().lr(0.01).weightDecay(0.05).decoupledWeightDecay(true).momentumDecay(0.05).build(),
                NAdam.builder().lr(0.01).momentumDecay(0.05).build()),
        /** Averaging from step 3 on (t0 = 1), so the file holds a mu below 1. */
        ASGD(Asgd.builder().lr(0.05).lambd(0.1).t0(1).weightDecay(1e-3).build(),
                Asgd.builder().lr(0.05).lambd(0.1).t0(1).build()),
        /** PyTorch's fused AdamW on bfloat16 parameters. */
        ADAMW_BFLOAT16(Dtype.BFLOAT16, Adam.adamWBuilder().lr(0.01).weightDecay(0.05).fused(true).build(),
                Adam.adamWBuilder().lr(0.01).weightDecay(0).fused(true).build()),
        /** NAdam's single-tensor step on float16 parameters, its mu_product in float32. */
        NADAM_FLOAT16(Dtype.FLOAT16, NAdam.builder().lr(0.01).weightDecay(0.05).build(),
                NAdam.builder().lr(0.01).build()),
        /** AdamW on float32 parameters with bfloat16 state. */
        ADAMW_BFLOAT16_STATE(Adam.adamWBuilder().lr(0.01).weightDecay(0.05).stateDtype(Dtype.BFLOAT16).build(),
                Adam.adamWBuilder().lr(0.01).weightDecay(0).stateDtype(Dtype.BFLOAT16).build()),
        /** AdamW on bfloat16 parameters with float32 masters, then with split ones. */
        ADAMW_BFLOAT16_MASTER(Dtype.BFLOAT16, Adam.adamWBuilder().lr(0.01).weightDecay(0.05)
                .masterWeights(MasterWeights.FLOAT32).build(),
                Adam.adamWBuilder().lr(0.01).weightDecay(0).masterWeights(MasterWeights.SPLIT).build()),
        /** AdamW on float32 parameters with stochastically rounded bfloat16 state. */
        ADAMW_STOCHASTIC_STATE(Adam.adamWBuilder().lr(0.01).weightDecay(0.05).stateDtype(Dtype.BFLOAT16)
                .stochasticRounding(11).build(),
                Adam.adamWBuilder().lr(0.01).weightDecay(0).stateDtype(Dtype.BFLOAT16).stochasticRounding(12).build());

        final Dtype dtype;
        final Algorithm decayed;
        final Algorithm plain;
        /**
         * The oldest format of this recipe's committed files, from 2 (format 1's, of PyTorch 1.13's semantics, are
         * loaded by a test of their own) to the first format that could hold it.
         */
        final int since;

        Recipe(Algorithm decayed, Algorithm plain) {
            this(Dtype.FLOAT32, decayed, plain);
        }

        Recipe(Dtype dtype, Algorithm decayed, Algorithm plain) {
            this.dtype = dtype;
            this.decayed = decayed;
            this.plain = plain;
            this.since = plain.stochasticRoundingSeed().isPresent() ? 6
                    : plain.masterWeights() != MasterWeights.NONE ? 5
                    : dtype != Dtype.FLOAT32 || plain.stateDtype() != null ? 4 : 2;
        }

        /** Where the committed file of this recipe, in format {@code version}, is, on the class path. */
        String resource(int version) {
            return "/checkpoints/v" + version + "-" + name().toLowerCase(java.util.Locale.ROOT) + ".ckpt";
        }
    }

    /** Steps every committed file was written after. */
    static final int STEPS = 3;

    private CheckpointFixtures() {
    }

    /** The recipe's optimizer, its memory in {@code arena}, trained {@code steps} steps with PyTorch 2.x's bits. */
    static Optimizer trained(Arena arena, Recipe recipe, int steps) {
        return trained(arena, recipe, steps, Semantics.PYTORCH_2);
    }

    /** The same under {@code semantics}: format 1 was written under PyTorch 1.13's. */
    static Optimizer trained(Arena arena, Recipe recipe, int steps, Semantics semantics) {
        Optimizer optimizer = Optimizer.builder().build();
        ParameterGroup[] groups = {optimizer.addGroup(recipe.decayed.withSemantics(semantics)),
            optimizer.addGroup(recipe.plain.withSemantics(semantics))};
        SplittableRandom values = new SplittableRandom(17);
        MemorySegment[] grads = new MemorySegment[SIZES.length];
        Dtype dtype = recipe.dtype;
        for (int p = 0; p < SIZES.length; p++) {
            MemorySegment value = arena.allocate((long) dtype.bytes() * SIZES[p], 64);
            fill(dtype, value, values);
            grads[p] = arena.allocate((long) dtype.bytes() * SIZES[p], 64);
            groups[p % 2].add(dtype, value, grads[p]);
        }
        SplittableRandom gradients = new SplittableRandom(29);
        for (int s = 0; s < steps; s++) {
            for (MemorySegment grad : grads) {
                fill(dtype, grad, gradients);
            }
            optimizer.step();
        }
        return optimizer;
    }

    private static void fill(Dtype dtype, MemorySegment segment, SplittableRandom random) {
        for (long i = 0; i < segment.byteSize() / dtype.bytes(); i++) {
            dtype.set(segment, i, (float) random.nextGaussian());
        }
    }
}
