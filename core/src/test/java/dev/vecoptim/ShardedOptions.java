package dev.vecoptim;

/**
 * How the sharded optimizer of a scenario is built, and its one-process reference: its ZeRO stage, its clipping norm
 * (0: none), its order of sums, and the part of each shard averaged at a time (0: the default).
 */
record ShardedOptions(int stage, double maxGradNorm, boolean inRankOrder, int part) {

    /** {@return the sharded optimizer's builder, stepping on one thread} */
    ShardedOptimizer.Builder sharded(World world) {
        ShardedOptimizer.Builder builder = ShardedOptimizer.builder(world).zeroStage(stage).inRankOrder(inRankOrder)
                .threads(1);
        if (maxGradNorm > 0) {
            builder.maxGradNorm(maxGradNorm);
        }
        return part > 0 ? builder.part(part) : builder;
    }

    /** {@return the one-process reference's builder: the same clipping, one thread} */
    Optimizer.Builder reference() {
        Optimizer.Builder builder = Optimizer.builder().threads(1);
        return maxGradNorm > 0 ? builder.maxGradNorm(maxGradNorm) : builder;
    }

    /** {@return whether the sums have one order, so that the sharded step must give one process's bits} */
    boolean exact(World world) {
        return inRankOrder || world.size() <= 2;
    }
}
