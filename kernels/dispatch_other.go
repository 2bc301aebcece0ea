//go:build !amd64 || noasm || purego || !gc

package kernels

const asmAvailable = false

// bindAsm does nothing: this build has no assembly.
func bindAsm(t *[numLevels]funcs) {}
