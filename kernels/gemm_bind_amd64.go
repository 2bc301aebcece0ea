//go:build !noasm && !purego && gc

package kernels

// bindGemm installs the assembly kernels of the gemm family (none yet).
func bindGemm(t *[numLevels]funcs) {}
