//go:generate go run . -out ../../kernels/ger_amd64.s -stubs ../../kernels/ger_amd64.go -pkg kernels

package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"

	"github.com/hessrnn/hessrnn/asm/internal/simd"
)

func main() {
	simd.Setup()
	for _, v := range simd.Variants() {
		ger(v)
	}
	Generate()
}

func ger(v simd.Variant) {
	t := v.T.Go
	v.TEXT("ger", fmt.Sprintf("func(a []%s, lda int, alpha %s, x, y []%s)", t, t, t),
		"adds alpha*x*yᵀ to the len(x)×len(y) row-major A with leading",
		"dimension lda, like "+v.Generic("ger")+".")
	ap := Load(Param("a").Base(), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(shift(v)), lda)
	xp := Load(Param("x").Base(), GP64())
	m := Load(Param("x").Len(), GP64())
	yp := Load(Param("y").Base(), GP64())
	alpha := v.BroadcastParam("alpha")

	const unroll = 4
	Label("row")
	TESTQ(m, m)
	JZ(LabelRef("done"))
	ti := v.Vec()
	v.Broadcast(Mem{Base: xp}, ti)
	v.Mul(ti, alpha, ti)
	n := Load(Param("y").Len(), GP64())
	acc, tmp := v.Vecs(unroll), v.Vecs(unroll)
	v.ElementLoop("elems", n, unroll, func(b simd.Block) {
		for i := 0; i < b.Vectors; i++ {
			b.Load(ap, i, acc[i])
			b.V.FMA(b.Reg(ti), b.Src(yp, i, tmp[i]), b.Reg(acc[i]))
			b.Store(acc[i], ap, i)
		}
	})
	ADDQ(lda, ap)
	ADDQ(U32(v.T.Size), xp)
	DECQ(m)
	JMP(LabelRef("row"))
	Label("done")
	simd.Ret()
}

func shift(v simd.Variant) uint64 {
	if v.T.Size == 4 {
		return 2
	}
	return 3
}
