/* prog: libstdc++ and libc linked in statically, with local, weak and
   aliased symbols, for TestFunctionsMatchNmCxx. */
#include <map>
#include <string>
#include <iostream>
struct S { S() { std::cout << "s\n"; } virtual ~S() {} };
int main(int argc, char **argv) {
	S s;
	std::map<std::string, int> m;
	m[argv[0]] = argc;
	return m.size() == 1 ? 0 : 1;
}
