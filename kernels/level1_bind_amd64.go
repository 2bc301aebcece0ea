//go:build !noasm && !purego && gc

package kernels

// bindLevel1 installs the assembly kernels of the level1 family (none yet).
func bindLevel1(t *[numLevels]funcs) {}
