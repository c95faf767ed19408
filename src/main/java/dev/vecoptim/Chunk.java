package dev.vecoptim;

/**
 * Elements {@code [from, to)} of a parameter: a unit of work that one thread does.
 *
 * @param block the chunk's index within its parameter, where its result goes (norm blocks)
 */
record Chunk(Parameter parameter, long from, long to, int block) {
}
