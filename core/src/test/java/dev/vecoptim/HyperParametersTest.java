package dev.vecoptim;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** PyTorch's defaults, validation messages and names. */
class HyperParametersTest {

    @Test
    void defaultsArePyTorchs() {
        RmsProp rms = RmsProp.builder().build();
        Adam adam = Adam.builder().build();
        Adam adamW = Adam.adamWBuilder().build();
        Sgd sgd = Sgd.builder(0.1).build();
        Adagrad adagrad = Adagrad.builder().build();
        assertAll(
                () -> assertEquals(1e-2, adagrad.lr()), () -> assertEquals(0, adagrad.lrDecay()),
                () -> assertEquals(0, adagrad.weightDecay()), () -> assertEquals(0, adagrad.initialAccumulatorValue()),
                () -> assertEquals(1e-10, adagrad.eps()), () -> assertFalse(adagrad.maximize()),
                () -> assertEquals(1e-2, rms.lr()), () -> assertEquals(0.99, rms.alpha()),
                () -> assertEquals(1e-8, rms.eps()), () -> assertEquals(0, rms.weightDecay()),
                () -> assertEquals(0, rms.momentum()), () -> assertFalse(rms.centered()),
                () -> assertEquals(1e-3, adam.lr()), () -> assertEquals(0.9, adam.beta1()),
                () -> assertEquals(0.999, adam.beta2()), () -> assertEquals(1e-8, adam.eps()),
                () -> assertEquals(0, adam.weightDecay()), () -> assertFalse(adam.amsgrad()),
                () -> assertFalse(adam.decoupledWeightDecay()),
                () -> assertEquals(1e-2, adamW.weightDecay()), () -> assertTrue(adamW.decoupledWeightDecay()),
                () -> assertEquals(0, sgd.momentum()), () -> assertEquals(0, sgd.dampening()),
                () -> assertEquals(0, sgd.weightDecay()), () -> assertFalse(sgd.nesterov()),
                () -> assertEquals(VectorWidth.PREFERRED, sgd.vectorWidth()));
    }

    @Test
    void sgdIsValidatedWithPyTorchsMessages() {
        assertRefused("Invalid learning rate: -1.0", () -> Sgd.builder(-1).build());
        assertRefused("Invalid learning rate: nan", () -> Sgd.builder(Double.NaN).build());
        assertRefused("Invalid momentum value: -0.5", () -> Sgd.builder(0.1).momentum(-0.5).build());
        assertRefused("Invalid weight_decay value: -1e-05", () -> Sgd.builder(0.1).weightDecay(-1e-5).build());
        assertRefused("Invalid dampening value: nan", () -> Sgd.builder(0.1).dampening(Double.NaN).build());
        assertRefused("Nesterov momentum requires a momentum and zero dampening",
                () -> Sgd.builder(0.1).nesterov(true).build());
        assertRefused("Nesterov momentum requires a momentum and zero dampening",
                () -> Sgd.builder(0.1).momentum(0.9).dampening(0.1).nesterov(true).build());
    }

    @Test
    void rmsPropIsValidatedWithPyTorchsMessages() {
        assertRefused("Invalid learning rate: -0.01", () -> RmsProp.builder().lr(-0.01).build());
        assertRefused("Invalid epsilon value: -1e-08", () -> RmsProp.builder().eps(-1e-8).build());
        assertRefused("Invalid momentum value: -0.9", () -> RmsProp.builder().momentum(-0.9).build());
        assertRefused("Invalid weight_decay value: nan", () -> RmsProp.builder().weightDecay(Double.NaN).build());
        assertRefused("Invalid alpha value: -0.99", () -> RmsProp.builder().alpha(-0.99).build());
    }

    @Test
    void adamIsValidatedWithPyTorchsMessages() {
        assertRefused("Invalid learning rate: -0.001", () -> Adam.builder().lr(-1e-3).build());
        assertRefused("Invalid epsilon value: -1e-08", () -> Adam.adamWBuilder().eps(-1e-8).build());
        assertRefused("Invalid beta parameter at index 0: 1.0", () -> Adam.builder().betas(1, 0.999).build());
        assertRefused("Invalid beta parameter at index 0: -0.1", () -> Adam.builder().betas(-0.1, 0.999).build());
        assertRefused("Invalid beta parameter at index 1: 1.0", () -> Adam.builder().betas(0.9, 1).build());
        assertRefused("Invalid beta parameter at index 1: nan", () -> Adam.builder().betas(0.9, Double.NaN).build());
        assertRefused("Invalid weight_decay value: -0.01", () -> Adam.adamWBuilder().weightDecay(-0.01).build());
    }

