package dev.vecoptim.step;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The checks every step makes before its first write, so that a refused step changes nothing. Fixed
 * arity rather than varargs: a step allocates nothing. A null state buffer is one the step does not use.
 */
public final class StepChecks {
    private StepChecks() {
    }

    /** Fails if a buffer the step needs is missing. */
    public static <T> T required(T buffer, String name, String because) {
        if (buffer == null) {
            throw new NullPointerException(name + " must not be null" + because);
        }
        return buffer;
    }

    /**
     * Checks the step number and every buffer (alive, accessible from this thread, whole floats, as many elements
     * as {@code param}, the state buffers' of {@code stateBytes} bytes, writable when written, disjoint from every
     * other) and returns the element count.
     */
    public static long elements(long step, int stateBytes, MemorySegment param, MemorySegment grad,
                                String name1, MemorySegment state1, String name2, MemorySegment state2,
                                String name3, MemorySegment state3, String name4, MemorySegment state4) {
        if (step < 1) {
            throw new IllegalArgumentException("step must be >= 1 (PyTorch counts steps from 1), was " + step);
        }
        required(param, "param", "");
        required(grad, "grad", "");
        long bytes = usable("param", param, true, Float.BYTES);
        sameSize("grad", usable("grad", grad, false, Float.BYTES), bytes, Float.BYTES, Float.BYTES);
        sameSizeIfGiven(name1, state1, bytes, stateBytes);
        sameSizeIfGiven(name2, state2, bytes, stateBytes);
        sameSizeIfGiven(name3, state3, bytes, stateBytes);
        sameSizeIfGiven(name4, state4, bytes, stateBytes);
        disjoint("param", param, "grad", grad);
        disjointFromEach("param", param, name1, state1, name2, state2, name3, state3, name4, state4);
        disjointFromEach("grad", grad, name1, state1, name2, state2, name3, state3, name4, state4);
        disjointFromEach(name1, state1, name2, state2, name3, state3, name4, state4, null, null);
        disjointFromEach(name2, state2, name3, state3, name4, state4, null, null, null, null);
        disjoint(name3, state3, name4, state4);
        return bytes / Float.BYTES;
    }

    private static void sameSizeIfGiven(String name, MemorySegment state, long paramBytes, int stateBytes) {
        if (state != null) {
            sameSize(name, usable(name, state, true, stateBytes), paramBytes, Float.BYTES, stateBytes);
        }
    }

    /** Checks {@code segment} against each of four others (any of them null: not given). */
    private static void disjointFromEach(String name, MemorySegment segment, String name1, MemorySegment other1,
                                         String name2, MemorySegment other2, String name3, MemorySegment other3,
                                         String name4, MemorySegment other4) {
        disjoint(name, segment, name1, other1);
        disjoint(name, segment, name2, other2);
        disjoint(name, segment, name3, other3);
        disjoint(name, segment, name4, other4);
    }

    /**
     * {@link #elements(long, MemorySegment, MemorySegment, String, MemorySegment, String, MemorySegment, String,
     * MemorySegment)} for any number of state buffers, named by {@code names}, followed by scalars named by
     * {@code scalarNames}, each of its {@code scalarBytes} (a float or a double), and then by a master of
     * {@code masterBytes} bytes an element unless that is 0; the parameter and its gradient hold elements of
     * {@code elementBytes} bytes, its state buffers of {@code stateBytes}.
     */
    public static long elements(long step, int elementBytes, int stateBytes, int masterBytes, MemorySegment param,
                                MemorySegment grad, List<String> names, List<String> scalarNames,
                                List<Integer> scalarBytes, MemorySegment[] state) {
        return elements(step, elementBytes, stateBytes, masterBytes, param, grad, true, names, scalarNames, scalarBytes,
                state);
    }

    /**
     * {@link #elements(long, int, int, int, MemorySegment, MemorySegment, List, List, List, MemorySegment[])} for a
     * call that reads no gradient, only the parameter and its state: a move between train and eval values.
     */
    public static long elementsWithoutGradient(int elementBytes, int stateBytes, int masterBytes, MemorySegment param,
                                               List<String> names, List<String> scalarNames,
                                               List<Integer> scalarBytes, MemorySegment[] state) {
        return elements(1, elementBytes, stateBytes, masterBytes, param, null, false, names, scalarNames, scalarBytes,
                state);
    }

    private static long elements(long step, int elementBytes, int stateBytes, int masterBytes, MemorySegment param,
                                 MemorySegment grad, boolean readsGradient, List<String> names,
                                 List<String> scalarNames, List<Integer> scalarBytes, MemorySegment[] state) {
        if (step < 1) {
            throw new IllegalArgumentException("step must be >= 1 (PyTorch counts steps from 1), was " + step);
        }
        required(state, "state", "");
        int buffers = names.size();
        int masters = masterBytes == 0 ? 0 : 1;
        if (state.length != buffers + scalarNames.size() + masters) {
            throw new IllegalArgumentException(state.length + " state buffers were given for " + buffers + " "
                    + names + (scalarNames.isEmpty() ? "" : " and " + scalarNames.size() + " scalars " + scalarNames)
                    + (masters == 0 ? "" : " and the master"));
        }
        for (int s = 0; s < state.length; s++) {
            required(state[s], name(names, scalarNames, s), "");
        }
        required(param, "param", "");
        long paramBytes = usable("param", param, true, elementBytes);
        if (readsGradient) {
            required(grad, "grad", "");
            sameSize("grad", usable("grad", grad, false, elementBytes), paramBytes, elementBytes, elementBytes);
            disjoint("param", param, "grad", grad);
        }
        for (int s = 0; s < state.length; s++) {
            String name = name(names, scalarNames, s);
            boolean master = s == buffers + scalarNames.size();
            int bufferBytes = master ? masterBytes : stateBytes;
            if (s < buffers || master) {
                sameSize(name, usable(name, state[s], true, bufferBytes), paramBytes, elementBytes, bufferBytes);
            } else {
                oneScalar(name, scalarBytes.get(s - buffers), state[s]);
            }
            disjoint("param", param, name, state[s]);
            disjoint("grad", grad, name, state[s]);
            for (int t = 0; t < s; t++) {
                disjoint(name(names, scalarNames, t), state[t], name, state[s]);
            }
        }
        return paramBytes / elementBytes;
    }

