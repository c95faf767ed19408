package dev.vecoptim.kernel;

/** The flags of a kernel that has none: a template's class data always holds a record. */
public record NoFlags() {
}
