//go:generate go run . -out ../../kernels/gemv_amd64.s -stubs ../../kernels/gemv_amd64.go -pkg kernels

package main

import (
	"flag"
	"fmt"
	"os"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/hessrnn/hessrnn/asm/internal/simd"
)

func main() {
	simd.Setup()
	flag.Parse()
	only := os.Getenv("GEMV_ONLY")
	for _, k := range kinds() {
		if only == "" || only == "N"+k.prefix()+k.level() {
			gemvN(k)
		}
	}
	for _, k := range kinds() {
		if only == "" || only == "T"+k.prefix()+k.level() {
			gemvT(k)
		}
	}
	Generate()
}

// kind is one variant (element type and vector ISA) with the instruction
// pickers of this generator, which take operands in Go assembler order.
type kind struct {
	simd.Variant
}

// kinds returns the variants in simd.Variants order.
func kinds() []kind {
	var ks []kind
	for _, v := range simd.Variants() {
		ks = append(ks, kind{v})
	}
	return ks
}

func (k kind) prefix() string { return k.T.Prefix }
func (k kind) typ() string    { return k.T.Go }
func (k kind) level() string  { return k.ISA.Name }

// vb is the vector width in bytes, w the number of lanes.
func (k kind) vb() int { return k.ISA.Bytes }
func (k kind) w() int  { return k.Lanes() }

func (k kind) vec() reg.VecVirtual { return k.Vec() }

// zero clears v. VXORPS on 512-bit registers needs AVX512DQ, which the
// AVX512 level includes.
func zero(v reg.VecVirtual) { VXORPS(v, v, v) }

// addr returns the stack address of the scalar parameter name.
func addr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// mem returns base + idx + disp.
func mem(base, idx reg.Register, disp int) Mem {
	return Mem{Base: base, Index: idx, Scale: 1, Disp: disp}
}

// tailMask holds the AVX2 lane masks: W all-ones lanes followed by W zero
// lanes, so the W lanes starting at byte (W-r)*size enable the first r.
// kMask holds (1<<r)-1 for r = 0..15, the AVX-512 tail masks.
var tailMasks = map[int]Mem{}
var kMask *Mem

func (k kind) avx2Mask() Mem {
	if m, ok := tailMasks[k.T.Size]; ok {
		return m
	}
	name := fmt.Sprintf("gemvLaneMask%d", k.T.Size*8)
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 2*k.w(); i++ {
		v := U32(0)
		if i < k.w() {
			v = U32(0xffffffff)
		}
		if k.T.Size == 4 {
			DATA(4*i, v)
		} else {
			DATA(8*i, v)
			DATA(8*i+4, v)
		}
	}
	tailMasks[k.T.Size] = m
	return m
}

func kMaskTable() Mem {
	if kMask != nil {
		return *kMask
	}
	m := GLOBL("gemvKMask", RODATA|NOPTR)
	for r := 0; r < 16; r++ {
		DATA(2*r, U16(uint16(1<<r-1)))
	}
	kMask = &m
	return m
}

// loadTail prepares the tail mask for r bytes (r = n mod vb, in bytes):
// a vector mask for AVX2, K1 for AVX-512.
func (k kind) loadTail(rBytes reg.Register) (mask reg.VecVirtual, kr reg.OpmaskPhysical) {
	if k.ISA.Is512() {
		tbl := kMaskTable()
		cnt := GP64()
		MOVQ(rBytes, cnt)
		SHRQ(U8(k.Shift()), cnt)
		base := GP64()
		LEAQ(tbl, base)
		KMOVW(Mem{Base: base, Index: cnt, Scale: 2}, reg.K1)
		return nil, reg.K1
	}
	tbl := k.avx2Mask()
	off := GP64()
	MOVQ(U32(k.vb()), off)
	SUBQ(rBytes, off)
	mask = YMM()
	base := GP64()
	LEAQ(tbl, base)
	VMOVDQU(mem(base, off, 0), mask)
	return mask, reg.K1
}

// extract128 writes the upper 128 bits of the 256-bit src to dst.
func (k kind) extract128(src reg.VecVirtual, dst reg.VecVirtual) {
	if k.ISA.Is512() {
		VEXTRACTF32X4(U8(1), src.AsY(), dst.AsX())
	} else {
		VEXTRACTF128(U8(1), src.AsY(), dst.AsX())
	}
}