    /**
     * Checks a scalar of a typed step: one writable float or double ({@code bytes}), alive, accessible from this
     * thread and disjoint from the other buffers of the step (null ones are those it does not use).
     */
    public static void scalar(String name, int bytes, MemorySegment scalar, MemorySegment param, MemorySegment grad,
                              String otherName1, MemorySegment other1, String otherName2, MemorySegment other2,
                              String otherName3, MemorySegment other3) {
        required(scalar, name, "");
        oneScalar(name, bytes, scalar);
        disjoint("param", param, name, scalar);
        disjoint("grad", grad, name, scalar);
        disjoint(otherName1, other1, name, scalar);
        disjoint(otherName2, other2, name, scalar);
        disjoint(otherName3, other3, name, scalar);
    }

    private static String name(List<String> names, List<String> scalarNames, int s) {
        return s < names.size() ? names.get(s)
                : s < names.size() + scalarNames.size() ? scalarNames.get(s - names.size()) : "master";
    }

    private static void oneScalar(String name, int bytes, MemorySegment scalar) {
        long given = usable(name, scalar, true, bytes);
        if (given != bytes) {
            throw new IllegalArgumentException(name + " has " + given + " bytes, but it is a scalar: one "
                    + (bytes == Double.BYTES ? "double" : "float") + " (" + bytes + " bytes)");
        }
    }

    private static long usable(String name, MemorySegment buffer, boolean written, int elementBytes) {
        elementsOf(name, buffer, elementBytes);
        if (!buffer.scope().isAlive()) {
            throw new IllegalStateException(name + " cannot be used: its arena is closed");
        }
        if (!buffer.isAccessibleBy(Thread.currentThread())) {
            throw new WrongThreadException(name + " is confined to another thread than "
                    + Thread.currentThread().getName());
        }
        if (written && buffer.isReadOnly()) {
            throw new IllegalArgumentException(name + " is read-only, but the step writes it");
        }
        long bytes = buffer.byteSize();
        if (bytes % elementBytes != 0) {
            throw new IllegalArgumentException(name + " has " + bytes + " bytes, not a whole number of "
                    + unit(elementBytes));
        }
        return bytes;
    }

    /** {@return what elements of {@code elementBytes} bytes are called in a message: floats, or 2-byte elements} */
    private static String unit(int elementBytes) {
        return elementBytes == Float.BYTES ? "floats" : elementBytes == Double.BYTES ? "doubles"
                : elementBytes + "-byte elements";
    }

    /**
     * Fails if {@code buffer} lies over a Java array of another type than {@code float[]} or {@code byte[]}: its
     * elements would be read as floats. (A read-only heap segment does not show its array, and passes.)
     */
    public static void floats(String name, MemorySegment buffer) {
        elementsOf(name, buffer, Float.BYTES);
    }

    /**
     * Fails if {@code buffer} lies over a Java array whose elements are not of {@code elementBytes} bytes, other
     * than a {@code byte[]}: a {@code float[]} for float32, a {@code short[]} for 16-bit elements. (A read-only heap
     * segment does not show its array, and passes.)
     */
    public static void elementsOf(String name, MemorySegment buffer, int elementBytes) {
        if (!buffer.isNative()) {
            Object array = buffer.heapBase().orElse(null);
            Class<?> elements = switch (elementBytes) {
                case Float.BYTES -> float[].class;
                case Double.BYTES -> double[].class;
                default -> short[].class;
            };
            if (array != null && !(array instanceof byte[]) && !elements.isInstance(array)) {
                throw new IllegalArgumentException(name + " is a segment over a " + array.getClass().getSimpleName()
                        + ", but holds " + unit(elementBytes) + " for vecoptim: use memory over a "
                        + elements.getSimpleName() + " (MemorySegment.ofArray), a byte[] or native memory");
            }
        }
    }

    /** Fails unless a buffer of {@code bufferBytes}-byte elements holds as many as the parameter. */
    private static void sameSize(String name, long bytes, long paramBytes, int elementBytes, int bufferBytes) {
        long elements = paramBytes / elementBytes;
        if (bytes == elements * bufferBytes) {
            return;
        }
        if (bufferBytes == elementBytes) {
            String unit = unit(elementBytes);
            throw new IllegalArgumentException(name + " has " + bytes / elementBytes + " " + unit + " (" + bytes
                    + " bytes) but param has " + elements + " " + unit + " (" + paramBytes
                    + " bytes); every buffer of a parameter must have param's size");
        }
        throw new IllegalArgumentException(name + " has " + bytes / bufferBytes + " " + unit(bufferBytes) + " ("
                + bytes + " bytes) but param has " + elements + " " + unit(elementBytes) + "; every buffer of a"
                + " parameter must hold as many elements as param");
    }

    private static void disjoint(String name, MemorySegment buffer, String otherName, MemorySegment other) {
        if (buffer != null && other != null && buffer.asOverlappingSlice(other).isPresent()) {
            throw new IllegalArgumentException(name + " and " + otherName
                    + " overlap; every buffer of a parameter must be separate memory");
        }
    }
}
