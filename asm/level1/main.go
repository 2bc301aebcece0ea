//go:generate go run . -out ../../kernels/level1_amd64.s -stubs ../../kernels/level1_amd64.go -pkg kernels

package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/hessrnn/hessrnn/asm/internal/simd"
)

// unroll is the number of vectors per block of the main loops.
const unroll = 4

func main() {
	simd.Setup()
	for _, v := range simd.Variants() {
		dot(v)
		axpy(v)
		scal(v)
		axpyTo(v)
		scaledDiff(v)
		relu(v)
		mul(v)
	}
	Generate()
}

// sig formats a signature with the element type t in place of %[1]s.
func sig(v simd.Variant, format string) string {
	return fmt.Sprintf(format, v.T.Go)
}

func dot(v simd.Variant) {
	v.TEXT("dot", sig(v, "func(x, y []%[1]s) %[1]s"),
		"returns the inner product of x and y like "+v.Generic("dot")+",",
		"summing in four vector accumulators (see asm/level1). len(y) >= len(x).")
	x := Load(Param("x").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("x").Len(), GP64())

	acc := v.Vecs(unroll)
	for _, a := range acc {
		v.Zero(a)
	}
	var tail reg.VecVirtual
	if !v.ISA.Is512() {
		tail = XMM()
		v.Zero(tail)
	}
	v.ElementLoop("dot", n, unroll, func(b simd.Block) {
		switch {
		case b.Scalar:
			xs, ys := v.Vec(), v.Vec()
			b.Load(x, 0, xs)
			b.Load(y, 0, ys)
			v.FMA(xs.AsX(), ys.AsX(), tail)
		case b.Masked:
			xs, ys := v.Vec(), v.Vec()
			b.Load(x, 0, xs)
			b.Load(y, 0, ys)
			v.FMA(xs, ys, acc[0])
		default:
			xs := v.Vecs(b.Vectors)
			for i := range xs {
				b.Load(x, i, xs[i])
			}
			for i := range xs {
				v.FMA(xs[i], b.Mem(y, i), acc[i])
			}
		}
	})
	v.Add(acc[0], acc[1], acc[0])
	v.Add(acc[2], acc[3], acc[2])
	v.Add(acc[0], acc[2], acc[0])
	sum := v.ReduceAdd(acc[0])
	if tail != nil {
		if v.T.Size == 4 {
			VADDSS(tail, sum, sum)
		} else {
			VADDSD(tail, sum, sum)
		}
	}
	v.StoreScalar(sum, simd.Addr(ReturnIndex(0)))
	simd.Ret()
}

// mapBlock emits one block of an elementwise kernel: it loads the block's
// vectors of src, applies op to vector i in its register r, and stores the
// results to dst (all loads first, then the ops, then the stores).
func mapBlock(v simd.Variant, b simd.Block, src, dst reg.Register, op func(i int, r reg.VecVirtual)) {
	rs := v.Vecs(b.Vectors)
	for i := range rs {
		b.Load(src, i, rs[i])
	}
	for i, r := range rs {
		op(i, r)
	}
	for i := range rs {
		b.Store(rs[i], dst, i)
	}
}

func axpy(v simd.Variant) {
	v.TEXT("axpy", sig(v, "func(y []%[1]s, alpha %[1]s, x []%[1]s)"),
		"adds alpha*x to y like "+v.Generic("axpy")+", with one fused",
		"multiply-add per element. len(x) >= len(y).")
	y := Load(Param("y").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("y").Len(), GP64())
	alpha := v.BroadcastParam("alpha")
	v.ElementLoop("axpy", n, unroll, func(b simd.Block) {
		mapBlock(v, b, y, y, func(i int, r reg.VecVirtual) {
			v.FMA(b.Reg(alpha), b.Src(x, i, v.Vec()), b.Reg(r))
		})
	})
	simd.Ret()
}

func scal(v simd.Variant) {
	v.TEXT("scal", sig(v, "func(x []%[1]s, alpha %[1]s)"),
		"multiplies x by alpha in place like "+v.Generic("scal")+".")
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	alpha := v.BroadcastParam("alpha")
	v.ElementLoop("scal", n, unroll, func(b simd.Block) {
		mapBlock(v, b, x, x, func(_ int, r reg.VecVirtual) {
			v.Mul(b.Reg(r), b.Reg(alpha), b.Reg(r))
		})
	})
	simd.Ret()
}

