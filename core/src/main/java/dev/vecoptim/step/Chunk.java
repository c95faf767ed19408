package dev.vecoptim.step;

/**
 * Elements {@code [from, to)} of a parameter ({@code P}, the API's type of one): a unit of work that one thread does.
 *
 * @param index the chunk's position in the list it belongs to, where its result goes (norm blocks)
 * @param confined whether the parameter's memory is confined to one thread, which must then do this work
 */
public record Chunk<P>(P parameter, long from, long to, int index, boolean confined) {
}
