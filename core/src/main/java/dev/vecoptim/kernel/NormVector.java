package dev.vecoptim.kernel;

import static dev.vecoptim.kernel.Floats.FLOAT;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector {@link NormKernel}, defined per width (128 bits or more) by {@link PanamaKernels}. Each group of
 * 16 floats is widened to doubles of the same vector shape, in as many accumulators as that takes (2 at 512
 * bits, 4 at 256, 8 at 128); lane l of accumulator a holds partial sum {@code a · doubleLanes + l}, so the
 * partial sums are those of the definition whatever the width.
 */
final class NormVector implements NormKernel {
    private static final VectorSpecies<Float> FLOATS = PanamaKernels.species(MethodHandles.lookup());
    private static final VectorSpecies<Double> DOUBLES = VectorSpecies.of(double.class, FLOATS.vectorShape());
    private static final int ACCUMULATORS = PARTIAL_SUMS / DOUBLES.length();
    private static final NormKernel TAIL = new Scalar();
    /** PyTorch's 8 lanes: one vector of 256 bits or more (of which 256 are used), two of 128. */
    private static final VectorSpecies<Float> EIGHT = FLOATS.length() < PYTORCH_LANES ? FLOATS : FloatVector.SPECIES_256;
    private static final boolean HALVES = EIGHT.length() < PYTORCH_LANES;

    @Override
    public double sumOfSquares(MemorySegment grad, long from, long to) {
        DoubleVector a0 = DoubleVector.zero(DOUBLES);
        DoubleVector a1 = a0;
        DoubleVector a2 = a0;
        DoubleVector a3 = a0;
        DoubleVector a4 = a0;
        DoubleVector a5 = a0;
        DoubleVector a6 = a0;
        DoubleVector a7 = a0;
        long groupsEnd = from + (to - from) / PARTIAL_SUMS * PARTIAL_SUMS;
        for (long group = from; group < groupsEnd; group += PARTIAL_SUMS) {
            a0 = accumulate(a0, grad, group, 0);
            a1 = accumulate(a1, grad, group, 1);
            if (ACCUMULATORS > 2) {
                a2 = accumulate(a2, grad, group, 2);
                a3 = accumulate(a3, grad, group, 3);
            }
            if (ACCUMULATORS > 4) {
                a4 = accumulate(a4, grad, group, 4);
                a5 = accumulate(a5, grad, group, 5);
                a6 = accumulate(a6, grad, group, 6);
                a7 = accumulate(a7, grad, group, 7);
            }
        }
        double total = 0;
        for (int partial = 0; partial < PARTIAL_SUMS; partial++) {
            DoubleVector accumulator = switch (partial / DOUBLES.length()) {
                case 0 -> a0;
                case 1 -> a1;
                case 2 -> a2;
                case 3 -> a3;
                case 4 -> a4;
                case 5 -> a5;
                case 6 -> a6;
                default -> a7;
            };
            double sum = accumulator.lane(partial % DOUBLES.length());
            long tail = groupsEnd + partial;
            if (tail < to) {
                double g = grad.getAtIndex(FLOAT, tail);
                sum = Math.fma(g, g, sum);
            }
            total += sum;
        }
        return total;
    }

    /** Adds the exact squares of partial sums {@code [accumulator · doubleLanes, +doubleLanes)} of a group. */
    private static DoubleVector accumulate(DoubleVector sums, MemorySegment grad, long group, int accumulator) {
        FloatVector floats = PanamaLanes.load(FLOATS, grad, group + (long) (accumulator / 2) * FLOATS.length());
        DoubleVector g = (DoubleVector) floats.convertShape(VectorOperators.F2D, DOUBLES, accumulator % 2);
        return g.fma(g, sums);
    }

    @Override
    public float pyTorchSumOfSquares(MemorySegment grad, long from, long to, boolean laneFma) {
        FloatVector low = FloatVector.zero(EIGHT);
        FloatVector high = low;
        long lanesEnd = from + (to - from) / PYTORCH_LANES * PYTORCH_LANES;
        for (long i = from; i < lanesEnd; i += PYTORCH_LANES) {
            low = squaresAdded(low, PanamaLanes.load(EIGHT, grad, i), laneFma);
            if (HALVES) {
                high = squaresAdded(high, PanamaLanes.load(EIGHT, grad, i + EIGHT.length()), laneFma);
            }
        }
        float sum = low.lane(0);
        for (int lane = 1; lane < PYTORCH_LANES; lane++) {
            sum += lane < EIGHT.length() ? low.lane(lane) : high.lane(lane - EIGHT.length());
        }
        return Scalar.pyTorchTail(sum, grad, Format.FLOAT32, lanesEnd, to);
    }

    @Override
    public void addPyTorchLanes(MemorySegment x, float[] xLanes, MemorySegment y, float[] yLanes, long from, long to,
                                boolean laneFma) {
        FloatVector xLow = FloatVector.fromArray(EIGHT, xLanes, 0);
        FloatVector xHigh = HALVES ? FloatVector.fromArray(EIGHT, xLanes, EIGHT.length()) : xLow;
        FloatVector yLow = FloatVector.fromArray(EIGHT, yLanes, 0);
        FloatVector yHigh = HALVES ? FloatVector.fromArray(EIGHT, yLanes, EIGHT.length()) : yLow;
        for (long i = from; i < to; i += PYTORCH_LANES) {
            xLow = squaresAdded(xLow, PanamaLanes.load(EIGHT, x, i), laneFma);
            yLow = squaresAdded(yLow, PanamaLanes.load(EIGHT, y, i), laneFma);
            if (HALVES) {
                xHigh = squaresAdded(xHigh, PanamaLanes.load(EIGHT, x, i + EIGHT.length()), laneFma);
                yHigh = squaresAdded(yHigh, PanamaLanes.load(EIGHT, y, i + EIGHT.length()), laneFma);
            }
        }
        xLow.intoArray(xLanes, 0);
        yLow.intoArray(yLanes, 0);
        if (HALVES) {
            xHigh.intoArray(xLanes, EIGHT.length());
            yHigh.intoArray(yLanes, EIGHT.length());
        }
    }

    private static FloatVector squaresAdded(FloatVector lanes, FloatVector g, boolean fused) {
        return fused ? g.fma(g, lanes) : lanes.add(g.mul(g));
    }

    @Override
    public void scale(MemorySegment grad, float factor, long from, long to) {
        FloatVector factors = FloatVector.broadcast(FLOATS, factor);
        long vectorEnd = from + FLOATS.loopBound(to - from);
        for (long i = from; i < vectorEnd; i += FLOATS.length()) {
            PanamaLanes.store(PanamaLanes.load(FLOATS, grad, i).mul(factors), grad, i);
        }
        TAIL.scale(grad, factor, vectorEnd, to);
    }
}
