package dev.vecoptim.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The mutants of a kernel template, made with the JDK's ClassFile API, since PIT cannot reach a class whose
 * bytes are read and defined again as hidden classes. Each mutant changes one instruction of one method (the
 * static initializer, which only reads the class data, is left alone):
 * <ul>
 * <li>a vector operation becomes its opposite: add ↔ sub, mul ↔ div, max ↔ min;
 * <li>a fused multiply-add (vector or {@code Math.fma}) becomes a multiply then an add, rounded twice;
 * <li>a unary vector operation ({@code neg}, {@code sqrt}, {@code abs}) is dropped;
 * <li>a store ({@code PanamaLanes.store}) is dropped;
 * <li>a conditional branch is negated.
 * </ul>
 */
final class TemplateMutants {
    private static final ClassDesc OPERATIONS = ClassDesc.of(MutantOperations.class.getName());
    private static final ClassDesc LANES = ClassDesc.of(PanamaLanes.class.getName());
    private static final Map<String, String> OPPOSITES = Map.of("add", "sub", "sub", "add", "mul", "div",
            "div", "mul", "max", "min", "min", "max");
    private static final List<String> UNARY = List.of("neg", "sqrt", "abs");
    private static final Map<Opcode, Opcode> NEGATED = negations();

    /** One mutant: where it is and what it changed, e.g. {@code step: 2nd FloatVector.fma → mul then add}. */
    record Mutant(String template, String description, byte[] bytes) {
        @Override
        public String toString() {
            return template + "." + description;
        }
    }

    private TemplateMutants() {
    }

    /** Every mutant of the template class {@code template} ({@code "AdamVector"}, ...). */
    static List<Mutant> of(String template) {
        byte[] original = read(template);
        ClassFile classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                ClassHierarchyResolver.ofClassLoading(MethodHandles.lookup())));
        ClassModel model = classFile.parse(original);
        List<Mutant> mutants = new ArrayList<>();
        for (MethodModel method : model.methods()) {
            String name = method.methodName().stringValue();
            if (name.equals("<clinit>") || method.code().isEmpty()) {
                continue;
            }
            List<CodeElement> elements = method.code().orElseThrow().elementList();
            Map<String, Integer> occurrences = new HashMap<>();
            for (int index = 0; index < elements.size(); index++) {
                String change = change(elements.get(index));
                if (change == null) {
                    continue;
                }
                int occurrence = occurrences.merge(name + change, 1, Integer::sum);
                int site = index;
                byte[] bytes = classFile.transformClass(model, ClassTransform.transformingMethodBodies(
                        candidate -> candidate == method, CodeTransform.ofStateful(() -> new SiteMutation(site))));
                mutants.add(new Mutant(template, name + ": " + ordinal(occurrence) + " " + change, bytes));
            }
        }
        return mutants;
    }

    /** What mutating this element does, or null if it is not mutated. */
    private static String change(CodeElement element) {
        if (element instanceof BranchInstruction branch && NEGATED.containsKey(branch.opcode())) {
            return branch.opcode().name().toLowerCase(java.util.Locale.ROOT) + " negated";
        }
        if (!(element instanceof InvokeInstruction invoke)) {
            return null;
        }
        String owner = invoke.owner().asSymbol().displayName();
        String method = invoke.name().stringValue();
        boolean vector = owner.equals("FloatVector") || owner.equals("DoubleVector");
        if (vector && OPPOSITES.containsKey(method)) {
            return owner + "." + method + " → " + OPPOSITES.get(method);
        }
        if (vector && method.equals("fma") || owner.equals("Math") && method.equals("fma")) {
            return owner + ".fma → mul then add";
        }
        if (vector && UNARY.contains(method) && invoke.typeSymbol().parameterCount() == 0) {
            return owner + "." + method + " dropped";
        }
        if (invoke.owner().asSymbol().equals(LANES) && method.equals("store")) {
            return "PanamaLanes.store dropped";
        }
        return null;
    }

    /** Rewrites the element at index {@code site} of one method's code, and copies every other. */
    private static final class SiteMutation implements CodeTransform {
        private final int site;
        private int index;

        SiteMutation(int site) {
            this.site = site;
        }

        @Override
        public void accept(CodeBuilder builder, CodeElement element) {
            if (index++ != site) {
                builder.with(element);
            } else if (element instanceof BranchInstruction branch) {
                builder.branch(NEGATED.get(branch.opcode()), branch.target());
            } else {
                mutate(builder, (InvokeInstruction) element);
            }
        }

        private static void mutate(CodeBuilder builder, InvokeInstruction invoke) {
            String method = invoke.name().stringValue();
            MethodTypeDesc type = invoke.typeSymbol();
            if (OPPOSITES.containsKey(method)) {
                builder.invoke(invoke.opcode(), invoke.owner().asSymbol(), OPPOSITES.get(method), type,
                        invoke.isInterface());
            } else if (method.equals("fma") && invoke.opcode() == Opcode.INVOKEVIRTUAL) {
                builder.invokestatic(OPERATIONS, "mulThenAdd", type.insertParameterTypes(0, invoke.owner().asSymbol()));
            } else if (method.equals("fma")) {
                builder.invokestatic(OPERATIONS, "mulThenAdd", type);
            } else if (method.equals("store")) {
                // PanamaLanes.store(FloatVector lanes, MemorySegment segment, long index): drop the arguments instead.
                builder.pop2().pop().pop();
            }
            // A unary operation is dropped: its receiver stays on the stack as its result.
        }
    }

    private static Map<Opcode, Opcode> negations() {
        Map<Opcode, Opcode> negated = new HashMap<>();
        Opcode[][] pairs = {{Opcode.IFEQ, Opcode.IFNE}, {Opcode.IFLT, Opcode.IFGE}, {Opcode.IFGT, Opcode.IFLE},
            {Opcode.IF_ICMPEQ, Opcode.IF_ICMPNE}, {Opcode.IF_ICMPLT, Opcode.IF_ICMPGE},
            {Opcode.IF_ICMPGT, Opcode.IF_ICMPLE}, {Opcode.IFNULL, Opcode.IFNONNULL},
            {Opcode.IF_ACMPEQ, Opcode.IF_ACMPNE}};
        for (Opcode[] pair : pairs) {
            negated.put(pair[0], pair[1]);
            negated.put(pair[1], pair[0]);
        }
        return Map.copyOf(negated);
    }

    private static String ordinal(int n) {
        return n + (n % 100 / 10 == 1 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        });
    }

    static byte[] read(String template) {
        try (InputStream in = TemplateMutants.class.getResourceAsStream(template + ".class")) {
            if (in == null) {
                throw new IllegalStateException(template + ".class is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
