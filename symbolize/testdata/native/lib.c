/* lib.c: a shared library with exported and static functions. */
static int __attribute__((noinline)) lib_local(int x)
{
	return x * 7 + 1;
}

int lib_exported(int x)
{
	return lib_local(x) + 2;
}

int lib_other(int x)
{
	return x - 5;
}
