/*
 * The calibration the report's numbers are read against: Adam's and RMSProp's updates (the same roundings
 * as vecoptim: explicit fmaf, everything else rounded per operation) and the Adam-shaped roofline, as plain
 * C loops for gcc to vectorize. Build and run (the barrier between steps keeps gcc from fusing steps):
 *
 *   gcc -O3 -march=native -ffp-contract=off -fno-math-errno -o /tmp/loops jmh/calibration/loops.c -lm
 *   /tmp/loops 4096 200000; /tmp/loops 67108864 10
 *
 * -fno-math-errno lets sqrtf vectorize; without it gcc keeps these loops scalar.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((noinline)) static void adam(float *restrict p, const float *restrict g, float *restrict m,
                                           float *restrict v, long n, float b1, float b1c, float b2, float b2c,
                                           float bc2s, float eps, float neg_step) {
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        float mi = fmaf(gi, b1c, m[i] * b1);
        m[i] = mi;
        float vi = fmaf(b2c * gi, gi, v[i] * b2);
        v[i] = vi;
        p[i] = p[i] + neg_step * mi / (sqrtf(vi) / bc2s + eps);
    }
}

__attribute__((noinline)) static void rmsprop(float *restrict p, const float *restrict g, float *restrict sq,
                                              long n, float a, float ac, float eps, float neg_lr) {
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        float s = fmaf(ac * gi, gi, sq[i] * a);
        sq[i] = s;
        p[i] = p[i] + neg_lr * gi / (sqrtf(s) + eps);
    }
}

__attribute__((noinline)) static void roofline(float *restrict p, const float *restrict g, float *restrict m,
                                               float *restrict v, long n) {
    for (long i = 0; i < n; i++) {
        float gi = g[i];
        p[i] += gi;
        m[i] += gi;
        v[i] += gi;
    }
}

#define STEPS(call)                              \
    do {                                         \
        for (int r = 0; r < reps; r++) {         \
            call;                                \
            __asm__ volatile("" ::: "memory");   \
        }                                        \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s floats steps\n", argv[0]);
        return 2;
    }
    long n = atol(argv[1]);
    int reps = atoi(argv[2]);
    float *p = aligned_alloc(64, n * 4), *g = aligned_alloc(64, n * 4);
    float *m = aligned_alloc(64, n * 4), *v = aligned_alloc(64, n * 4);
    for (long i = 0; i < n; i++) {
        p[i] = 0.1f * (float) ((i * 7919) % 1000) / 1000;
        g[i] = 0.01f * (float) ((i * 104729) % 1000) / 1000 - 0.005f;
        m[i] = 1e-4f;
        v[i] = 1e-4f;
    }
    for (int round = 0; round < 3; round++) {
        double t0 = now();
        STEPS(adam(p, g, m, v, n, 0.9f, 0.1f, 0.999f, 0.001f, 0.1f, 1e-8f, -0.001f));
        double t1 = now();
        STEPS(rmsprop(p, g, v, n, 0.99f, 0.01f, 1e-8f, -0.01f));
        double t2 = now();
        STEPS(roofline(p, g, m, v, n));
        double t3 = now();
        double elements = (double) n * reps / 1e9;
        printf("%ld floats: adam %.2f Gelem/s, rmsprop %.2f Gelem/s, adam-shaped roofline %.2f Gelem/s [%g]\n", n,
               elements / (t1 - t0), elements / (t2 - t1), elements / (t3 - t2), p[n / 2]);
    }
    return 0;
}