    @Test
    void adagradIsValidatedWithPyTorchsMessages() {
        assertRefused("Invalid learning rate: -0.01", () -> Adagrad.builder().lr(-0.01).build());
        assertRefused("Invalid lr_decay value: -0.1", () -> Adagrad.builder().lrDecay(-0.1).build());
        assertRefused("Invalid weight_decay value: nan", () -> Adagrad.builder().weightDecay(Double.NaN).build());
        assertRefused("Invalid initial_accumulator_value value: -1.0",
                () -> Adagrad.builder().initialAccumulatorValue(-1).build());
        assertRefused("Invalid epsilon value: -1e-10", () -> Adagrad.builder().eps(-1e-10).build());
        // Checked in PyTorch's order: lr, lr_decay, weight_decay, initial_accumulator_value, eps.
        assertRefused("Invalid initial_accumulator_value value: -1.0",
                () -> Adagrad.builder().initialAccumulatorValue(-1).eps(-1).build());
    }

    @Test
    void adadeltaAdamaxRpropAndRAdamStartAtPyTorchsDefaults() {
        Adadelta adadelta = Adadelta.builder().build();
        Adamax adamax = Adamax.builder().build();
        Rprop rprop = Rprop.builder().build();
        RAdam radam = RAdam.builder().build();
        assertAll(
                () -> assertEquals(1.0, adadelta.lr()), () -> assertEquals(0.9, adadelta.rho()),
                () -> assertEquals(1e-6, adadelta.eps()), () -> assertEquals(0, adadelta.weightDecay()),
                () -> assertEquals(2e-3, adamax.lr()), () -> assertEquals(0.9, adamax.beta1()),
                () -> assertEquals(0.999, adamax.beta2()), () -> assertEquals(1e-8, adamax.eps()),
                () -> assertEquals(0, adamax.weightDecay()),
                () -> assertEquals(1e-2, rprop.lr()), () -> assertEquals(0.5, rprop.etaMinus()),
                () -> assertEquals(1.2, rprop.etaPlus()), () -> assertEquals(1e-6, rprop.stepSizeMin()),
                () -> assertEquals(50, rprop.stepSizeMax()),
                () -> assertEquals(1e-3, radam.lr()), () -> assertEquals(0.9, radam.beta1()),
                () -> assertEquals(0.999, radam.beta2()), () -> assertEquals(1e-8, radam.eps()),
                () -> assertEquals(0, radam.weightDecay()), () -> assertFalse(radam.decoupledWeightDecay()),
                () -> assertFalse(adadelta.maximize() || adamax.maximize() || rprop.maximize() || radam.maximize()));
    }

    @Test
    void adadeltaAdamaxRpropAndRAdamAreValidatedWithPyTorchsMessages() {
        assertRefused("Invalid learning rate: -1.0", () -> Adadelta.builder().lr(-1).build());
        assertRefused("Invalid rho value: 1.5", () -> Adadelta.builder().rho(1.5).build());
        assertRefused("Invalid rho value: nan", () -> Adadelta.builder().rho(Double.NaN).build());
        assertRefused("Invalid epsilon value: -1e-06", () -> Adadelta.builder().eps(-1e-6).build());
        assertRefused("Invalid weight_decay value: -0.1", () -> Adadelta.builder().weightDecay(-0.1).build());
        assertEquals(1.0, Adadelta.builder().rho(1).build().rho(), "rho = 1 is allowed, as in PyTorch");
        assertRefused("Invalid epsilon value: -1e-08", () -> Adamax.builder().eps(-1e-8).build());
        assertRefused("Invalid beta parameter at index 0: 1.0", () -> Adamax.builder().betas(1, 0.999).build());
        assertRefused("Invalid beta parameter at index 1: -0.5", () -> RAdam.builder().betas(0.9, -0.5).build());
        assertRefused("Invalid weight_decay value: inf",
                () -> RAdam.builder().weightDecay(Double.POSITIVE_INFINITY).build());
        assertRefused("Invalid eta values: 1.0, 1.2", () -> Rprop.builder().etas(1, 1.2).build());
        assertRefused("Invalid eta values: 0.5, 1.0", () -> Rprop.builder().etas(0.5, 1).build());
        assertRefused("Invalid eta values: 0.0, 1.2", () -> Rprop.builder().etas(0, 1.2).build());
        assertRefused("Invalid eta values: 0.5, inf", () -> Rprop.builder().etas(0.5, Double.POSITIVE_INFINITY).build());
        assertRefused("Invalid step_sizes values: 1.0, 0.5 (need 0 <= min <= max, min finite)",
                () -> Rprop.builder().stepSizes(1, 0.5).build());
        assertRefused("Invalid step_sizes values: -1e-06, 50.0 (need 0 <= min <= max, min finite)",
                () -> Rprop.builder().stepSizes(-1e-6, 50).build());
        assertEquals(Double.POSITIVE_INFINITY, Rprop.builder().stepSizes(0, Double.POSITIVE_INFINITY).build()
                .stepSizeMax(), "no largest step size");
    }

