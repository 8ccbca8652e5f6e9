// Package kallsyms reads the kernel's symbol list, /proc/kallsyms: the
// functions of the kernel image, of its modules and of its BPF programs,
// each named by its start address (kallsyms gives no sizes: a function
// ends where the next symbol starts). [Parse] reads it into a [Table],
// whose [Table.Lookup] names an address and [Table.Modules] its module.
//
// The names of a recent kernel take a few MiB: a Table keeps them in one
// string, each function in 16 bytes, and stores NAME as the end of the
// __pfx_NAME before it (the padding kernels built with function padding put
// before each function, about half of the names).
package kallsyms
