package dev.vecoptim.kernel;

/**
 * What a kernel's buffers hold, beside its width and flags in its identity: {@link Kernels} keys its kernels by it
 * and hands it to each vector template in its class data. Float32 is the only one yet; a dtype added here needs
 * its loads and stores in the templates and its own scalar reference, not new plumbing.
 */
public enum Dtype {
    /** IEEE 754 single precision, in the platform's byte order. */
    FLOAT32
}
