package dev.vecoptim.examples;

import java.util.Random;

/**
 * Two interleaved spirals in the plane, one per class: a data set no straight line separates, which a small network
 * learns in a few thousand steps. Generated from a seed, so every run trains on the same points.
 *
 * @param x the points, {@code x[2i]} and {@code x[2i + 1]} the coordinates of point {@code i}
 * @param y each point's class, 0 or 1
 */
public record Spirals(float[] x, float[] y) {
    /**
     * {@code perClass} points of each spiral, a turn and a half each, at radius 0.1 to 1, jittered by Gaussian noise
     * of standard deviation {@code noise}, in random order.
     */
    public static Spirals generate(int perClass, double noise, long seed) {
        Random random = new Random(seed);
        int n = 2 * perClass;
        float[] x = new float[2 * n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            double t = random.nextDouble();
            double radius = 0.1 + 0.9 * t;
            double angle = 3 * Math.PI * t + Math.PI * label;
            x[2 * i] = (float) (radius * Math.cos(angle) + noise * random.nextGaussian());
            x[2 * i + 1] = (float) (radius * Math.sin(angle) + noise * random.nextGaussian());
            y[i] = label;
        }
        return new Spirals(x, y);
    }

    /** The number of points. */
    public int size() {
        return y.length;
    }
}
