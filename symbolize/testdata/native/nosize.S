/* nosize.S: an exported function without a .size, as hand-written assembly has. */
	.text
	.globl	asm_nosize
	.type	asm_nosize, @function
asm_nosize:
	nop
	nop
	nop
	ret
	.section .note.GNU-stack,"",@progbits
