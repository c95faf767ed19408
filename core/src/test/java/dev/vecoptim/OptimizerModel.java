package dev.vecoptim;

import dev.vecoptim.kernel.NormKernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The reference an {@link Optimizer} is checked against: every parameter, state buffer and scalar as plain arrays,
 * stepped one parameter at a time by the scalar reference kernels through the low-level public API (at
 * {@link VectorWidth#SCALAR}), without threads, chunks, checkpoints or the optimizer's own bookkeeping.
 * Its equality is bitwise (any NaN equal to any NaN).
 */
final class OptimizerModel {
    /**
     * The structure of the optimizers under test: groups, their parameters' sizes, and the options; with
     * {@code flat}, each group's parameters are allocated by the optimizer, in one block per group.
     */
    record Structure(List<Algorithm> groups, List<List<Integer>> sizes, NonFiniteGradients policy, int helpers,
                     long threshold, boolean flat) {

        static Structure random(SplittableRandom r) {
            TestedOptimizers.Kind family = TestedOptimizers.ALL.get(r.nextInt(TestedOptimizers.ALL.size()));
            List<Algorithm> groups = new ArrayList<>();
            List<List<Integer>> sizes = new ArrayList<>();
            for (int g = 0, count = 1 + r.nextInt(3); g < count; g++) {
                groups.add(randomAlgorithm(r, family));
                List<Integer> groupSizes = new ArrayList<>();
                for (int p = 0, params = r.nextInt(4); p < params; p++) {
                    groupSizes.add(r.nextInt(8) == 0 ? 0 : r.nextBoolean() ? r.nextInt(1, 100) : r.nextInt(100, 3000));
                }
                sizes.add(groupSizes);
            }
            NonFiniteGradients[] policies = {NonFiniteGradients.PROPAGATE, NonFiniteGradients.SKIP};
            return new Structure(groups, sizes, policies[r.nextInt(2)], r.nextInt(3), 1L << r.nextInt(4, 12),
                    r.nextBoolean());
        }

        /** A group of the structure's optimizer, at a random width and semantics. */
        private static Algorithm randomAlgorithm(SplittableRandom r, TestedOptimizers.Kind family) {
            return TestedOptimizers.randomized(family.random().apply(r), r);
        }

        int parameterCount() {
            return sizes.stream().mapToInt(List::size).sum();
        }

        /**
         * A new optimizer of this structure holding the parameters' values and gradients: the segments given,
         * or, when flat, segments it allocates, which then replace those in the lists, the values copied over.
         */
        Optimizer build(List<MemorySegment> values, List<MemorySegment> grads) {
            Optimizer optimizer = Optimizer.builder().nonFiniteGradients(policy)
                    .helpers(java.util.concurrent.ForkJoinPool.commonPool(), helpers).parallelThreshold(threshold)
                    .build();
            int p = 0;
            for (int g = 0; g < groups.size(); g++) {
                ParameterGroup group = optimizer.addGroup(groups.get(g));
                if (flat) {
                    for (Parameter parameter : group.allocate(sizes.get(g).stream().mapToLong(i -> i).toArray())) {
                        values.set(p, parameter.value().copyFrom(values.get(p)));
                        grads.set(p++, parameter.grad());
                    }
                    continue;
                }
                for (int i = 0; i < sizes.get(g).size(); i++, p++) {
                    group.add(values.get(p), grads.get(p));
                }
            }
            return optimizer;
        }
    }

    final Structure structure;
    final float[][] values;
    final float[][][] states;
    final long[] parameterSteps;
    /** The parameters removed from their groups: neither stepped, clipped nor compared. */
    final boolean[] removed;
    final double[] lrs;
    /** The schedules set on the groups, null where none; not part of the state compared. */
    final LearningRateSchedule[] schedules;
    long steps;

    OptimizerModel(Structure structure, float[][] initialValues) {
        this.structure = structure;
        this.values = initialValues;
        this.states = new float[values.length][][];
        this.parameterSteps = new long[values.length];
        this.removed = new boolean[values.length];
        this.lrs = structure.groups().stream().mapToDouble(Algorithm::lr).toArray();
        this.schedules = new LearningRateSchedule[lrs.length];
        for (int p = 0; p < values.length; p++) {
            start(p);
        }
    }

    /** The group of each parameter, in structure order. */
    private int groupOf(int p) {
        for (int g = 0, first = 0; g < structure.groups().size(); first += structure.sizes().get(g++).size()) {
            if (p < first + structure.sizes().get(g).size()) {
                return g;
            }
        }
        throw new IndexOutOfBoundsException(p);
    }

    /** Parameter {@code p}'s state as PyTorch starts it, at its group's learning rate now. */
    private void start(int p) {
        int g = groupOf(p);
        Algorithm algorithm = structure.groups().get(g).withLr(lrs[g]);
        int kept = algorithm.stateNames().size();
        states[p] = new float[kept + algorithm.scalarNames().size()][];
        for (int s = 0; s < kept; s++) {
            states[p][s] = new float[values[p].length];
            Arrays.fill(states[p][s], algorithm.initialState(algorithm.stateNames().get(s)));
        }
        MemorySegment[] scalars = new MemorySegment[states[p].length];
        for (int s = kept; s < states[p].length; s++) {
            // A double scalar is held as the two floats of its bytes.
            states[p][s] = new float[algorithm.scalarBytes().get(s - kept) / Float.BYTES];
            scalars[s] = MemorySegment.ofArray(states[p][s]);
        }
        algorithm.initializeScalars(lrs[g], scalars);
    }

    /**
     * What a state dict does to parameters that have not stepped: it holds no state for them (but Adagrad's), so
     * loading starts them afresh at the learning rate restored; a checkpoint keeps theirs as it was.
     */
    void startUnsteppedAfresh() {
        for (int p = 0; p < values.length; p++) {
            if (parameterSteps[p] == 0 && !removed[p]) {
                start(p);
            }
        }
    }

    /**
     * Reads an optimizer's state into a model, for comparison: its parameters, in group order, are the
     * structure's that are not {@code removed}.
     */
    static OptimizerModel of(Structure structure, Optimizer optimizer, boolean[] removed) {
        List<Parameter> live = new ArrayList<>();
        optimizer.groups().forEach(group -> live.addAll(group.parameters()));
        List<Integer> sizes = structure.sizes().stream().flatMap(List::stream).toList();
        Parameter[] parameters = new Parameter[sizes.size()];
        float[][] values = new float[sizes.size()][];
        for (int p = 0, next = 0; p < values.length; p++) {
            parameters[p] = removed[p] || next == live.size() ? null : live.get(next++);
            values[p] = parameters[p] == null ? new float[sizes.get(p)]
                    : parameters[p].value().toArray(ValueLayout.JAVA_FLOAT);
        }
        OptimizerModel model = new OptimizerModel(structure, values);
        System.arraycopy(removed, 0, model.removed, 0, removed.length);
        for (int p = 0; p < values.length; p++) {
            Parameter parameter = parameters[p];
            if (parameter == null) {
                continue;
            }
            List<String> names = new ArrayList<>(parameter.stateNames());
            names.addAll(parameter.scalarNames());
            for (int s = 0; s < names.size(); s++) {
                model.states[p][s] = parameter.state(names.get(s)).toArray(ValueLayout.JAVA_FLOAT);
            }
            model.parameterSteps[p] = parameter.stepCount();
        }
        for (ParameterGroup group : optimizer.groups()) {
            model.lrs[group.index()] = group.lr();
        }
        model.steps = optimizer.stepCount();
        return model;
    }

    /**
     * {@code clip_grad_norm_}'s norm of the gradients of the parameters not removed, in their order, by the scalar
     * reference of PyTorch's reduction, with the first group's semantics.
     */
    private float pyTorchNorm(float[][] grads) {
        boolean laneFma = structure.groups().getFirst().semantics() == Semantics.PYTORCH_1_13;
        dev.vecoptim.kernel.NormKernel reference = new dev.vecoptim.kernel.NormKernel.Scalar();
        List<Float> norms = new ArrayList<>();
        for (int p = 0; p < grads.length; p++) {
            if (!removed[p]) {
                norms.add((float) Math.sqrt(reference.pyTorchSumOfSquares(MemorySegment.ofArray(grads[p]), 0,
                        grads[p].length, laneFma)));
            }
        }
        float[] all = new float[norms.size()];
        for (int n = 0; n < all.length; n++) {
            all[n] = norms.get(n);
        }
        return (float) Math.sqrt(reference.pyTorchSumOfSquares(MemorySegment.ofArray(all), 0, all.length, laneFma));
    }

    /** One optimizer step on these gradients, after {@code clipGradNorm(maxNorm)} when maxNorm &gt; 0. */
    void step(float[][] grads, double maxNorm) {
        for (int g = 0; g < lrs.length; g++) {
            if (schedules[g] != null) {
                lrs[g] = schedules[g].lr(steps);
            }
        }
        for (int p = 0; p < grads.length; p++) {
            if (removed[p]) {
                grads[p] = new float[0];
            }
        }
        if (maxNorm > 0) {
            float coefficient = GradientNorm.clipCoefficient(pyTorchNorm(grads), maxNorm);
            if (!(coefficient >= 1)) {
                for (float[] grad : grads) {
                    for (int i = 0; i < grad.length; i++) {
                        grad[i] *= coefficient;
                    }
                }
            }
        }
        if (structure.policy() == NonFiniteGradients.SKIP && !Double.isFinite(sumOfSquares(grads))) {
            return;
        }
        int p = 0;
        for (int g = 0; g < structure.groups().size(); g++) {
            for (int i = 0; i < structure.sizes().get(g).size(); i++, p++) {
                if (removed[p]) {
                    continue;
                }
                MemorySegment[] state = new MemorySegment[states[p].length];
                int kept = structure.groups().get(g).stateNames().size();
                for (int s = 0; s < state.length; s++) {
                    // A scalar is stepped in bytes (a double's two floats are no float[] a step takes), then copied back.
                    state[s] = s < kept ? MemorySegment.ofArray(states[p][s])
                            : MemorySegment.ofArray(new byte[4 * states[p][s].length])
                                    .copyFrom(MemorySegment.ofArray(states[p][s]));
                }
                parameterSteps[p]++;
                ScalarReference.step(structure.groups().get(g), lrs[g], MemorySegment.ofArray(values[p]),
                        MemorySegment.ofArray(grads[p]), state, parameterSteps[p]);
                for (int s = kept; s < state.length; s++) {
                    MemorySegment.ofArray(states[p][s]).copyFrom(state[s]);
                }
            }
        }
        steps++;
    }

    /** The optimizer's definition: each parameter in blocks of 65536 floats, block sums added in order. */
    static double sumOfSquares(float[][] grads) {
        double total = 0;
        for (float[] grad : grads) {
            MemorySegment segment = MemorySegment.ofArray(grad);
            for (long from = 0; from < grad.length; from += GradientNorm.BLOCK) {
                total += new NormKernel.Scalar().sumOfSquares(segment, from, Math.min(grad.length, from + GradientNorm.BLOCK));
            }
        }
        return total;
    }

    /** The index in the structure of the {@code k}-th parameter not removed. */
    static int liveIndex(boolean[] removed, int k) {
        for (int p = 0, live = 0; p < removed.length; p++) {
            if (!removed[p] && live++ == k) {
                return p;
            }
        }
        throw new IllegalArgumentException("there are not " + (k + 1) + " parameters left");
    }

    /** Removes the {@code k}-th parameter not yet removed. */
    void remove(int k) {
        removed[liveIndex(removed, k)] = true;
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof OptimizerModel that) || steps != that.steps || !Arrays.equals(removed, that.removed)
                || !Arrays.equals(lrs, that.lrs)) {
            return false;
        }
        for (int p = 0; p < values.length; p++) {
            if (removed[p]) {
                continue;
            }
            if (parameterSteps[p] != that.parameterSteps[p] || !sameBits(values[p], that.values[p])) {
                return false;
            }
            for (int s = 0; s < states[p].length; s++) {
                if (!sameBits(states[p][s], that.states[p][s])) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean sameBits(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(steps);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("steps " + steps + ", lrs " + Arrays.toString(lrs) + ", parameter steps "
                + Arrays.toString(parameterSteps) + ", removed " + Arrays.toString(removed));
        for (int p = 0; p < values.length; p++) {
            text.append("\n  p").append(p).append(" ").append(head(values[p]));
            for (float[] state : states[p]) {
                text.append(" | ").append(head(state));
            }
        }
        return text.toString();
    }

    private static String head(float[] values) {
        return Arrays.toString(Arrays.copyOf(values, Math.min(4, values.length)));
    }
}