    @Test
    void nadamAndAsgdStartAtPyTorchsDefaultsAndAreValidated() {
        NAdam nadam = NAdam.builder().build();
        Asgd asgd = Asgd.builder().build();
        assertAll(
                () -> assertEquals(2e-3, nadam.lr()), () -> assertEquals(0.9, nadam.beta1()),
                () -> assertEquals(0.999, nadam.beta2()), () -> assertEquals(1e-8, nadam.eps()),
                () -> assertEquals(0, nadam.weightDecay()), () -> assertEquals(4e-3, nadam.momentumDecay()),
                () -> assertFalse(nadam.decoupledWeightDecay()), () -> assertFalse(nadam.maximize()),
                () -> assertEquals(List.of("exp_avg", "exp_avg_sq"), nadam.stateNames()),
                () -> assertEquals(List.of("mu_product"), nadam.scalarNames()),
                () -> assertEquals(1e-2, asgd.lr()), () -> assertEquals(1e-4, asgd.lambd()),
                () -> assertEquals(0.75, asgd.alpha()), () -> assertEquals(1e6, asgd.t0()),
                () -> assertEquals(0, asgd.weightDecay()), () -> assertFalse(asgd.maximize()),
                () -> assertEquals(List.of("ax"), asgd.stateNames()),
                () -> assertEquals(List.of("eta", "mu"), asgd.scalarNames()),
                () -> assertEquals(List.of(), Adam.builder().build().scalarNames()));
        assertRefused("Invalid learning rate: -0.002", () -> NAdam.builder().lr(-2e-3).build());
        assertRefused("Invalid epsilon value: -1e-08", () -> NAdam.builder().eps(-1e-8).build());
        assertRefused("Invalid beta parameter at index 1: 1.0", () -> NAdam.builder().betas(0.9, 1).build());
        assertRefused("Invalid weight_decay value: nan", () -> NAdam.builder().weightDecay(Double.NaN).build());
        assertRefused("Invalid momentum_decay value: -0.004", () -> NAdam.builder().momentumDecay(-4e-3).build());
        assertRefused("Invalid momentum_decay value: inf",
                () -> NAdam.builder().momentumDecay(Double.POSITIVE_INFINITY).build());
        assertRefused("Invalid learning rate: -0.01", () -> Asgd.builder().lr(-0.01).build());
        assertRefused("Invalid weight_decay value: -0.1", () -> Asgd.builder().weightDecay(-0.1).build());
        assertRefused("Invalid lambd value: -0.0001", () -> Asgd.builder().lambd(-1e-4).build());
        assertRefused("Invalid lambd value: inf", () -> Asgd.builder().lambd(Double.POSITIVE_INFINITY).build());
        assertRefused("Invalid alpha value: -0.75", () -> Asgd.builder().alpha(-0.75).build());
        assertRefused("Invalid alpha value: nan", () -> Asgd.builder().alpha(Double.NaN).build());
        assertRefused("Invalid t0 value: nan", () -> Asgd.builder().t0(Double.NaN).build());
        assertEquals(Double.NEGATIVE_INFINITY, Asgd.builder().t0(Double.NEGATIVE_INFINITY).build().t0(),
                "t0 of any sign: averaging from the first step on");
        assertEquals("NAdam(lr=0.002, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, momentum_decay=0.004, "
                + "decoupled_weight_decay=False, maximize=False, vector_width=PREFERRED, semantics=PYTORCH_2)",
                nadam.toString());
        assertEquals("ASGD(lr=0.01, lambd=0.0001, alpha=0.75, t0=1000000.0, weight_decay=0.0, maximize=False, "
                + "vector_width=PREFERRED, semantics=PYTORCH_2)", asgd.toString());
        assertEquals(nadam, nadam.toBuilder().build());
        assertEquals(asgd, asgd.toBuilder().build());
        assertNotEquals(nadam, nadam.toBuilder().momentumDecay(0.01).build());
        assertNotEquals(asgd, asgd.toBuilder().t0(10).build());
    }

