// A C++ program that throws and catches: its functions have personality
// routines and LSDAs ('P' and 'L' augmentations) and landing pads.
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

__attribute__((noinline)) static int thrower(int n) {
	std::vector<std::string> v(n % 7 + 1, "x");
	if (n % 3 == 0)
		throw std::runtime_error("three " + v[0]);
	return (int)v.size();
}

__attribute__((noinline)) static int catcher(int n) {
	int sum = 0;
	for (int i = 0; i < n; i++) {
		try {
			sum += thrower(i);
		} catch (const std::exception &e) {
			sum -= (int)e.what()[0];
		}
	}
	return sum;
}

int main(int argc, char **argv) {
	std::printf("%d\n", catcher(argc > 1 ? std::atoi(argv[1]) : 100));
	return 0;
}