// fold128 adds the halves of v until its low 128 bits hold the partial sums.
func (k kind) fold128(v, tmp reg.VecVirtual) {
	if k.ISA.Is512() {
		VEXTRACTF64X4(U8(1), v, tmp.AsY())
		k.Add(v.AsY(), tmp.AsY(), v.AsY())
	}
	k.extract128(v, tmp)
	k.Add(v.AsX(), tmp.AsX(), v.AsX())
}

// hsum reduces the 128-bit v to its lane 0.
func (k kind) hsum(v, tmp reg.VecVirtual) {
	VUNPCKHPD(v.AsX(), v.AsX(), tmp.AsX())
	k.Add(v.AsX(), tmp.AsX(), v.AsX())
	if k.T.Size == 4 {
		VMOVSHDUP(v.AsX(), tmp.AsX())
		k.Add(v.AsX(), tmp.AsX(), v.AsX())
	}
}

// streamPrefetch is the distance in bytes at which the AVX-512 gemvN
// prefetches A with PREFETCHNTA, one prefetch per cache line read, when
// len(y)*len(x) elements of A take more than streamBytes. The
// single-row AVX-512 gemvN reads A as one sequential stream; the hardware
// prefetchers stop at 4 KiB pages, which software prefetch crosses. Measured
// on Zen 5 (L2 1 MiB) in paired runs against OpenBLAS: float64 n = 512
// (A 2 MiB, in L3) 1.23 -> 1.33-1.36x, n = 1024 1.24 -> 1.39x, float32
// n = 1024 1.15 -> 1.30x; PREFETCHNTA at 768 bytes beat 512, 1024, 1536,
// 2048 and PREFETCHT0 at 768 and 1024 (by 1-5%), PREFETCHT1 was 10-25%
// slower than none. With A in L2 (float32 n = 512, n = 128) the
// prefetches cost 3-8%, hence the size test. Choosing in the kernel rather
// than in Go by cpuid's L2 size saves a call: a Go wrapper cost 1% at
// n = 128.
const streamPrefetch = 768

// streamPrefetchT is the prefetch distance of the AVX-512 gemvT for A
// larger than streamBytes, which then takes single rows in steps of 4
// vectors, so that A is read as one sequential stream (y goes through L1
// once per row). Measured on Zen 5 in paired runs against OpenBLAS: float64
// n = 512 1.11 -> 1.23-1.25x, float32 n = 1024 1.19 -> 1.34x, float64
// n = 1024 (8 MiB) unchanged within noise (1.04-1.12 vs 1.07-1.08);
// PREFETCHNTA at 1024-1536 bytes beat 512, 768 and 2048 and PREFETCHT0,
// steps of 2 and 4 vectors beat 8 and 16. Two rows per pass with prefetch
// were 5-10% slower than without (see gemvT).
const streamPrefetchT = 1280

// streamBytes is the size of A above which the AVX-512 gemv prefetches:
// the L2 size of the AVX-512 machines measured (Zen 4 and Zen 5, 1 MiB).
const streamBytes = 1 << 20

// midBytes is the size of A above which (up to streamBytes) the AVX-512
// gemvT takes 4 rows per pass and prefetches them with PREFETCHNTA
// midPrefetchT bytes ahead, one prefetch per midPrefetchStride bytes of
// each row. Such an A fills most of L2, and whether it stays there depends
// on where its pages land. Measured on Zen 5 (L2 1 MiB) for float32
// n = 512 (A 1 MiB) in paired runs against OpenBLAS, each round with one
// A for all variants (built into a throwaway package), in rounds where
// part of A came from L3 every call (a plain read of A 51-57
// GFLOP/s-equivalent) and in rounds where A stayed in L2 (60-79):
// the two-row kernel without prefetch used before 1.13-1.27x and
// 1.35-1.56x, this kernel 1.37-1.46x and 1.50-1.75x. In the mixed rounds:
// 4 rows without prefetch 1.27-1.43x, with PREFETCHNTA 256-1024 bytes ahead
// on every line, every other or every 4th 1.34-1.51x, with PREFETCHT0
// 1.36-1.48x; 8 rows 1.18-1.41x; 2 rows with PREFETCHNTA or PREFETCHT0
// 256-768 bytes ahead 1.10-1.37x, with PREFETCHT1 1.05-1.10x. The
// official bench (bench/openblas GemvPaired) gave 1.28x (median of 6
// rounds) in the mixed mode and 1.44-1.57x in the L2 mode, where the
// two-row kernel gave 1.37-1.39x. float64 with A in this range (n = 300,
// 362): 1.16-1.53x and 1.18-1.21x, against 1.01-1.47x and 1.14-1.17x.
const midBytes = 1 << 19