    @Test
    void infiniteValuesAreRefusedBeforeTheyReachAParameter() {
        double inf = Double.POSITIVE_INFINITY;
        assertRefused("Invalid learning rate: inf", () -> Adam.builder().lr(inf).build());
        assertRefused("Invalid weight_decay value: inf", () -> Adam.adamWBuilder().weightDecay(inf).build());
        assertRefused("Invalid epsilon value: inf", () -> Adam.builder().eps(inf).build());
        assertRefused("Invalid learning rate: inf", () -> Sgd.builder(inf).build());
        assertRefused("Invalid momentum value: inf", () -> Sgd.builder(0.1).momentum(inf).build());
        assertRefused("Invalid dampening value: -inf", () -> Sgd.builder(0.1).dampening(-inf).build());
        assertRefused("Invalid weight_decay value: inf", () -> Sgd.builder(0.1).weightDecay(inf).build());
        assertRefused("Invalid learning rate: inf", () -> RmsProp.builder().lr(inf).build());
        assertRefused("Invalid alpha value: inf", () -> RmsProp.builder().alpha(inf).build());
        assertRefused("Invalid momentum value: inf", () -> RmsProp.builder().momentum(inf).build());
        assertRefused("Invalid weight_decay value: inf", () -> RmsProp.builder().weightDecay(inf).build());
        assertRefused("Invalid epsilon value: inf", () -> RmsProp.builder().eps(inf).build());
        assertRefused("Invalid lr_decay value: inf", () -> Adagrad.builder().lrDecay(inf).build());
        assertRefused("Invalid initial_accumulator_value value: inf",
                () -> Adagrad.builder().initialAccumulatorValue(inf).build());
        try (Optimizer optimizer = Optimizer.builder().build()) {
            ParameterGroup group = optimizer.addGroup(Adam.builder().build());
            assertRefused("Invalid learning rate: inf", () -> {
                group.lr(inf);
                return null;
            });
            assertEquals(1e-3, group.lr());
        }
    }

    @Test
    void theEdgesOfEachRangeAreAcceptedAsPyTorchAcceptsThem() {
        Adam edges = Adam.builder().lr(0).betas(0, Math.nextDown(1.0)).eps(0).weightDecay(0).build();
        assertEquals(0, edges.beta1());
        assertEquals(Math.nextDown(1.0), edges.beta2());
        assertEquals(0.5, Adam.builder().betas(0.5, 0).build().beta1());
        RmsProp rms = RmsProp.builder().lr(0).alpha(0).eps(0).momentum(0).weightDecay(0).build();
        assertEquals(0, rms.alpha());
        assertEquals(1.0, RmsProp.builder().alpha(1).build().alpha(), "alpha = 1 is allowed: square_avg never moves");
        Sgd sgd = Sgd.builder(0).momentum(0).dampening(-0.5).weightDecay(0).build();
        assertEquals(-0.5, sgd.dampening(), "PyTorch checks no sign of dampening");
        assertTrue(Sgd.builder(0.1).momentum(Double.MIN_VALUE).nesterov(true).build().nesterov());
        assertRefused("Invalid beta parameter at index 1: -1e-300", () -> Adam.builder().betas(0.9, -1e-300).build());
        assertRefused("Invalid momentum value: -5e-324", () -> Sgd.builder(0.1).momentum(-Double.MIN_VALUE).build());
    }

