/**
 * The optimizers of {@code torch.optim} for float32 parameters in {@link java.lang.foreign.MemorySegment}s, bit
 * for bit equal to PyTorch's CPU results, and the optimizer object that steps a whole model.
 *
 * <h2>Where to start</h2>
 *
 * <p>A training loop builds an {@link dev.vecoptim.Optimizer}, adds a {@link dev.vecoptim.ParameterGroup} per set
 * of hyper-parameters, registers each tensor as a {@link dev.vecoptim.Parameter} (memory of the program's own, or
 * memory the optimizer allocates for a whole model at once), and calls {@link dev.vecoptim.Optimizer#step()} after
 * each backward pass:
 *
 * {@snippet :
 * try (Optimizer optimizer = Optimizer.builder().maxGradNorm(1.0).build()) {
 *     ParameterGroup layers = optimizer.addGroup(Adam.adamWBuilder().lr(1e-3).weightDecay(1e-2).build());
 *     List<Parameter> tensors = layers.allocate(4096, 4096, 1024); // values, gradients, state: one block each
 *     layers.schedule(LearningRateSchedule.cosineAnnealing(1e-3, 10_000, 1e-5));
 *     for (int step = 1; step <= 10_000; step++) {
 *         // ... write each tensors.get(i).grad() ...
 *         optimizer.step();
 *     }
 *     optimizer.save(Path.of("run.ckpt"));                 // everything, exactly; load(path) resumes
 *     optimizer.saveStateDict(Path.of("run.safetensors")); // torch.optim's state_dict(), for PyTorch
 * }
 * }
 *
 * <h2>What is here</h2>
 *
 * <ul>
 * <li>The optimizers, each an immutable set of hyper-parameters with PyTorch's names, defaults and checks, whose
 * javadoc states its update with every rounding: the subclasses of {@link dev.vecoptim.Algorithm}, which lists
 * them ({@link dev.vecoptim.Adam} for Adam, AdamW and AMSGrad, {@link dev.vecoptim.Sgd}, ...). Each also steps
 * one tensor by itself ({@code step(param, grad, state...)}); {@link dev.vecoptim.AlgorithmBuilder} holds what
 * their builders share.</li>
 * <li>The optimizer object: {@link dev.vecoptim.Optimizer} (steps, partial steps, clipping, threads, files),
 * {@link dev.vecoptim.ParameterGroup}, {@link dev.vecoptim.Parameter}, {@link dev.vecoptim.StepReport},
 * {@link dev.vecoptim.NonFiniteGradients}, {@link dev.vecoptim.LearningRateSchedule}.</li>
 * <li>Choices that apply to every optimizer: {@link dev.vecoptim.Semantics} (PyTorch 2.x's roundings or
 * 1.13's), {@link dev.vecoptim.VectorWidth} (all widths give the same bits), and
 * {@link dev.vecoptim.Implementation} (what runs).</li>
 * <li>Memory: {@link dev.vecoptim.FloatSegments} brings NIO buffers in, refusing a foreign byte order.</li>
 * <li>Files: {@link dev.vecoptim.CheckpointException}, what every refused load throws, naming the file and the
 * difference; a load restores exactly what was saved or changes nothing.</li>
 * </ul>
 *
 * <p>The JVM needs {@code --add-modules jdk.incubator.vector} on the class path (the module requires it on the
 * module path) for the vector kernels; without it the same bits come from scalar loops, and the log says why.
 */
package dev.vecoptim;
