//go:build !noasm && !purego && gc

package kernels

// bindGemv installs the assembly kernels of the gemv family (none yet).
func bindGemv(t *[numLevels]funcs) {}
