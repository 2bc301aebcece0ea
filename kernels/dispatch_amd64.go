//go:build !noasm && !purego && gc

package kernels

const asmAvailable = true

// bindAsm installs the assembly kernels of each family at the levels that
// implement them. Each family binds its own functions in F_bind_amd64.go.
func bindAsm(t *[numLevels]funcs) {
	bindLevel1(t)
	bindGemv(t)
	bindGemm(t)
	bindTrace(t)
}
