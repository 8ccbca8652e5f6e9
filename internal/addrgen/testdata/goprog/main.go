// Command goprog has generic instantiations and names holding spaces, such
// as "type:.eq.struct { ... }", for TestFunctionsMatchNmGo.
package main

import "fmt"

type pair[K comparable, V any] struct {
	k K
	v V
}

func keys[K comparable, V any](ps []pair[K, V]) []K {
	var ks []K
	for _, p := range ps {
		ks = append(ks, p.k)
	}
	return ks
}

func main() {
	anon := []struct{ a, b int }{{1, 2}}
	fmt.Println(keys([]pair[string, int]{{"a", 1}}), anon[0] == struct{ a, b int }{1, 2})
}
