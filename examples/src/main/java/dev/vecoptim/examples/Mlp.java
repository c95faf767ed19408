package dev.vecoptim.examples;

import dev.vecoptim.Parameter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Random;

/**
 * A two-layer perceptron for points of the plane: {@code hidden} tanh units, then one logit, trained with the binary
 * cross-entropy of the logit (PyTorch's {@code BCEWithLogitsLoss}). Its four tensors are parameters of an optimizer;
 * a backward pass reads their values and writes their gradients.
 *
 * @param w1 the first layer's weights, {@code hidden × 2}, row-major
 * @param b1 the first layer's biases, {@code hidden}
 * @param w2 the second layer's weights, {@code hidden}
 * @param b2 the second layer's bias, one element
 */
public record Mlp(Parameter w1, Parameter b1, Parameter w2, Parameter b2) {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    /** Sets the weights as PyTorch's {@code nn.Linear} does: uniform in ±1/√fan-in, biases too. */
    public void initialize(long seed) {
        Random random = new Random(seed);
        double hidden = b1.elementCount();
        fillUniform(w1.value(), 1 / Math.sqrt(2), random);
        fillUniform(b1.value(), 1 / Math.sqrt(2), random);
        fillUniform(w2.value(), 1 / Math.sqrt(hidden), random);
        fillUniform(b2.value(), 1 / Math.sqrt(hidden), random);
    }

    private static void fillUniform(MemorySegment tensor, double bound, Random random) {
        for (long i = 0; i < tensor.byteSize() / Float.BYTES; i++) {
            tensor.setAtIndex(F, i, (float) ((2 * random.nextDouble() - 1) * bound));
        }
    }

    /**
     * The mean loss over the points {@code batch} of {@code data}; writes its gradient with respect to every
     * parameter into the parameters' gradients, replacing what they held.
     */
    public double lossAndGradient(Spirals data, int[] batch) {
        Weights weights = new Weights();
        float[] gw1 = new float[weights.w1.length];
        float[] gb1 = new float[weights.b1.length];
        float[] gw2 = new float[weights.w2.length];
        float gb2 = 0;
        float[] h = new float[weights.b1.length];
        double loss = 0;
        for (int i : batch) {
            float x0 = data.x()[2 * i];
            float x1 = data.x()[2 * i + 1];
            float z = weights.logit(x0, x1, h);
            loss += loss(z, data.y()[i]);
            // d loss / d z = sigmoid(z) - y, then back through the layers
            float dz = (float) ((1 / (1 + Math.exp(-z)) - data.y()[i]) / batch.length);
            gb2 += dz;
            for (int k = 0; k < h.length; k++) {
                gw2[k] += dz * h[k];
                float da = dz * weights.w2[k] * (1 - h[k] * h[k]);
                gw1[2 * k] += da * x0;
                gw1[2 * k + 1] += da * x1;
                gb1[k] += da;
            }
        }
        MemorySegment.copy(gw1, 0, w1.grad(), F, 0, gw1.length);
        MemorySegment.copy(gb1, 0, b1.grad(), F, 0, gb1.length);
        MemorySegment.copy(gw2, 0, w2.grad(), F, 0, gw2.length);
        b2.grad().setAtIndex(F, 0, gb2);
        return loss / batch.length;
    }

    /** The mean loss over all points of {@code data}. */
    public double loss(Spirals data) {
        Weights weights = new Weights();
        float[] h = new float[weights.b1.length];
        double loss = 0;
        for (int i = 0; i < data.size(); i++) {
            loss += loss(weights.logit(data.x()[2 * i], data.x()[2 * i + 1], h), data.y()[i]);
        }
        return loss / data.size();
    }

    /** The fraction of the points of {@code data} whose class the sign of the logit gives. */
    public double accuracy(Spirals data) {
        Weights weights = new Weights();
        float[] h = new float[weights.b1.length];
        int correct = 0;
        for (int i = 0; i < data.size(); i++) {
            float z = weights.logit(data.x()[2 * i], data.x()[2 * i + 1], h);
            correct += (z > 0) == (data.y()[i] == 1) ? 1 : 0;
        }
        return (double) correct / data.size();
    }

    /** The parameters' values: w1, b1, w2 and b2, one after the other. */
    public float[] values() {
        List<Parameter> tensors = List.of(w1, b1, w2, b2);
        FloatBuffer values = FloatBuffer.allocate(tensors.stream().mapToInt(p -> (int) p.elementCount()).sum());
        tensors.forEach(p -> values.put(p.value().toArray(F)));
        return values.array();
    }

    /** Binary cross-entropy of the logit z for the class y, written so that no exp overflows. */
    private static double loss(float z, float y) {
        return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /** The parameters' values, read once for a pass over many points. */
    private final class Weights {
        final float[] w1 = Mlp.this.w1.value().toArray(F);
        final float[] b1 = Mlp.this.b1.value().toArray(F);
        final float[] w2 = Mlp.this.w2.value().toArray(F);
        final float b2 = Mlp.this.b2.value().getAtIndex(F, 0);

        /** The logit of the point (x0, x1), the hidden units' outputs left in {@code h}. */
        float logit(float x0, float x1, float[] h) {
            float z = b2;
            for (int k = 0; k < h.length; k++) {
                h[k] = (float) Math.tanh(w1[2 * k] * x0 + w1[2 * k + 1] * x1 + b1[k]);
                z += w2[k] * h[k];
            }
            return z;
        }
    }
}
