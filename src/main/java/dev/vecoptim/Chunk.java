package dev.vecoptim;

/**
 * Elements {@code [from, to)} of a parameter: a unit of work that one thread does.
 *
 * @param index the chunk's position in the list it belongs to, where its result goes (norm blocks)
 * @param confined whether the parameter's memory is confined to one thread, which must then do this work
 */
record Chunk(Parameter parameter, long from, long to, int index, boolean confined) {
}
