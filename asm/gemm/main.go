package main

//go:generate go run . -out ../../kernels/gemm_amd64.s -stubs ../../kernels/gemm_amd64.go -tiles ../../kernels/gemm_tiles_amd64.go -pkg kernels

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/hessrnn/hessrnn/asm/internal/simd"
)

// variant describes one generated micro-kernel: an element type and level
// (at AVX-512, 32 zmm registers instead of 16 ymm), a tile shape and an
// unroll factor.
type variant struct {
	simd.Variant
	name   string
	mr     int  // rows of the tile
	nv     int  // vectors per row; NR = nv * lanes
	half   bool // the half-width twin (nv = 1) of a full kernel
	short  bool // the 4-row twin (mr = 4) of a full or half-width kernel
	unroll int  // k steps per loop iteration
}

// vec returns vector register i of the variant's width.
func (v variant) vec(i int) VecPhysical {
	if v.ISA.Is512() {
		return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
			Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}[i]
	}
	return []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}[i]
}

// microKernel emits one variant; see the package comment for what it computes.
func microKernel(v variant) {
	t := v.T.Go
	nr := v.nv * v.Lanes()
	TEXT(v.name, NOSPLIT, fmt.Sprintf("func(k int, a *%s, ra, sa int, b *%s, sb, bstep int, c *%s, ldc int, alpha, beta %s, flags, strips int, mask *%s)", t, t, t, t, t))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes strips ≥ 1 adjacent %d×%d tiles of C = alpha*A*B (+ beta*C when", v.name, v.mr, nr),
		fmt.Sprintf("flags&1 != 0): tile q has columns %d*q… of C and reads B from b + q*bstep,", nr),
		"with A(r,l) = a[r*ra+l*sa] and B(l,j) = b[l*sb+j], summing over l < k (k ≥ 1)",
		"in one FMA chain per element; the blocked driver calls it like gemmGeneric.",
		"flags&2 != 0 applies ReLU to the stored tiles, and flags&4 != 0 also writes",
		"the mask (1 where t > 0, else 0) at mask, which has C's layout and ldc;",
		"without flags&2, flags&8 != 0 multiplies t by the element of mask at C's position.",
		"flags&16 != 0 starts each chain from the tile's element of C instead of zero",
		"(the driver's blocking of long sums: without flags&1, C holds the partial sum).")

	nacc := v.mr * v.nv
	acc := func(r, j int) VecPhysical { return v.vec(r*v.nv + j) }
	breg := func(j int) VecPhysical { return v.vec(nacc + j) }
	tmp := v.vec(nacc + v.nv)
	if nacc+v.nv+1 > 16 && !v.ISA.Is512() || nacc+v.nv+1 > 32 {
		panic("too many registers for " + v.name)
	}

	ra := Load(Param("ra"), GP64())
	sa := Load(Param("sa"), GP64())
	sb := Load(Param("sb"), GP64())
	bstep := Load(Param("bstep"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(v.Shift()), ra)
	SHLQ(U8(v.Shift()), sa)
	SHLQ(U8(v.Shift()), sb)
	SHLQ(U8(v.Shift()), bstep)
	SHLQ(U8(v.Shift()), ldc)
	ra3 := GP64()
	LEAQ(Mem{Base: ra, Index: ra, Scale: 2}, ra3)
	bcur := Load(Param("b"), GP64())
	ccur := Load(Param("c"), GP64())
	k := GP64()
	pb := GP64()
	crow := GP64()
	// One base pointer per group of four rows: rows 4g..4g+3 are at
	// (p), (p)(ra*1), (p)(ra*2), (p)(ra3*1).
	ngroups := (v.mr + 3) / 4
	bases := make([]Register, ngroups)
	for g := range bases {
		bases[g] = GP64()
	}
	aAddr := func(r int) Mem {
		p := bases[r/4]
		switch r % 4 {
		case 0:
			return Mem{Base: p}
		case 1:
			return Mem{Base: p, Index: ra, Scale: 1}
		case 2:
			return Mem{Base: p, Index: ra, Scale: 2}
		}
		return Mem{Base: p, Index: ra3, Scale: 1}
	}

	Comment("One tile per iteration: columns advance by NR, B by bstep.")
	Label(v.name + "_strip")
	v.prefetchTile(ccur, crow, k, ldc)
	Load(Param("k"), k)
	Load(Param("a"), bases[0])
	for g := 1; g < ngroups; g++ {
		LEAQ(Mem{Base: bases[g-1], Index: ra, Scale: 4}, bases[g])
	}
	MOVQ(bcur, pb)
	Comment("flags&16: continue the chains from the partial sums stored in the tile of C.")
	TESTQ(U32(16), paramAddr("flags"))
	JZ(LabelRef(v.name + "_zero"))
	MOVQ(ccur, crow)
	for r := 0; r < v.mr; r++ {
		for j := 0; j < v.nv; j++ {
			v.Load(Mem{Base: crow, Disp: j * v.ISA.Bytes}, acc(r, j))
		}
		if r+1 < v.mr {
			ADDQ(ldc, crow)
		}
	}
	JMP(LabelRef(v.name + "_loop"))
	Label(v.name + "_zero")
	for r := 0; r < v.mr; r++ {
		for j := 0; j < v.nv; j++ {
			v.Zero(acc(r, j))
		}
	}

	step := func() {
		for j := 0; j < v.nv; j++ {
			v.Load(Mem{Base: pb, Disp: j * v.ISA.Bytes}, breg(j))
		}
		for r := 0; r < v.mr; r++ {
			v.Broadcast(aAddr(r), tmp)
			for j := 0; j < v.nv; j++ {
				v.FMA(breg(j), tmp, acc(r, j))
			}
		}
		for _, p := range bases {
			ADDQ(sa, p)
		}
		ADDQ(sb, pb)
	}

	Comment("Main loop: unroll k steps per iteration, in increasing l.")
	Label(v.name + "_loop")
	CMPQ(k, U8(v.unroll))
	JL(LabelRef(v.name + "_tail"))
	for u := 0; u < v.unroll; u++ {
		step()
	}
	SUBQ(U8(v.unroll), k)
	JMP(LabelRef(v.name + "_loop"))

	Comment("Remaining k steps, one at a time.")
	Label(v.name + "_tail")
	TESTQ(k, k)
	JZ(LabelRef(v.name + "_epilogue"))
	step()
	DECQ(k)
	JMP(LabelRef(v.name + "_tail"))

	Label(v.name + "_epilogue")
	alpha := breg(0)
	beta := tmp
	scratch := v.vec(nacc + 1)
	if v.nv == 1 {
		scratch = v.vec(nacc + 2)
	}
	// ReLU registers, used once alpha is applied: zero (alpha's), the
	// positive lanes m, and u (scratch's) for the kept lanes.
	zero, m, u := alpha, v.vec(nacc+3), scratch
	if nacc+4 > 16 && !v.ISA.Is512() {
		panic("too many registers for the ReLU epilogue of " + v.name)
	}
	v.Broadcast(paramAddr("alpha"), alpha)
	MOVQ(ccur, crow)
	for r := 0; r < v.mr; r++ {
		for j := 0; j < v.nv; j++ {
			v.Mul(acc(r, j), alpha, acc(r, j))
		}
	}
	// Paths: flags&1 beta, flags&2 ReLU, flags&4 (with 2) mask, flags&8
	// (without 2) the product with mask. With the mask, k holds mask − c in
	// bytes, so a mask element sits at its C element's address plus k.
	TESTQ(U32(2), paramAddr("flags"))
	JNZ(LabelRef(v.name + "_withrelu"))
	TESTQ(U32(8), paramAddr("flags"))
	JZ(LabelRef(v.name + "_plain"))
	Load(Param("mask"), k)
	SUBQ(paramAddr("c"), k)
	v.storeTiles(v.name+"_mulm", crow, ldc, k, acc, beta, scratch, zero, m, u, false, false, true)
	Label(v.name + "_withrelu")
	v.Zero(zero)
	TESTQ(U32(4), paramAddr("flags"))
	JZ(LabelRef(v.name + "_relu"))
	Load(Param("mask"), k)
	SUBQ(paramAddr("c"), k)
	v.storeTiles(v.name+"_mask", crow, ldc, k, acc, beta, scratch, zero, m, u, true, true, false)
	v.storeTiles(v.name+"_relu", crow, ldc, k, acc, beta, scratch, zero, m, u, true, false, false)
	v.storeTiles(v.name+"_plain", crow, ldc, k, acc, beta, scratch, zero, m, u, false, false, false)

	Label(v.name + "_next")
	ADDQ(bstep, bcur)
	ADDQ(U32(nr*v.T.Size), ccur)
	DECQ(paramAddr("strips"))
	JNZ(LabelRef(v.name + "_strip"))
	VZEROUPPER()
	RET()
}

// prefetchTile emits software prefetches of the rows of the tile at ccur
// (C and, when flags&12 != 0, the mask or product operand at C's position),
// issued before the k loop so that rows the epilogue stores or reads arrive
// from memory while the tile is computed: C and the mask are often rows of
// a trajectory far larger than the caches. Prefetches are hints: they change
// no result. crow and delta are scratch registers.
func (v variant) prefetchTile(ccur, crow, delta, ldc Register) {
	rowBytes := v.nv * v.ISA.Bytes
	// Offsets that touch every cache line of a row of rowBytes, aligned or not.
	var offs []int
	for o := 0; o < rowBytes; o += 64 {
		offs = append(offs, o)
	}
	offs = append(offs, rowBytes-1)
	rows := func(withMask bool) {
		MOVQ(ccur, crow)
		for r := 0; r < v.mr; r++ {
			for _, o := range offs {
				PREFETCHT0(Mem{Base: crow, Disp: o})
				if withMask {
					PREFETCHT0(Mem{Base: crow, Index: delta, Scale: 1, Disp: o})
				}
			}
			if r+1 < v.mr {
				ADDQ(ldc, crow)
			}
		}
	}
	Comment("Prefetch the tile's rows of C (and of the mask or product operand).")
	TESTQ(U32(12), paramAddr("flags"))
	JZ(LabelRef(v.name + "_pfc"))
	Load(Param("mask"), delta)
	SUBQ(paramAddr("c"), delta)
	rows(true)
	JMP(LabelRef(v.name + "_pfdone"))
	Label(v.name + "_pfc")
	rows(false)
	Label(v.name + "_pfdone")
}

// storeTiles emits one epilogue path from label: t = alpha*acc is in the
// accumulators; it adds beta*C when flags&1 != 0, applies ReLU when relu is
// set (writing the mask at C's address plus delta when mask is set),
// multiplies by the element at C's address plus delta when prod is set,
// stores the tile rows at crow (advancing by ldc) and jumps to the next
// strip.
//
// ReLU keeps the bits of t where t > 0 or t is NaN and gives +0 elsewhere;
// the mask is 1 where t > 0 and +0 elsewhere, as reluGeneric.
func (v variant) storeTiles(label string, crow, ldc, delta Register, acc func(r, j int) VecPhysical, beta, scratch, zero, m, u VecPhysical, relu, mask, prod bool) {
	Label(label)
	next := LabelRef(v.name + "_next")
	for _, withBeta := range []bool{true, false} {
		l := label + "_nobeta"
		if withBeta {
			TESTQ(U32(1), paramAddr("flags"))
			JZ(LabelRef(l))
			Comment("t = alpha*acc + beta*C, each product rounded.")
			v.Broadcast(paramAddr("beta"), beta)
		} else {
			Label(l)
			Comment("beta == 0: C is not read.")
		}
		for r := 0; r < v.mr; r++ {
			for j := 0; j < v.nv; j++ {
				cm := Mem{Base: crow, Disp: j * v.ISA.Bytes}
				t := acc(r, j)
				if withBeta {
					v.Mul(beta, cm, scratch)
					v.Add(t, scratch, t)
				}
				if relu {
					v.relu(t, zero, m, u, mask, Mem{Base: crow, Index: delta, Scale: 1, Disp: j * v.ISA.Bytes})
				}
				if prod {
					v.Mul(t, Mem{Base: crow, Index: delta, Scale: 1, Disp: j * v.ISA.Bytes}, t)
				}
				v.Store(t, cm)
			}
			if r+1 < v.mr {
				ADDQ(ldc, crow)
			}
		}
		JMP(next)
	}
}

// relu rectifies t in place and, when mask is set, stores the mask to mm.
func (v variant) relu(t, zero, m, u VecPhysical, mask bool, mm Mem) {
	const gtOQ, unordQ = 0x1e, 0x03
	if v.ISA.Is512() {
		if v.T.Size == 4 {
			VCMPPS(U8(gtOQ), zero, t, K1)
			VCMPPS(U8(unordQ), t, t, K2)
		} else {
			VCMPPD(U8(gtOQ), zero, t, K1)
			VCMPPD(U8(unordQ), t, t, K2)
		}
		KORW(K1, K2, K2)
		if v.T.Size == 4 {
			VMOVAPS_Z(t, K2, t)
		} else {
			VMOVAPD_Z(t, K2, t)
		}
		if mask {
			if v.T.Size == 4 {
				VBROADCASTSS_Z(onesConst(4), K1, m)
			} else {
				VBROADCASTSD_Z(onesConst(8), K1, m)
			}
			v.Store(m, mm)
		}
		return
	}
	if v.T.Size == 4 {
		VCMPPS(U8(gtOQ), zero, t, m)
		VCMPPS(U8(unordQ), t, t, u)
		VORPS(m, u, u)
		VANDPS(u, t, t)
	} else {
		VCMPPD(U8(gtOQ), zero, t, m)
		VCMPPD(U8(unordQ), t, t, u)
		VORPD(m, u, u)
		VANDPD(u, t, t)
	}
	if mask {
		if v.T.Size == 4 {
			VANDPS(onesConst(4), m, m)
		} else {
			VANDPD(onesConst(8), m, m)
		}
		v.Store(m, mm)
	}
}

// onesConsts holds the 32-byte constants of 1.0 by element size, declared
// once per generated file.
var onesConsts = map[int]Mem{}

// onesConst returns a 32-byte read-only vector of 1.0 of the element size.
func onesConst(elem int) Mem {
	if m, ok := onesConsts[elem]; ok {
		return m
	}
	var m Mem
	if elem == 4 {
		m = GLOBL("gemmOnes32", RODATA|NOPTR)
		for i := 0; i < 8; i++ {
			DATA(4*i, U32(0x3f800000))
		}
	} else {
		m = GLOBL("gemmOnes64", RODATA|NOPTR)
		for i := 0; i < 4; i++ {
			DATA(8*i, U64(0x3ff0000000000000))
		}
	}
	onesConsts[elem] = m
	return m
}

// packTransposed emits the transposing pack that gathers column strips of
// op(B) = Bᵀ (and row strips of op(A) = Aᵀ) into the layout the
// micro-kernels read. For float32 it moves 8×8 tiles, for float64 4×4 tiles,
// with AVX2 unpack/shuffle/lane-permute instructions:
//
//	for t < kt, c < w, i < w: dst[(w*t+i)*ldd + c] = src[c*lds + w*t + i]
//
// with w = 8 (float32) or 4 (float64) and strides in elements. Pure data
// movement: no arithmetic, so it cannot change any result.
func packTransposed(name string, elem int) {
	typ, w := "float32", packTWidth(elem)
	if elem == 8 {
		typ = "float64"
	}
	TEXT(name, NOSPLIT, fmt.Sprintf("func(kt int, src *%s, lds int, dst *%s, ldd int)", typ, typ))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s transposes kt tiles of %d×%d: dst[(%d*t+i)*ldd+c] = src[c*lds+%d*t+i]", name, w, w, w, w),
		fmt.Sprintf("for t < kt and c, i < %d (strides in elements); the packing of transposed operands.", w))
	shift := uint8(2)
	if elem == 8 {
		shift = 3
	}
	kt := Load(Param("kt"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(shift), lds)
	SHLQ(U8(shift), ldd)
	lds3 := GP64()
	LEAQ(Mem{Base: lds, Index: lds, Scale: 2}, lds3)
	ldd3 := GP64()
	LEAQ(Mem{Base: ldd, Index: ldd, Scale: 2}, ldd3)
	// Row r of a group of four is at (p), (p)(s*1), (p)(s*2), (p)(s3*1).
	rowAddr := func(p, s, s3 Register, r int) Mem {
		switch r {
		case 0:
			return Mem{Base: p}
		case 1:
			return Mem{Base: p, Index: s, Scale: 1}
		case 2:
			return Mem{Base: p, Index: s, Scale: 2}
		}
		return Mem{Base: p, Index: s3, Scale: 1}
	}
	ys := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	Label(name + "_loop")
	TESTQ(kt, kt)
	JZ(LabelRef(name + "_done"))
	if elem == 4 {
		src4 := GP64()
		LEAQ(Mem{Base: src, Index: lds, Scale: 4}, src4)
		dst4 := GP64()
		LEAQ(Mem{Base: dst, Index: ldd, Scale: 4}, dst4)
		r := ys[:8]
		t := ys[8:16]
		for i := 0; i < 4; i++ {
			VMOVUPS(rowAddr(src, lds, lds3, i), r[i])
			VMOVUPS(rowAddr(src4, lds, lds3, i), r[4+i])
		}
		// t0,t1 = unpack lo/hi of rows (0,1); t2,t3 of (2,3); t4..t7 of 4..7.
		for p := 0; p < 4; p++ {
			VUNPCKLPS(r[2*p+1], r[2*p], t[2*p])
			VUNPCKHPS(r[2*p+1], r[2*p], t[2*p+1])
		}
		// s(q) = columns q of rows 0-3 (or 4-7) in each 128-bit lane.
		s := r
		for h := 0; h < 2; h++ {
			a, b := t[4*h], t[4*h+2]
			c, d := t[4*h+1], t[4*h+3]
			VSHUFPS(U8(0x44), b, a, s[4*h+0])
			VSHUFPS(U8(0xEE), b, a, s[4*h+1])
			VSHUFPS(U8(0x44), d, c, s[4*h+2])
			VSHUFPS(U8(0xEE), d, c, s[4*h+3])
		}
		// Column q (q < 4): low lanes of s(q) and s(q+4); column q+4: high lanes.
		for q := 0; q < 4; q++ {
			VPERM2F128(U8(0x20), s[4+q], s[q], t[q])
			VPERM2F128(U8(0x31), s[4+q], s[q], t[4+q])
		}
		for q := 0; q < 4; q++ {
			VMOVUPS(t[q], rowAddr(dst, ldd, ldd3, q))
			VMOVUPS(t[4+q], rowAddr(dst4, ldd, ldd3, q))
		}
		ADDQ(U8(32), src)
		LEAQ(Mem{Base: dst, Index: ldd, Scale: 8}, dst)
	} else {
		r := ys[:4]
		t := ys[4:8]
		o := ys[8:12]
		for i := 0; i < 4; i++ {
			VMOVUPD(rowAddr(src, lds, lds3, i), r[i])
		}
		VUNPCKLPD(r[1], r[0], t[0])
		VUNPCKHPD(r[1], r[0], t[1])
		VUNPCKLPD(r[3], r[2], t[2])
		VUNPCKHPD(r[3], r[2], t[3])
		VPERM2F128(U8(0x20), t[2], t[0], o[0])
		VPERM2F128(U8(0x20), t[3], t[1], o[1])
		VPERM2F128(U8(0x31), t[2], t[0], o[2])
		VPERM2F128(U8(0x31), t[3], t[1], o[3])
		for q := 0; q < 4; q++ {
			VMOVUPD(o[q], rowAddr(dst, ldd, ldd3, q))
		}
		ADDQ(U8(32), src)
		LEAQ(Mem{Base: dst, Index: ldd, Scale: 4}, dst)
	}
	DECQ(kt)
	JMP(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// packTWidth is the tile width w of the transposing pack for elements of
// elem bytes: one 32-byte YMM register holds a row of a tile.
func packTWidth(elem int) int { return 32 / elem }

// packRows emits the plain pack of a full column strip of op(B) = B:
//
//	for l < k, j < nr: dst[l*nr + j] = src[l*lds + j]
//
// for strips of 64 or 128 bytes a row (nr*size); other widths are the
// caller's business (it moves them in Go). Pure data movement.
func packRows(name string, elem int) {
	typ := "float32"
	if elem == 8 {
		typ = "float64"
	}
	TEXT(name, NOSPLIT, fmt.Sprintf("func(k int, src *%s, lds int, dst *%s, nr int)", typ, typ))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s copies k rows of nr elements, dst[l*nr+j] = src[l*lds+j], where nr*%d", name, elem),
		"is 64 or 128 bytes (strides in elements); the packing of untransposed B.")
	shift := uint8(2)
	if elem == 8 {
		shift = 3
	}
	k := Load(Param("k"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	dst := Load(Param("dst"), GP64())
	nr := Load(Param("nr"), GP64())
	SHLQ(U8(shift), lds)
	SHLQ(U8(shift), nr)
	CMPQ(nr, U8(128))
	JE(LabelRef(name + "_wide"))
	for _, wide := range []bool{false, true} {
		loop, nv := name+"_narrow", 2
		if wide {
			loop, nv = name+"_wide", 4
		}
		Label(loop)
		TESTQ(k, k)
		JZ(LabelRef(name + "_done"))
		for i := 0; i < nv; i++ {
			VMOVUPS(Mem{Base: src, Disp: 32 * i}, []VecPhysical{Y0, Y1, Y2, Y3}[i])
		}
		for i := 0; i < nv; i++ {
			VMOVUPS([]VecPhysical{Y0, Y1, Y2, Y3}[i], Mem{Base: dst, Disp: 32 * i})
		}
		ADDQ(lds, src)
		ADDQ(nr, dst)
		DECQ(k)
		JMP(LabelRef(loop))
	}
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// paramAddr returns the frame address of a scalar argument.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// variants returns the micro-kernels ?gemmKernel<level> (6×2 vectors at
// AVX2, 8×2 at AVX-512) and their half-width twins ?gemmKernelHalf<level>
// (one vector per row) for a last column strip of at most NR/2 columns,
// then the 4-row twins of both, ?gemmKernel4<level> and
// ?gemmKernelHalf4<level>, for a last row strip of four rows (a batch of
// four sequences, or 100 = 12·8 + 4 rows): the same FMA chain per element,
// with no rows computed in vain and no scratch tile.
func variants() []variant {
	var vs []variant
	for _, short := range []bool{false, true} {
		for _, half := range []bool{false, true} {
			for _, sv := range simd.Variants() {
				v := variant{Variant: sv, name: sv.Sym("gemmKernel"), mr: 6, nv: 2, unroll: 4}
				if sv.ISA.Is512() {
					v.mr = 8
				}
				if half {
					v.name, v.nv, v.half = sv.Sym("gemmKernelHalf"), 1, true
				}
				if short {
					v.name, v.mr, v.short = strings.TrimSuffix(v.name, sv.ISA.Name)+"4"+sv.ISA.Name, 4, true
				}
				vs = append(vs, v)
			}
		}
	}
	return vs
}

// tilesOut names the Go file that receives the tile constants (-tiles).
var tilesOut = flag.String("tiles", "", "also write the micro-kernels' tile shapes as Go constants to this `file`")

func main() {
	flag.Parse()
	simd.Setup()
	vs := variants()
	for _, v := range vs {
		microKernel(v)
	}
	packTransposed("sgemmPackTAVX2", 4)
	packTransposed("dgemmPackTAVX2", 8)
	packRows("sgemmPackNAVX2", 4)
	packRows("dgemmPackNAVX2", 8)
	if *tilesOut != "" {
		if err := writeTiles(*tilesOut, vs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	Generate()
}

// writeTiles writes the Go constants ?gemmMR<level> and ?gemmNR<level> (the
// mr×nr tile of each full-width micro-kernel; the half-width one takes
// mr×nr/2) and ?gemmPackTW (the tile width of each transposing pack) to
// path, with the header and build constraint of the generated stubs.
func writeTiles(path string, vs []variant) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by command: go run main.go %s. DO NOT EDIT.\n\n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "//go:build %s\n\n", strings.ReplaceAll(simd.BuildConstraint, ",", " && "))
	fmt.Fprintf(&b, "package %s\n\n", flag.Lookup("pkg").Value.String())
	b.WriteString("// Tile shapes of the micro-kernels ?gemmKernel<level>: mr rows by nr\n")
	b.WriteString("// columns. The half-width ?gemmKernelHalf<level> take mr rows by nr/2.\n")
	b.WriteString("const (\n")
	for _, v := range vs {
		if v.half || v.short {
			continue // a half-width twin has its full kernel's mr and half its nr; a 4-row twin 4 rows
		}
		fmt.Fprintf(&b, "\t%s, %s = %d, %d\n", v.Sym("gemmMR"), v.Sym("gemmNR"), v.mr, v.nv*v.Lanes())
	}
	b.WriteString(")\n\n")
	b.WriteString("// Tile widths w of the transposing packs ?gemmPackTAVX2 (w×w tiles).\n")
	b.WriteString("const (\n")
	for _, t := range []simd.Type{simd.Float32, simd.Float64} {
		fmt.Fprintf(&b, "\t%sgemmPackTW = %d\n", t.Prefix, packTWidth(t.Size))
	}
	b.WriteString(")\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return fmt.Errorf("gemm: formatting %s: %v", path, err)
	}
	return os.WriteFile(path, src, 0o644)
}
