// Package samplertest is what the tests of the sampling backends and of
// the session share: the C programs of profile/testdata built and started,
// a resolver that names a test program's functions independently of
// package symbolize, the CPU time a process used, a cgroup or an
// unprivileged user to run in, and drains of a sampler.
package samplertest
