// Package arena keeps strings in blocks of their own: the names a
// symbolizer's object gives out live as long as the object, and copied one
// allocation each among a collection's short-lived garbage they would pin
// mostly empty spans of the heap. See [Strings].
package arena