    @Test
    void toStringUsesPyTorchsNamesAndPythonsNotation() {
        assertEquals("Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False, "
                + "maximize=False, vector_width=PREFERRED, semantics=PYTORCH_2)", Adam.builder().build().toString());
        assertEquals("AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=True, "
                + "maximize=False, vector_width=SCALAR, semantics=PYTORCH_2)",
                Adam.adamWBuilder().amsgrad(true).vectorWidth(VectorWidth.SCALAR).build().toString());
        assertEquals("SGD(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True, maximize=False, "
                + "vector_width=PREFERRED, semantics=PYTORCH_2)", Sgd.builder(0.1).momentum(0.9).nesterov(true).build().toString());
        assertEquals("RMSprop(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0.0, momentum=0.0, centered=True, "
                + "maximize=True, vector_width=PREFERRED, semantics=PYTORCH_2)",
                RmsProp.builder().centered(true).maximize(true).build().toString());
        assertEquals("Adagrad(lr=0.01, lr_decay=0.0, eps=1e-10, weight_decay=0.0, initial_accumulator_value=0.1, "
                + "maximize=False, vector_width=PREFERRED, semantics=PYTORCH_2)",
                Adagrad.builder().initialAccumulatorValue(0.1).build().toString());
        assertEquals("Adadelta(lr=1.0, rho=0.9, eps=1e-06, weight_decay=0.0, maximize=False, vector_width=PREFERRED, "
                + "semantics=PYTORCH_2)", Adadelta.builder().build().toString());
        assertEquals("Adamax(lr=0.002, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, maximize=True, "
                + "vector_width=PREFERRED, semantics=PYTORCH_1_13)",
                Adamax.builder().maximize(true).semantics(Semantics.PYTORCH_1_13).build().toString());
        assertEquals("Rprop(lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-06, 50.0), maximize=False, "
                + "vector_width=PREFERRED, semantics=PYTORCH_2)", Rprop.builder().build().toString());
        assertEquals("RAdam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, maximize=False, "
                + "decoupled_weight_decay=True, vector_width=PREFERRED, semantics=PYTORCH_2)",
                RAdam.builder().weightDecay(0.01).decoupledWeightDecay(true).build().toString());
    }

    @Test
    void toBuilderRoundTripsAndEqualityFollowsEveryHyperParameter() {
        Sgd sgd = Sgd.builder(0.1).momentum(0.9).dampening(0.1).weightDecay(1e-4).maximize(true).build();
        RmsProp rms = RmsProp.builder().lr(0.02).alpha(0.9).eps(1e-6).momentum(0.5).centered(true).build();
        Adam adamW = Adam.adamWBuilder().lr(0.003).betas(0.8, 0.99).eps(1e-7).amsgrad(true).build();
        assertEquals(sgd, sgd.toBuilder().build());
        assertEquals(sgd.hashCode(), sgd.toBuilder().build().hashCode());
        assertEquals(rms, rms.toBuilder().build());
        assertEquals(rms.hashCode(), rms.toBuilder().build().hashCode());
        assertEquals(adamW, adamW.toBuilder().build());
        assertEquals(adamW.hashCode(), adamW.toBuilder().build().hashCode());
        assertNotEquals(sgd.hashCode(), sgd.toBuilder().lr(0.2).build().hashCode());
        assertNotEquals(rms.hashCode(), rms.toBuilder().lr(0.2).build().hashCode());
        assertNotEquals(adamW.hashCode(), adamW.toBuilder().lr(0.2).build().hashCode());
        assertNotEquals(sgd, sgd.toBuilder().lr(0.2).build());
        assertNotEquals(rms, rms.toBuilder().centered(false).build());
        Adagrad adagrad = Adagrad.builder().lr(0.03).lrDecay(0.01).weightDecay(1e-4).initialAccumulatorValue(0.1)
                .eps(1e-8).maximize(true).build();
        assertEquals(adagrad, adagrad.toBuilder().build());
        assertEquals(adagrad.hashCode(), adagrad.toBuilder().build().hashCode());
        assertNotEquals(adagrad, adagrad.toBuilder().initialAccumulatorValue(0.2).build());
        assertNotEquals(adagrad, adagrad.toBuilder().lrDecay(0).build());
        for (Algorithm algorithm : List.of(Adadelta.builder().rho(0.8).eps(1e-5).weightDecay(0.1).maximize(true).build(),
                Adamax.builder().lr(0.1).betas(0.5, 0.6).eps(1e-3).weightDecay(0.1).maximize(true).build(),
                Rprop.builder().lr(0.1).etas(0.2, 3).stepSizes(1e-3, 2).maximize(true).build(),
                RAdam.builder().lr(0.1).betas(0.5, 0.6).eps(1e-3).weightDecay(0.1).decoupledWeightDecay(true)
                        .maximize(true).build())) {
            Algorithm same = algorithm.withNamedHyperParameters(algorithm.namedHyperParameters());
            assertEquals(algorithm, same);
            assertEquals(algorithm.hashCode(), same.hashCode());
            assertNotEquals(algorithm, algorithm.withLr(0.2));
            assertNotEquals(algorithm, TestedOptimizers.withFlag(algorithm, "maximize", false));
        }
        assertEquals(Rprop.builder().etas(0.2, 3).build(), Rprop.builder().etas(0.2, 3).build().toBuilder().build());
        assertNotEquals(Rprop.builder().stepSizes(0, 1).build(), Rprop.builder().stepSizes(0, 2).build());
        assertNotEquals(Adamax.builder().betas(0.5, 0.6).build(), Adamax.builder().betas(0.5, 0.7).build());
        assertNotEquals(adamW, Adam.builder().lr(0.003).betas(0.8, 0.99).eps(1e-7).amsgrad(true)
                .weightDecay(0.01).build(), "Adam with the same numbers is not AdamW");
    }

