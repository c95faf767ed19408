package dev.vecoptim.examples;

import dev.vecoptim.Adam;
import dev.vecoptim.Optimizer;
import dev.vecoptim.Parameter;
import dev.vecoptim.ParameterGroup;
import dev.vecoptim.Schedulers;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Trains a {@link Mlp} to tell two {@link Spirals} apart, as a PyTorch script would with
 * {@code AdamW([{"params": weights, "weight_decay": 1e-4}, {"params": biases, "weight_decay": 0}], lr=0.1)},
 * {@code OneCycleLR(optimizer, max_lr=0.1, total_steps=4000)} and {@code clip_grad_norm_(params, 1.0)}, in
 * mini-batches of 50 points drawn without replacement each epoch. It may stop after any step, saving a checkpoint,
 * and a later run resumes from that checkpoint exactly: the same steps as a run that never stopped, bit for bit.
 *
 * <p>{@code java --add-modules jdk.incubator.vector -cp ... dev.vecoptim.examples.TrainSpirals [CHECKPOINT [STOP]]}
 * trains from the checkpoint (default {@code spirals.ckpt}) if it exists, or from the start, up to step STOP (default
 * all 4,000), then saves the checkpoint.
 */
public final class TrainSpirals {
    /** The steps of the whole run, which the one-cycle schedule spans. */
    public static final long TOTAL_STEPS = 4000;
    private static final double MAX_LR = 0.1;
    private static final int HIDDEN = 64;
    private static final int BATCH = 50;
    private static final long SEED = 7;

    private TrainSpirals() {}

    /**
     * Runs the example.
     *
     * @param args the checkpoint's path and the step to stop after, both optional
     * @throws IOException if the checkpoint cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Path checkpoint = Path.of(args.length > 0 ? args[0] : "spirals.ckpt");
        long stop = args.length > 1 ? Long.parseLong(args[1]) : TOTAL_STEPS;
        train(checkpoint, stop, System.out);
    }

    /**
     * Trains up to step {@code stop}, from {@code checkpoint} if it exists, saves the checkpoint and prints the
     * progress to {@code out}.
     *
     * @return the trained parameters' values, as {@link Mlp#values()} gives them
     */
    public static float[] train(Path checkpoint, long stop, PrintStream out) throws IOException {
        Spirals training = Spirals.generate(500, 0.02, SEED);
        Spirals test = Spirals.generate(250, 0.02, SEED + 1);
        try (Optimizer optimizer = Optimizer.builder().maxGradNorm(1.0).build()) {
            ParameterGroup weights = optimizer.addGroup(Adam.adamWBuilder().lr(MAX_LR).weightDecay(1e-4).build());
            ParameterGroup biases = optimizer.addGroup(Adam.adamWBuilder().lr(MAX_LR).weightDecay(0).build());
            List<Parameter> w = weights.allocate(2L * HIDDEN, HIDDEN);
            List<Parameter> b = biases.allocate(HIDDEN, 1);
            Mlp model = new Mlp(w.get(0), b.get(0), w.get(1), b.get(1));
            model.initialize(SEED);
            // PyTorch's OneCycleLR defaults: warm-up from MAX_LR / 25 to MAX_LR over the first 30% of the steps, cosine
            // annealing to MAX_LR / (25 · 10⁴) after, and Adam's β1 cycled from 0.95 down to 0.85 and back.
            for (ParameterGroup group : List.of(weights, biases)) {
                group.schedule(Schedulers.oneCycleLR(MAX_LR, TOTAL_STEPS, 0.3, Schedulers.Anneal.COS, 25, 1e4, false,
                        0.85, 0.95));
            }
            if (Files.exists(checkpoint)) {
                optimizer.load(checkpoint); // the values, AdamW's state, β1, the step count and so the schedule
                out.printf("resumed at step %d%n", optimizer.stepCount());
            }
            while (optimizer.stepCount() < Math.min(stop, TOTAL_STEPS)) {
                long step = optimizer.stepCount() + 1;
                model.lossAndGradient(training, batch(step, training.size()));
                double lr = weights.lr();
                optimizer.step();
                if (step % 500 == 0) {
                    out.printf("step %d: loss %.6f at lr %.6f%n", step, model.loss(training), lr);
                }
            }
            optimizer.save(checkpoint);
            out.printf("step %d: test accuracy %.3f%n", optimizer.stepCount(), model.accuracy(test));
            return model.values();
        }
    }

    /** The points of step {@code step}'s mini-batch: each epoch visits every point once, in an order of its own. */
    static int[] batch(long step, int points) {
        int perEpoch = points / BATCH;
        long epoch = (step - 1) / perEpoch;
        int[] order = IntStream.range(0, points).toArray();
        Random random = new Random(SEED * 31 + epoch);
        for (int i = points - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        int first = (int) ((step - 1) % perEpoch) * BATCH;
        return Arrays.copyOfRange(order, first, first + BATCH);
    }
}
