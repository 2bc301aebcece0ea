//go:generate go run . -out ../../kernels/trace_amd64.s -stubs ../../kernels/trace_amd64.go -pkg kernels

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

// blocking returns the number of vectors per block of the column loop
// and how far ahead (bytes, 0 for none) each full block prefetches its rows
// of E and G into L1 with PREFETCHT0. Measured on Zen 5 with the paired
// benchmark: 2 vectors without prefetch are 3-4% faster than 4 at float32
// 256×256 (E and G in L2; 1 and 3 are as fast as 2), no slower at
// 1024×1024, and keep the AVX2 variants within 16 vector registers; at
// float64, 4 vectors with a 256-byte prefetch are 2% faster at 1024×1024
// (E and G in L3 and DRAM) and as fast at 256×256. Prefetching 256-512
// bytes ahead made float32 256×256 2-3% slower.
func blocking(v simd.Variant) (unroll, prefetch int) {
	if v.ISA.Is512() && v.T.Size == 8 {
		return 4, 256
	}
	return 2, 0
}

// trace emits the kernel "trace" of variant v.
func trace(v simd.Variant) {
	t := v.T.Go
	v.TEXT("trace", fmt.Sprintf("func(e []%s, lde int, g []%s, ldg int, c, d, p, q, v []%s)", t, t, t),
		"advances the len(c)×len(v) traces E (leading dimension lde) and",
		"accumulates them into G (leading dimension ldg), like "+v.Generic("trace")+".")
	k := &kernel{v: v}
	k.ep = Load(Param("e").Base(), GP64())
	k.gp = Load(Param("g").Base(), GP64())
	k.vp = Load(Param("v").Base(), GP64())
	k.lde = Load(Param("lde"), GP64())
	SHLQ(U8(shift(v)), k.lde)
	k.ldg = Load(Param("ldg"), GP64())
	SHLQ(U8(shift(v)), k.ldg)
	k.m = Load(Param("v").Len(), GP64())
	k.rowGroups()
	simd.Ret()
}

// kernel holds the registers that live through the whole trace kernel.
type kernel struct {
	v simd.Variant
	// ep and gp point at the current row of E and G, vp at v; lde and
	// ldg are the leading dimensions in bytes, m = len(v).
	ep, gp, vp, lde, ldg, m reg.Register
}

// rowGroups emits the row loops. i counts the rows done. While at least
// Lanes rows remain, a group loads Lanes elements of each of c, d, p and q
// into the tables tab and advances Lanes rows; row r of the group gets its
// coefficients with VPERMPS tab, idx where every 32-bit lane of idx holds
// r (float32) or every 64-bit lane holds the pair r*2, r*2+1 (float64, two
// dwords per element), and idx steps by step after each row. The last
// len(c) mod Lanes rows broadcast theirs from memory.
//
// Keeping the per-row work free of loads is what pays: the previous
// kernels reloaded the slice bases from the argument frame and broadcast
// from memory at every row, 5 to 9 loads per 1 KiB row. In a test kernel
// with the same loop, hoisting those loads out of the row loop raised
// float32 256×256 in L2 from 0.60 to 0.77 of rmw.
func (k *kernel) rowGroups() {
	v := k.v
	lanes := v.Lanes()
	i, j := GP64(), GP64()
	XORQ(i, i)
	tab := v.Vecs(4)
	idx, step := v.Vec(), v.Vec()
	// step: lanes of 1 (float32) or dword pairs of 2 (float64).
	stepBits := uint64(0x0000000100000001)
	if v.T.Size == 8 {
		stepBits = 0x0000000200000002
	}
	broadcastQ(stepBits, step)

	Label("group")
	Load(Param("c").Len(), j)
	SUBQ(i, j)
	CMPQ(j, U32(lanes))
	JL(LabelRef("rest"))
	for x, name := range coefNames {
		base := Load(Param(name).Base(), GP64())
		v.Load(Mem{Base: base, Index: i, Scale: uint8(v.T.Size)}, tab[x])
	}
	ADDQ(U32(lanes), i)
	if v.T.Size == 4 {
		v.Zero(idx)
	} else {
		broadcastQ(0x0000000100000000, idx) // dwords 0, 1, 0, 1, ...
	}
	MOVQ(U32(lanes), j)
	Label("grouprow")
	var coef [4]reg.VecVirtual
	for x := range coef {
		coef[x] = v.Vec()
		VPERMPS(tab[x], idx, coef[x])
	}
	VPADDD(step, idx, idx)
	k.row("elems", coef)
	DECQ(j)
	JNZ(LabelRef("grouprow"))
	JMP(LabelRef("group"))

	Label("rest")
	TESTQ(j, j)
	JZ(LabelRef("done"))
	for x, name := range coefNames {
		base := Load(Param(name).Base(), GP64())
		coef[x] = v.Vec()
		v.Broadcast(Mem{Base: base, Index: i, Scale: uint8(v.T.Size)}, coef[x])
	}
	k.row("elemsRest", coef)
	INCQ(i)
	DECQ(j)
	JMP(LabelRef("rest"))
	Label("done")
}

// coefNames are the row-coefficient parameters in the order of the
// registers passed to kernel.row.
var coefNames = [4]string{"c", "d", "p", "q"}

// broadcastQ sets every 64-bit lane of r to bits.
func broadcastQ(bits uint64, r reg.VecVirtual) {
	g, x := GP64(), XMM()
	MOVQ(U64(bits), g)
	VMOVQ(g, x)
	VPBROADCASTQ(x, r)
}

// row emits the update of the current row with coefficients coef (c, d,
// p, q broadcast) and advances ep and gp to the next row. name makes the
// column loop's labels unique.
func (k *kernel) row(name string, coef [4]reg.VecVirtual) {
	v := k.v
	bc, bd, bp, bq := coef[0], coef[1], coef[2], coef[3]
	n := GP64()
	MOVQ(k.m, n)
	unroll, prefetch := blocking(v)
	vv, ev, gv := v.Vecs(unroll), v.Vecs(unroll), v.Vecs(unroll)
	old := v.Vec() // G for masked and scalar blocks, which cannot use a memory operand
	v.ElementLoop(name, n, unroll, func(b simd.Block) {
		// Load every v and E of the block first, then compute, then
		// store (the stored G reads its old value as a memory operand).
		for u := 0; u < b.Vectors; u++ {
			b.Load(k.vp, u, vv[u])
			b.Load(k.ep, u, ev[u])
		}
		if prefetch > 0 && b.Vectors > 1 {
			for u := 0; u < b.Vectors; u++ {
				for _, base := range []reg.Register{k.ep, k.gp} {
					m := b.Mem(base, u)
					m.Disp += prefetch
					PREFETCHT0(m)
				}
			}
		}
		for u := 0; u < b.Vectors; u++ {
			V, E, G := b.Reg(vv[u]), b.Reg(ev[u]), b.Reg(gv[u])
			b.V.Mul(E, b.Reg(bc), E)
			b.V.FMA(b.Reg(bd), V, E)
			b.V.Mul(V, b.Reg(bq), G)
			b.V.FMA(b.Reg(bp), E, G)
			b.V.Add(G, b.Src(k.gp, u, old), G)
		}
		for u := 0; u < b.Vectors; u++ {
			b.Store(ev[u], k.ep, u)
			b.Store(gv[u], k.gp, u)
		}
	})
	ADDQ(k.lde, k.ep)
	ADDQ(k.ldg, k.gp)
}

func shift(v simd.Variant) uint64 {
	if v.T.Size == 4 {
		return 2
	}
	return 3
}
