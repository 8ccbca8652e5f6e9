/* nested.S: symbols inside another symbol's range, as hand-written
   assembly and some compilers make them: outer holds inner (sized) and
   outer_label (a sizeless local label). */
	.text
	.globl	outer
	.type	outer, @function
outer:
	nop
	nop
	.type	inner, @function
inner:
	nop
	nop
	nop
	ret
	.size	inner, .-inner
	nop
outer_label:
	nop
	nop
	ret
	.size	outer, .-outer
	.globl	after
	.type	after, @function
after:
	ret
	.size	after, .-after
	.section .note.GNU-stack,"",@progbits
