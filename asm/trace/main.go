//go:generate go run . -out ../../kernels/trace_amd64.s -stubs ../../kernels/trace_amd64.go -pkg kernels

// Command trace generates kernels/trace_amd64.s and its stubs: the AVX2+FMA
// and AVX-512 fused eligibility-trace kernels strace and dtrace, which for
// i < len(c), j < len(v) do
//
//	E[i, j] = c[i]*E[i, j] + d[i]*v[j]
//	G[i, j] += p[i]*E[i, j] + q[i]*v[j]
//
// in one pass: each element of E and G is loaded and stored once. Row i
// broadcasts c[i], d[i], p[i], q[i] and walks the row with
// simd.Variant.ElementLoop (blocks of 4 vectors at AVX-512 and 2 at AVX2,
// single vectors, then a masked AVX-512 tail or a scalar AVX2 tail).
//
// Rounding: e = fma(d, v, c*E); G = G + fma(p, e, q*v). The reference
// traceGeneric rounds every product and sum; here two products are fused.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/hessrnn/hessrnn/asm/internal/simd"
)

func main() {
	simd.Setup()
	for _, v := range simd.Variants() {
		trace(v)
	}
	Generate()
}

func trace(v simd.Variant) {
	t := v.T.Go
	v.TEXT("trace", fmt.Sprintf("func(e []%s, lde int, g []%s, ldg int, c, d, p, q, v []%s)", t, t, t),
		"advances the len(c)×len(v) traces E (leading dimension lde) and",
		"accumulates them into G (leading dimension ldg), like "+v.Generic("trace")+".")
	ep := Load(Param("e").Base(), GP64())
	lde := Load(Param("lde"), GP64())
	SHLQ(U8(shift(v)), lde)
	gp := Load(Param("g").Base(), GP64())
	ldg := Load(Param("ldg"), GP64())
	SHLQ(U8(shift(v)), ldg)
	vp := Load(Param("v").Base(), GP64())
	rows := Load(Param("c").Len(), GP64())
	i := GP64()
	XORQ(i, i)

	unroll := 2
	if v.ISA.Is512() {
		unroll = 4
	}
	Label("row")
	CMPQ(i, rows)
	JGE(LabelRef("done"))
	coef := func(name string) reg.VecVirtual {
		base := Load(Param(name).Base(), GP64())
		r := v.Vec()
		v.Broadcast(Mem{Base: base, Index: i, Scale: uint8(v.T.Size)}, r)
		return r
	}
	bc, bd, bp, bq := coef("c"), coef("d"), coef("p"), coef("q")
	n := Load(Param("v").Len(), GP64())
	vv, ev, gv, tmp := v.Vecs(unroll), v.Vecs(unroll), v.Vecs(unroll), v.Vecs(unroll)
	v.ElementLoop("elems", n, unroll, func(b simd.Block) {
		if b.Vectors > 1 {
			// Whole blocks load every v, E and G first, compute, then
			// store: measured 1-9% faster on Zen 5 than storing each
			// vector's E before loading its G.
			for u := 0; u < b.Vectors; u++ {
				b.Load(vp, u, vv[u])
				b.Load(ep, u, ev[u])
				b.Load(gp, u, tmp[u])
			}
			for u := 0; u < b.Vectors; u++ {
				V, E, G := b.Reg(vv[u]), b.Reg(ev[u]), b.Reg(gv[u])
				b.V.Mul(E, b.Reg(bc), E)
				b.V.FMA(b.Reg(bd), V, E)
				b.V.Mul(V, b.Reg(bq), G)
				b.V.FMA(b.Reg(bp), E, G)
				b.V.Add(G, b.Reg(tmp[u]), G)
			}
			for u := 0; u < b.Vectors; u++ {
				b.Store(ev[u], ep, u)
				b.Store(gv[u], gp, u)
			}
			return
		}
		for u := 0; u < b.Vectors; u++ {
			b.Load(vp, u, vv[u])
			b.Load(ep, u, ev[u])
			V, E, G := b.Reg(vv[u]), b.Reg(ev[u]), b.Reg(gv[u])
			b.V.Mul(E, b.Reg(bc), E)
			b.V.FMA(b.Reg(bd), V, E)
			b.Store(ev[u], ep, u)
			b.V.Mul(V, b.Reg(bq), G)
			b.V.FMA(b.Reg(bp), E, G)
			b.V.Add(G, b.Src(gp, u, tmp[u]), G)
			b.Store(gv[u], gp, u)
		}
	})
	ADDQ(lde, ep)
	ADDQ(ldg, gp)
	INCQ(i)
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