    @Test
    void stateNamesFollowTheFlagsThatNeedThem() {
        assertEquals(List.of("square_avg"), RmsProp.builder().build().stateNames());
        assertEquals(List.of("square_avg", "grad_avg", "momentum_buffer"),
                RmsProp.builder().centered(true).momentum(0.1).build().stateNames());
        assertEquals(List.of(), Sgd.builder(0.1).build().stateNames());
        assertEquals(List.of("sum"), Adagrad.builder().build().stateNames());
        assertEquals(List.of("square_avg", "acc_delta"), Adadelta.builder().build().stateNames());
        assertEquals(List.of("exp_avg", "exp_inf"), Adamax.builder().build().stateNames());
        assertEquals(List.of("prev", "step_size"), Rprop.builder().build().stateNames());
        assertEquals(List.of("exp_avg", "exp_avg_sq"), RAdam.builder().build().stateNames());
        assertEquals(List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq"), Adam.builder().amsgrad(true).build().stateNames());
    }

    @Test
    void availableWidthsAreExactlyThoseThatResolve() {
        for (VectorWidth width : VectorWidth.values()) {
            boolean resolves;
            try {
                int bits = width.resolveBits();
                resolves = true;
                if (width.name().startsWith("BITS_")) {
                    assertEquals(Integer.parseInt(width.name().substring(5)), bits, width.name());
                }
            } catch (IllegalArgumentException | IllegalStateException refused) {
                resolves = false;
            }
            assertEquals(resolves, VectorWidth.available().contains(width), width.name());
        }
        assertEquals(0, VectorWidth.SCALAR.resolveBits());
        assertTrue(VectorWidth.PREFERRED.resolveBits() >= 128, "the tests run with SIMD");
        assertEquals(VectorWidth.available().size(), java.util.Set.copyOf(VectorWidth.available()).size(), "a width twice");
        assertTrue(VectorWidth.available().contains(VectorWidth.BITS_128), "the tests run with 128-bit vectors or more");
        assertEquals("fused jdk.incubator.vector loop, 128-bit (4 float lanes), bit for bit with PyTorch 2.x",
                Sgd.builder(0.1).vectorWidth(VectorWidth.BITS_128).build().implementation().description());
        assertEquals("scalar loop (asked for), bit for bit with PyTorch 1.13", Sgd.builder(0.1)
                .vectorWidth(VectorWidth.SCALAR).semantics(Semantics.PYTORCH_1_13).build().implementation().description());
    }

    @Test
    void implementationReportsTheWidthThatRuns() {
        assertFalse(Sgd.builder(0.1).vectorWidth(VectorWidth.SCALAR).build().implementation().vectorized());
        Implementation preferred = Adam.builder().build().implementation();
        assertEquals(VectorWidth.PREFERRED.resolveBits(), preferred.vectorBits());
        for (VectorWidth width : VectorWidth.available()) {
            Implementation implementation = RmsProp.builder().vectorWidth(width).build().implementation();
            assertEquals(width.resolveBits(), implementation.vectorBits(), width.name());
            assertEquals(Math.max(1, width.resolveBits() / 32), implementation.lanes(), width.name());
            assertTrue(implementation.description().contains(implementation.vectorized()
                    ? implementation.vectorBits() + "-bit" : "scalar"), implementation.description());
        }
    }

    private static void assertRefused(String message, Supplier<?> build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::get);
        assertEquals(message, e.getMessage());
    }
}
