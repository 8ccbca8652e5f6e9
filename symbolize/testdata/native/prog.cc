// prog.cc: the C++ program the native symbolizer tests build.
#include <cstdio>
#include <vector>

namespace flame {
template <typename T> class Box {
public:
	explicit Box(T v) : v_(v) {}
	__attribute__((noipa)) T twice(int n) const { return v_ * n * 2; }
private:
	T v_;
};

__attribute__((noipa)) long sum(const std::vector<int> &v)
{
	long s = 0;
	for (int x : v)
		s += x;
	return s;
}
} // namespace flame

int main(int argc, char **)
{
	flame::Box<long> b(argc);
	std::vector<int> v(10, argc);
	std::printf("%ld %ld\n", b.twice(3), flame::sum(v));
	return 0;
}