func axpyTo(v simd.Variant) {
	v.TEXT("axpyTo", sig(v, "func(dst []%[1]s, alpha %[1]s, x, y []%[1]s)"),
		"writes alpha*x + y to dst like "+v.Generic("axpyTo")+", with one",
		"fused multiply-add per element. len(x), len(y) >= len(dst).")
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	alpha := v.BroadcastParam("alpha")
	v.ElementLoop("axpyTo", n, unroll, func(b simd.Block) {
		mapBlock(v, b, x, dst, func(i int, r reg.VecVirtual) {
			v.FMAdd(b.Reg(alpha), b.Src(y, i, v.Vec()), b.Reg(r))
		})
	})
	simd.Ret()
}

func scaledDiff(v simd.Variant) {
	v.TEXT("scaledDiff", sig(v, "func(dst []%[1]s, scale %[1]s, a, b []%[1]s)"),
		"writes scale*(a-b) to dst like "+v.Generic("scaledDiff")+".",
		"len(a), len(b) >= len(dst).")
	dst := Load(Param("dst").Base(), GP64())
	a := Load(Param("a").Base(), GP64())
	bp := Load(Param("b").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	scale := v.BroadcastParam("scale")
	v.ElementLoop("scaledDiff", n, unroll, func(b simd.Block) {
		mapBlock(v, b, a, dst, func(i int, r reg.VecVirtual) {
			v.Sub(b.Reg(r), b.Src(bp, i, v.Vec()), b.Reg(r))
			v.Mul(b.Reg(r), b.Reg(scale), b.Reg(r))
		})
	})
	simd.Ret()
}

func mul(v simd.Variant) {
	v.TEXT("mul", sig(v, "func(dst, a, b []%[1]s)"),
		"writes the elementwise product a*b to dst like "+v.Generic("mul")+".",
		"len(a), len(b) >= len(dst).")
	dst := Load(Param("dst").Base(), GP64())
	a := Load(Param("a").Base(), GP64())
	bp := Load(Param("b").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	v.ElementLoop("mul", n, unroll, func(b simd.Block) {
		mapBlock(v, b, a, dst, func(i int, r reg.VecVirtual) {
			v.Mul(b.Reg(r), b.Src(bp, i, v.Vec()), b.Reg(r))
		})
	})
	simd.Ret()
}

// relu emits dst = src where src > 0 or src is NaN, else +0, and, when mask
// is not nil, mask = 1 where src > 0 else 0. Two loops, with and without
// the mask, are selected once on the mask pointer.
func relu(v simd.Variant) {
	v.TEXT("relu", sig(v, "func(dst, mask, src []%[1]s)"),
		"writes max(src, 0) to dst, keeping NaN, and the indicator",
		"src > 0 to mask unless mask is nil, like "+v.Generic("relu")+".",
		"len(dst) and, if mask is not nil, len(mask) >= len(src).")
	dst := Load(Param("dst").Base(), GP64())
	msk := Load(Param("mask").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	zero := v.Vec()
	v.Zero(zero)
	one := v.Vec()
	v.One(one)

	// keep computes dst's value from r; flag the mask value.
	keep := func(b simd.Block, r reg.VecVirtual) reg.VecVirtual {
		out := v.Vec()
		if v.ISA.Is512() {
			k := K()
			v.Cmp(simd.CmpNLE, r, zero, k)
			v.MoveZeroMasked(r, k, out)
			return out
		}
		v.Cmp(simd.CmpNLE, b.Reg(r), b.Reg(zero), b.Reg(out))
		v.And(b.Reg(r), b.Reg(out), b.Reg(out))
		return out
	}
	flag := func(b simd.Block, r reg.VecVirtual) reg.VecVirtual {
		out := v.Vec()
		if v.ISA.Is512() {
			k := K()
			v.Cmp(simd.CmpGT, r, zero, k)
			v.MoveZeroMasked(one, k, out)
			return out
		}
		v.Cmp(simd.CmpGT, b.Reg(r), b.Reg(zero), b.Reg(out))
		v.And(b.Reg(one), b.Reg(out), b.Reg(out))
		return out
	}

	TESTQ(msk, msk)
	JZ(LabelRef("nomask"))
	v.ElementLoop("mask", n, unroll, func(b simd.Block) {
		rs := v.Vecs(b.Vectors)
		for i := range rs {
			b.Load(src, i, rs[i])
		}
		for i := range rs {
			b.Store(flag(b, rs[i]), msk, i)
			b.Store(keep(b, rs[i]), dst, i)
		}
	})
	simd.Ret()

	Label("nomask")
	v.ElementLoop("plain", n, unroll, func(b simd.Block) {
		rs := v.Vecs(b.Vectors)
		for i := range rs {
			b.Load(src, i, rs[i])
		}
		for i := range rs {
			b.Store(keep(b, rs[i]), dst, i)
		}
	})
	simd.Ret()
}