// midPrefetchT and midPrefetchStride are the prefetch distance and the
// bytes per prefetch of the midBytes path of gemvT (see midBytes).
const (
	midPrefetchT      = 384
	midPrefetchStride = 128
)

func signature(k kind) string {
	t := k.typ()
	return fmt.Sprintf("func(y []%s, alpha %s, a []%s, lda int, x []%s, beta %s)", t, t, t, t, t)
}

// gemvN emits ?gemvN{AVX2,AVX512}: y = alpha*A*x + beta*y.
func gemvN(k kind) {
	name := k.prefix() + "gemvN" + k.level()
	TEXT(name, NOSPLIT, signature(k))
	Pragma("noescape")
	Doc(name+" computes y = alpha*A*x + beta*y for the len(y)×len(x) row-major A", "with leading dimension lda, like gemvNGeneric; y is not read when beta == 0.")

	yp := Load(Param("y").Base(), GP64())
	m := Load(Param("y").Len(), GP64())
	ap := Load(Param("a").Base(), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(k.Shift()), lda)
	xp := Load(Param("x").Base(), GP64())
	nB := Load(Param("x").Len(), GP64())
	SHLQ(U8(k.Shift()), nB)

	valpha, vbeta := k.vec(), k.vec()
	k.Broadcast(addr("alpha"), valpha)
	k.Broadcast(addr("beta"), vbeta)

	// betaZero = 1 when beta == 0 (not NaN).
	betaZero := GP64()
	z := k.vec()
	zero(z)
	XORQ(betaZero, betaZero)
	k.UComI(addr("beta"), z.AsX())
	JNE(LabelRef("betaset"))
	JP(LabelRef("betaset"))
	MOVQ(U32(1), betaZero)
	Label("betaset")

	// nvec = bytes covered by whole vectors; tail = nB - nvec.
	nvec := GP64()
	MOVQ(nB, nvec)
	ANDQ(I32(-k.vb()), nvec)
	rB := GP64()
	MOVQ(nB, rB)
	SUBQ(nvec, rB)
	mask, kr := k.loadTail(rB)

	// Row blocks {R, U}: R rows share each x load; every row has U
	// accumulators. The blocks are used largest first.
	// Blocks of 8 rows (supported by gemvNBlock) measured no faster than 4
	// on Zen 4 at n = 128..512.
	// AVX-512 streams one row at a time with 4 accumulators: reading A
	// strictly in order measured 1.3-1.5x faster than 4-row blocks on
	// Zen 5 at n = 128 and 5-10% faster at n = 512, while at AVX2 the
	// 4-row blocks are 10-20% faster than single rows.
	nBlocks := [][2]int{{4, 2}, {1, 2}}
	if k.ISA.Is512() {
		nBlocks = [][2]int{{1, 4}}
	}
	U := nBlocks[0][1]
	for _, b := range nBlocks {
		if b[1] != U {
			panic("gemvN: all blocks must share U (one nmain bound)")
		}
	}
	nmain := GP64()
	MOVQ(nB, nmain)
	ANDQ(I32(-U*k.vb()), nmain)

	lda3 := GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	g := nRegs{m: m, yp: yp, ap: ap, lda: lda, lda3: lda3, xp: xp, nB: nB, nmain: nmain, nvec: nvec,
		betaZero: betaZero, mask: mask, kr: kr, valpha: valpha, vbeta: vbeta}
	// paths are the copies of the row blocks: label prefix and prefetch
	// distance. AVX-512 takes the second, prefetching one for A larger
	// than streamBytes.
	type path struct {
		prefix string
		pf     int
	}
	paths := []path{{"r", 0}}
	if k.ISA.Is512() {
		paths = append(paths, path{"s", streamPrefetch})
		size := GP64()
		MOVQ(m, size)
		IMULQ(nB, size)
		CMPQ(size, U32(streamBytes))
		JA(LabelRef(fmt.Sprintf("s%drows", nBlocks[0][0])))
	}
	for _, pa := range paths {
		for bi, b := range nBlocks {
			next := "done"
			if bi+1 < len(nBlocks) {
				next = fmt.Sprintf("%s%drows", pa.prefix, nBlocks[bi+1][0])
			}
			k.gemvNBlock(pa.prefix, b[0], b[1], next, g, pa.pf)
		}
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// rowPtrs addresses R consecutive rows of A at a common byte offset: row r
// is pj + r*lda, with pj pointing into row 0 and p4 into row 4 (R == 8), so
// eight rows need three registers besides lda and lda3 = 3*lda.
type rowPtrs struct {
	pj, p4, lda, lda3 reg.Register
}

func newRowPtrs(R int, ap, lda, lda3 reg.Register) rowPtrs {
	p := rowPtrs{lda: lda, lda3: lda3}
	p.pj = GP64()
	MOVQ(ap, p.pj)
	if R == 8 {
		p.p4 = GP64()
		LEAQ(Mem{Base: ap, Index: lda, Scale: 4}, p.p4)
	}
	return p
}

// mem returns the address of row r at byte disp past the current offset.
func (p rowPtrs) mem(r, disp int) Mem {
	base := p.pj
	if r >= 4 {
		base, r = p.p4, r-4
	}
	switch r {
	case 1:
		return Mem{Base: base, Index: p.lda, Scale: 1, Disp: disp}
	case 2:
		return Mem{Base: base, Index: p.lda, Scale: 2, Disp: disp}
	case 3:
		return Mem{Base: base, Index: p.lda3, Scale: 1, Disp: disp}
	}
	return Mem{Base: base, Disp: disp}
}

// advance moves every row pointer on by n bytes.
func (p rowPtrs) advance(n int) {
	ADDQ(U32(n), p.pj)
	if p.p4 != nil {
		ADDQ(U32(n), p.p4)
	}
}

// nRegs are the registers shared by the row blocks of gemvN.
type nRegs struct {
	m, yp, ap, lda, lda3, xp, nB, nmain, nvec, betaZero reg.Register
	mask                                                reg.VecVirtual
	kr                                                  reg.OpmaskPhysical
	valpha, vbeta                                       reg.VecVirtual
}

// pcalign pads with NOPs to the next multiple of n bytes (Go assembler
// PCALIGN). The AVX-512 gemvN aligns its main loops: the size test before
// them moved the float32 loop to byte 61 of a cache line, which cost 2.7% at
// n = 512.
func pcalign(n int) {
	Instruction(&ir.Instruction{Opcode: "PCALIGN", Operands: []Op{Imm(uint64(n))}})
}

// gemvNBlock emits the loop over blocks of R rows, labels prefixed by
// prefix; with pf > 0 it prefetches A pf bytes ahead of each row pointer
// with PREFETCHNTA, one per cache line.
func (k kind) gemvNBlock(prefix string, R, U int, next string, g nRegs, pf int) {
	L := func(s string) string { return fmt.Sprintf("%s%d%s", prefix, R, s) }
	Label(L("rows"))
	CMPQ(g.m, U32(R))
	JL(LabelRef(next))
	p := newRowPtrs(R, g.ap, g.lda, g.lda3)
	acc := make([][]reg.VecVirtual, R)
	for r := range acc {
		acc[r] = make([]reg.VecVirtual, U)
		for u := range acc[r] {
			acc[r][u] = k.vec()
			zero(acc[r][u])
		}
	}
	xv := make([]reg.VecVirtual, U)
	for u := range xv {
		xv[u] = k.vec()
	}
	j := GP64()
	XORQ(j, j)

	CMPQ(j, g.nmain)
	JGE(LabelRef(L("vec")))
	if k.ISA.Is512() {
		pcalign(32)
	}
	Label(L("main"))
	for u := 0; u < U; u++ {
		k.Load(mem(g.xp, j, u*k.vb()), xv[u])
	}
	for r := 0; r < R; r++ {
		for off := 0; pf > 0 && off < U*k.vb(); off += 64 {
			PREFETCHNTA(p.mem(r, pf+off))
		}
		for u := 0; u < U; u++ {
			k.FMA(xv[u], p.mem(r, u*k.vb()), acc[r][u])
		}
	}
	ADDQ(U32(U*k.vb()), j)
	p.advance(U * k.vb())
	CMPQ(j, g.nmain)
	JL(LabelRef(L("main")))

	Label(L("vec"))
	CMPQ(j, g.nvec)
	JGE(LabelRef(L("tail")))
	k.Load(mem(g.xp, j, 0), xv[0])
	for r := 0; r < R; r++ {
		k.FMA(xv[0], p.mem(r, 0), acc[r][0])
	}
	ADDQ(U32(k.vb()), j)
	p.advance(k.vb())
	JMP(LabelRef(L("vec")))

	Label(L("tail"))
	CMPQ(j, g.nB)
	JGE(LabelRef(L("reduce")))
	tmp := k.vec()
	if k.ISA.Is512() {
		k.LoadMasked(mem(g.xp, j, 0), g.kr, xv[0])
		for r := 0; r < R; r++ {
			k.FMAMasked(xv[0], p.mem(r, 0), g.kr, acc[r][0])
		}
	} else {
		k.LoadMaskedAVX2(mem(g.xp, j, 0), g.mask, xv[0])
		for r := 0; r < R; r++ {
			k.LoadMaskedAVX2(p.mem(r, 0), g.mask, tmp)
			k.FMA(xv[0], tmp, acc[r][0])
		}
	}

	Label(L("reduce"))
	for r := 0; r < R; r++ {
		for u := 1; u < U; u++ {
			k.Add(acc[r][0], acc[r][u], acc[r][0])
		}
		k.fold128(acc[r][0], tmp)
	}
	// parts are 128-bit registers of finished sums and their byte offsets
	// in y.
	type part struct {
		v   reg.VecVirtual
		off int
	}
	var parts []part
	if R == 1 {
		k.hsum(acc[0][0], tmp)
		parts = []part{{acc[0][0], 0}}
	}
	for g4 := 0; g4+4 <= R; g4 += 4 {
		a0, a1, a2, a3 := acc[g4][0].AsX(), acc[g4+1][0].AsX(), acc[g4+2][0].AsX(), acc[g4+3][0].AsX()
		t := tmp.AsX()
		if k.T.Size == 4 {
			// [a0_0 a1_0 a0_1 a1_1] + [a0_2 a1_2 a0_3 a1_3] = [a0_02 a1_02 a0_13 a1_13].
			VUNPCKHPS(a1, a0, t)
			VUNPCKLPS(a1, a0, a0)
			VADDPS(t, a0, a0)
			VUNPCKHPS(a3, a2, t)
			VUNPCKLPS(a3, a2, a2)
			VADDPS(t, a2, a2)
			// [a0_02 a1_02 a2_02 a3_02] + [a0_13 a1_13 a2_13 a3_13].
			VUNPCKHPD(a2, a0, t)
			VUNPCKLPD(a2, a0, a0)
			VADDPS(t, a0, a0)
			parts = append(parts, part{acc[g4][0], g4 * 4})
		} else {
			// [a0_0 a1_0] + [a0_1 a1_1], and likewise for rows 2, 3 into a2.
			VUNPCKHPD(a1, a0, t)
			VUNPCKLPD(a1, a0, a0)
			VADDPD(t, a0, a0)
			VUNPCKHPD(a3, a2, t)
			VUNPCKLPD(a3, a2, a2)
			VADDPD(t, a2, a2)
			parts = append(parts, part{acc[g4][0], g4 * 8}, part{acc[g4+2][0], g4*8 + 16})
		}
	}

	// Store: y = alpha*s + beta*y, or alpha*s when beta == 0.
	yp := g.yp
	TESTQ(g.betaZero, g.betaZero)
	JNZ(LabelRef(L("bzero")))
	for _, pt := range parts {
		if R == 1 {
			k.MulScalar(g.vbeta.AsX(), Mem{Base: yp, Disp: pt.off}, tmp.AsX())
			k.FMAScalar(g.valpha.AsX(), pt.v.AsX(), tmp.AsX())
			k.StoreScalar(tmp.AsX(), Mem{Base: yp, Disp: pt.off})
		} else {
			k.Mul(g.vbeta.AsX(), Mem{Base: yp, Disp: pt.off}, tmp.AsX())
			k.FMA(g.valpha.AsX(), pt.v.AsX(), tmp.AsX())
			k.Store(tmp.AsX(), Mem{Base: yp, Disp: pt.off})
		}
	}
	JMP(LabelRef(L("next")))
	Label(L("bzero"))
	for _, pt := range parts {
		if R == 1 {
			k.MulScalar(g.valpha.AsX(), pt.v.AsX(), tmp.AsX())
			k.StoreScalar(tmp.AsX(), Mem{Base: yp, Disp: pt.off})
		} else {
			k.Mul(g.valpha.AsX(), pt.v.AsX(), tmp.AsX())
			k.Store(tmp.AsX(), Mem{Base: yp, Disp: pt.off})
		}
	}
	Label(L("next"))
	for r := 0; r < R; r++ {
		ADDQ(g.lda, g.ap)
	}
	ADDQ(U32(R*k.T.Size), yp)
	SUBQ(U32(R), g.m)
	JMP(LabelRef(L("rows")))
}

// gemvT emits ?gemvT{AVX2,AVX512}: y = alpha*Aᵀ*x + beta*y.
func gemvT(k kind) {
	name := k.prefix() + "gemvT" + k.level()
	TEXT(name, NOSPLIT, signature(k))
	Pragma("noescape")
	Doc(name+" computes y = alpha*Aᵀ*x + beta*y for the len(x)×len(y) row-major A", "with leading dimension lda, like gemvTGeneric; y is not read when beta == 0.")

	yp := Load(Param("y").Base(), GP64())
	nB := Load(Param("y").Len(), GP64())
	SHLQ(U8(k.Shift()), nB)
	ap := Load(Param("a").Base(), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(k.Shift()), lda)
	xp := Load(Param("x").Base(), GP64())
	m := Load(Param("x").Len(), GP64())

	valpha, vbeta := k.vec(), k.vec()
	k.Broadcast(addr("alpha"), valpha)
	k.Broadcast(addr("beta"), vbeta)

	nvec := GP64()
	MOVQ(nB, nvec)
	ANDQ(I32(-k.vb()), nvec)
	var kr reg.OpmaskPhysical
	if k.ISA.Is512() {
		rB := GP64()
		MOVQ(nB, rB)
		SUBQ(nvec, rB)
		_, kr = k.loadTail(rB)
	}

	// Scale y by beta: zero when beta == 0, nothing when beta == 1.
	z := k.vec()
	zero(z)
	j := GP64()
	XORQ(j, j)
	k.UComI(addr("beta"), z.AsX())
	JNE(LabelRef("scale"))
	JP(LabelRef("scale"))
	Label("zeroloop")
	CMPQ(j, nvec)
	JGE(LabelRef("zerotail"))
	k.Store(z, mem(yp, j, 0))
	ADDQ(U32(k.vb()), j)
	JMP(LabelRef("zeroloop"))
	Label("zerotail")
	CMPQ(j, nB)
	JGE(LabelRef("rows"))
	if k.ISA.Is512() {
		k.StoreMasked(z, kr, mem(yp, j, 0))
	} else {
		k.StoreScalar(z.AsX(), mem(yp, j, 0))
		ADDQ(U32(k.T.Size), j)
		JMP(LabelRef("zerotail"))
	}
	JMP(LabelRef("rows"))

	Label("scale")
	one := GP64()
	if k.T.Size == 4 {
		MOVL(U32(0x3f800000), one.As32())
		VMOVD(one.As32(), z.AsX())
	} else {
		MOVQ(U64(0x3ff0000000000000), one)
		VMOVQ(one, z.AsX())
	}
	k.UComI(addr("beta"), z.AsX())
	JNE(LabelRef("scaleloop"))
	JP(LabelRef("scaleloop"))
	JMP(LabelRef("rows"))
	Label("scaleloop")
	CMPQ(j, nvec)
	JGE(LabelRef("scaletail"))
	k.Mul(vbeta, mem(yp, j, 0), z)
	k.Store(z, mem(yp, j, 0))
	ADDQ(U32(k.vb()), j)
	JMP(LabelRef("scaleloop"))
	Label("scaletail")
	CMPQ(j, nB)
	JGE(LabelRef("rows"))
	if k.ISA.Is512() {
		k.LoadMasked(mem(yp, j, 0), kr, z)
		k.Mul(z, vbeta, z)
		k.StoreMasked(z, kr, mem(yp, j, 0))
	} else {
		k.MulScalar(vbeta.AsX(), mem(yp, j, 0), z.AsX())
		k.StoreScalar(z.AsX(), mem(yp, j, 0))
		ADDQ(U32(k.T.Size), j)
		JMP(LabelRef("scaletail"))
	}

	Label("rows")
	// Rows per pass (blocks, largest first) and y vectors per step: the
	// independent FMA chains of a step hide the FMA latency; more rows per
	// pass mean fewer trips of y through L1, fewer rows fewer concurrent
	// streams of A. Measured on Zen 5 against the alternatives in paired
	// runs, fewer streams win. AVX2 takes 4 rows in steps of 8
	// then 4 vectors (1.3-1.4x faster than 8 rows in steps of 4 for float32
	// at n = 128, equal elsewhere). AVX-512 takes 2 rows (1.2-1.4x faster
	// than 8 at n = 128, no slower at n = 512) in steps of 16 vectors (rows
	// of at least 32 vectors) then 8: 10-20% faster than steps of 8 at
	// n = 512 and equal at n = 128, where 16-vector steps alone were 30%
	// slower for float64 (hence the 32-vector threshold). For A between
	// midBytes and streamBytes it takes 4 rows with prefetch (see
	// midBytes).
	// units are the vectors per step of the column loops, largest first: a
	// row of y is walked in steps of units[0] vectors, then at most one step
	// of each smaller unit, then single vectors.
	blocks, units := []int{4, 1}, []int{8, 4}
	if k.ISA.Is512() {
		blocks, units = []int{2, 1}, []int{16, 8}
	}
	if k.ISA.Is512() {
		size := GP64()
		MOVQ(m, size)
		IMULQ(nB, size)
		CMPQ(size, U32(streamBytes))
		JA(LabelRef("stream"))
	}
	lda3 := GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	bounds := make([]reg.Register, len(units))
	for i, u := range units {
		bounds[i] = GP64()
		MOVQ(nB, bounds[i])
		ANDQ(I32(-u*k.vb()), bounds[i])
	}
	if k.ISA.Is512() {
		// Rows shorter than 2*units[0] vectors skip the widest steps.
		zeroB := GP64()
		XORQ(zeroB, zeroB)
		CMPQ(nB, U32(2*units[0]*k.vb()))
		CMOVQLT(zeroB, bounds[0])
	}
	if k.ISA.Is512() {
		// A between midBytes and streamBytes: 4 rows per pass with
		// prefetch (see midBytes).
		size := GP64()
		MOVQ(m, size)
		IMULQ(nB, size)
		CMPQ(size, U32(midBytes))
		JA(LabelRef("m4rows"))
	}
	for bi, r := range blocks {
		next := "done"
		if bi+1 < len(blocks) {
			next = fmt.Sprintf("t%drows", blocks[bi+1])
		}
		k.gemvTBlock("t", r, units, next, m, yp, ap, lda, lda3, xp, nB, bounds, nvec, kr, valpha, 0, 0)
	}
	if k.ISA.Is512() {
		k.gemvTBlock("m", 4, units, "m1rows", m, yp, ap, lda, lda3, xp, nB, bounds, nvec, kr, valpha, midPrefetchT, midPrefetchStride)
		k.gemvTBlock("m", 1, units, "done", m, yp, ap, lda, lda3, xp, nB, bounds, nvec, kr, valpha, 0, 0)
		// A larger than streamBytes: single rows, read as one sequential
		// stream with prefetch (see streamPrefetchT), in steps of 4
		// vectors.
		Label("stream")
		b := GP64()
		MOVQ(nB, b)
		ANDQ(I32(-4*k.vb()), b)
		k.gemvTBlock("s", 1, []int{4}, "done", m, yp, ap, lda, nil, xp, nB, []reg.Register{b}, nvec, kr, valpha, streamPrefetchT, 64)
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// gemvTBlock emits the passes over blocks of R rows, labels prefixed by
// prefix; with pf > 0 it prefetches A pf bytes ahead of each row pointer
// with PREFETCHNTA, one per pfStride bytes (a multiple of 64), and aligns
// the main loops.
func (k kind) gemvTBlock(prefix string, R int, units []int, next string, m, yp, ap, lda, lda3, xp, nB reg.Register, bounds []reg.Register, nvec reg.Register, kr reg.OpmaskPhysical, valpha reg.VecVirtual, pf, pfStride int) {
	L := func(s string) string { return fmt.Sprintf("%s%d%s", prefix, R, s) }
	Label(L("rows"))
	CMPQ(m, U32(R))
	JL(LabelRef(next))
	p := newRowPtrs(R, ap, lda, lda3)
	t := make([]reg.VecVirtual, R)
	for r := range t {
		t[r] = k.vec()
		k.Broadcast(Mem{Base: xp, Disp: r * k.T.Size}, t[r])
		k.Mul(t[r], valpha, t[r])
	}
	acc := make([]reg.VecVirtual, units[0])
	for u := range acc {
		acc[u] = k.vec()
	}
	j := GP64()
	XORQ(j, j)

	for ui, U := range units {
		main := L(fmt.Sprintf("main%d", U))
		end := L(fmt.Sprintf("end%d", U))
		CMPQ(j, bounds[ui])
		JGE(LabelRef(end))
		if pf > 0 {
			pcalign(32)
		}
		Label(main)
		for u := 0; u < U; u++ {
			k.Load(mem(yp, j, u*k.vb()), acc[u])
		}
		for r := 0; r < R; r++ {
			for off := 0; pf > 0 && off < U*k.vb(); off += pfStride {
				PREFETCHNTA(p.mem(r, pf+off))
			}
			for u := 0; u < U; u++ {
				k.FMA(t[r], p.mem(r, u*k.vb()), acc[u])
			}
		}
		for u := 0; u < U; u++ {
			k.Store(acc[u], mem(yp, j, u*k.vb()))
		}
		ADDQ(U32(U*k.vb()), j)
		p.advance(U * k.vb())
		CMPQ(j, bounds[ui])
		JL(LabelRef(main))
		Label(end)
	}

	Label(L("vec"))
	CMPQ(j, nvec)
	JGE(LabelRef(L("tail")))
	k.Load(mem(yp, j, 0), acc[0])
	for r := 0; r < R; r++ {
		k.FMA(t[r], p.mem(r, 0), acc[0])
	}
	k.Store(acc[0], mem(yp, j, 0))
	ADDQ(U32(k.vb()), j)
	p.advance(k.vb())
	JMP(LabelRef(L("vec")))

	Label(L("tail"))
	CMPQ(j, nB)
	JGE(LabelRef(L("next")))
	if k.ISA.Is512() {
		k.LoadMasked(mem(yp, j, 0), kr, acc[0])
		for r := 0; r < R; r++ {
			k.FMAMasked(t[r], p.mem(r, 0), kr, acc[0])
		}
		k.StoreMasked(acc[0], kr, mem(yp, j, 0))
	} else {
		k.LoadScalar(mem(yp, j, 0), acc[0].AsX())
		for r := 0; r < R; r++ {
			k.FMAScalar(t[r].AsX(), p.mem(r, 0), acc[0].AsX())
		}
		k.StoreScalar(acc[0].AsX(), mem(yp, j, 0))
		ADDQ(U32(k.T.Size), j)
		p.advance(k.T.Size)
		JMP(LabelRef(L("tail")))
	}

	Label(L("next"))
	for r := 0; r < R; r++ {
		ADDQ(lda, ap)
	}
	ADDQ(U32(R*k.T.Size), xp)
	SUBQ(U32(R), m)
	JMP(LabelRef(L("rows")))
}
