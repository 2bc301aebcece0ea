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
// single vectors, then a masked AVX-512 tail or a scalar AVX2 tail). The
// AVX-512 variants also come as trace2, which walks two rows at once,
// sharing the loads of v, and prefetches both rows of E and G ahead of the
// loads (see rows2).
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
		trace(v, false)
		if v.ISA.Is512() {
			trace(v, true)
		}
	}
	Generate()
}

// trace emits the kernel "trace", or with twoRows "trace2", which walks two
// rows at a time (see rows2) and suits traces that fit in L2.
func trace(v simd.Variant, twoRows bool) {
	t := v.T.Go
	name, how := "trace", "one row at a time"
	if twoRows {
		name, how = "trace2", "two rows at a time with prefetch, for traces in L2"
	}
	v.TEXT(name, fmt.Sprintf("func(e []%s, lde int, g []%s, ldg int, c, d, p, q, v []%s)", t, t, t),
		"advances the len(c)×len(v) traces E (leading dimension lde) and",
		"accumulates them into G (leading dimension ldg), like "+v.Generic("trace")+",",
		how+".")
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
	if twoRows {
		rows2(v, ep, lde, gp, ldg, vp, rows, i)
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

// prefetchAhead is how far (bytes) ahead of the current block the AVX-512
// two-row loop prefetches each of its four rows into L1 with PREFETCHT0:
// two blocks of 4 vectors. Measured on Zen 5 (BenchmarkTracePaired, float32
// 256x256, E and G in L2): 256-512 bytes ahead is 4-6% faster than no
// prefetch, 1024 and more no better, PREFETCHT1 10% slower.
const prefetchAhead = 512

// rows2 emits the loop "row2" that advances rows i and i+1 together while
// at least two remain (the single-row loop "row" finishes an odd last row).
// Each vector of v is loaded once for both rows and the per-row setup
// (coefficient broadcasts, loop exits) is paid once per two rows: measured
// 10-12% faster than one row at a time on Zen 5 at 256x256 float32 (E and G
// in L2), but 5-15% slower at 1024x1024 (E and G in L3 and DRAM, where four
// interleaved streams lose to two), so kernels.Trace picks trace2 only for
// traces that fit in L2. It needs 8 coefficient, 4 v, 8 E, 8 G and 1 spare
// vector registers, so only the 32-register AVX-512 variants have it.
func rows2(v simd.Variant, ep, lde, gp, ldg, vp, rows, i reg.Register) {
	Label("row2")
	last := GP64()
	LEAQ(Mem{Base: i, Disp: 1}, last)
	CMPQ(last, rows)
	JGE(LabelRef("row"))
	coef := func(name string, r int) reg.VecVirtual {
		base := Load(Param(name).Base(), GP64())
		x := v.Vec()
		v.Broadcast(Mem{Base: base, Index: i, Scale: uint8(v.T.Size), Disp: r * v.T.Size}, x)
		return x
	}
	var bc, bd, bp, bq [2]reg.VecVirtual
	for r := range 2 {
		bc[r], bd[r], bp[r], bq[r] = coef("c", r), coef("d", r), coef("p", r), coef("q", r)
	}
	ep2, gp2 := GP64(), GP64()
	LEAQ(Mem{Base: ep, Index: lde, Scale: 1}, ep2)
	LEAQ(Mem{Base: gp, Index: ldg, Scale: 1}, gp2)
	n := Load(Param("v").Len(), GP64())
	const unroll = 4
	vv := v.Vecs(unroll)
	var ev, gv [2][]reg.VecVirtual
	for r := range 2 {
		ev[r], gv[r] = v.Vecs(unroll), v.Vecs(unroll)
	}
	eps, gps := [2]reg.Register{ep, ep2}, [2]reg.Register{gp, gp2}
	old := v.Vec() // G for masked blocks, which cannot use a memory operand
	v.ElementLoop("elems2", n, unroll, func(b simd.Block) {
		for u := 0; u < b.Vectors; u++ {
			b.Load(vp, u, vv[u])
			for r := range 2 {
				b.Load(eps[r], u, ev[r][u])
			}
		}
		if b.Vectors > 1 {
			for u := 0; u < b.Vectors; u++ {
				for r := range 2 {
					for _, base := range []reg.Register{eps[r], gps[r]} {
						m := b.Mem(base, u)
						m.Disp += prefetchAhead
						PREFETCHT0(m)
					}
				}
			}
		}
		for u := 0; u < b.Vectors; u++ {
			V := b.Reg(vv[u])
			for r := range 2 {
				E, G := b.Reg(ev[r][u]), b.Reg(gv[r][u])
				b.V.Mul(E, b.Reg(bc[r]), E)
				b.V.FMA(b.Reg(bd[r]), V, E)
				b.V.Mul(V, b.Reg(bq[r]), G)
				b.V.FMA(b.Reg(bp[r]), E, G)
				b.V.Add(G, b.Src(gps[r], u, old), G)
			}
		}
		for u := 0; u < b.Vectors; u++ {
			for r := range 2 {
				b.Store(ev[r][u], eps[r], u)
				b.Store(gv[r][u], gps[r], u)
			}
		}
	})
	LEAQ(Mem{Base: ep, Index: lde, Scale: 2}, ep)
	LEAQ(Mem{Base: gp, Index: ldg, Scale: 2}, gp)
	ADDQ(U8(2), i)
	JMP(LabelRef("row2"))
}

func shift(v simd.Variant) uint64 {
	if v.T.Size == 4 {
		return 2
	}
	return 3
}
