package simd

import (
	"fmt"
	"os"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// BuildConstraint is the build constraint of every generated file: the
// assembly is compiled out by the noasm and purego tags and by non-gc
// compilers. It is written in the comma-for-and syntax that avo v0.6.0's
// ConstraintExpr parses; avo prints it as
// "//go:build !noasm && !purego && gc".
const BuildConstraint = "!noasm,!purego,gc"

// Setup prepares a generator: it forces GOOS/GOARCH to linux/amd64 so avo
// lays out arguments for amd64 whatever the host (avo issue #450) and sets
// the build constraint. Call it first in main; the package name comes from
// the -pkg flag that Generate reads.
func Setup() {
	os.Setenv("GOOS", "linux")
	os.Setenv("GOARCH", "amd64")
	ConstraintExpr(BuildConstraint)
}

// Type is an element type.
type Type struct {
	// Go is the Go type name, "float32" or "float64".
	Go string
	// Size is the element size in bytes.
	Size int
	// Prefix is the BLAS-style symbol prefix, "s" or "d".
	Prefix string
}

// The element types.
var (
	Float32 = Type{Go: "float32", Size: 4, Prefix: "s"}
	Float64 = Type{Go: "float64", Size: 8, Prefix: "d"}
)

// ISA is an instruction-set level; its name is the suffix of every symbol
// generated for it and matches kernels.Level's names (AVX2, AVX512).
type ISA struct {
	// Name is the symbol suffix, "AVX2" or "AVX512".
	Name string
	// Bytes is the vector width in bytes.
	Bytes int
}

// The instruction-set levels.
var (
	AVX2   = ISA{Name: "AVX2", Bytes: 32}
	AVX512 = ISA{Name: "AVX512", Bytes: 64}
)

// Is512 reports whether the level is AVX-512.
func (i ISA) Is512() bool { return i.Bytes == 64 }

// Variant is one element type at one instruction-set level. Its methods
// emit the instruction that does an operation for that type and width.
type Variant struct {
	T   Type
	ISA ISA
}

// Variants returns the four variants in the order every generator emits
// them: float32 AVX2, float64 AVX2, float32 AVX-512, float64 AVX-512.
func Variants() []Variant {
	return []Variant{{Float32, AVX2}, {Float64, AVX2}, {Float32, AVX512}, {Float64, AVX512}}
}

// Sym returns the symbol of kernel base for this variant, e.g. "sdotAVX2".
func (v Variant) Sym(base string) string { return v.T.Prefix + base + v.ISA.Name }

// Generic returns the name of the Go reference of kernel base for this
// variant's type, e.g. "dotGeneric[float32]", for doc comments.
func (v Variant) Generic(base string) string {
	return fmt.Sprintf("%sGeneric[%s]", base, v.T.Go)
}

// Shift returns log2 of the element size: the left shift that turns an
// element count or stride into bytes.
func (v Variant) Shift() uint8 {
	if v.T.Size == 4 {
		return 2
	}
	return 3
}

// Lanes returns the number of elements in one vector.
func (v Variant) Lanes() int { return v.ISA.Bytes / v.T.Size }

// Vec allocates a full-width vector register (YMM or ZMM).
func (v Variant) Vec() reg.VecVirtual {
	if v.ISA.Is512() {
		return ZMM()
	}
	return YMM()
}

// Vecs allocates n full-width vector registers.
func (v Variant) Vecs(n int) []reg.VecVirtual {
	r := make([]reg.VecVirtual, n)
	for i := range r {
		r[i] = v.Vec()
	}
	return r
}

// TEXT starts the function of kernel base with the given Go signature, as
// NOSPLIT with a zero frame, noescape, and a doc comment whose first line
// names the symbol. doc is the rest of the sentence, e.g.
// "computes x·y like dotGeneric[float32]."
func (v Variant) TEXT(base, signature, doc string, more ...string) {
	name := v.Sym(base)
	TEXT(name, NOSPLIT, signature)
	Pragma("noescape")
	Doc(append([]string{name + " " + doc}, more...)...)
}

// pick returns a for float32 and b for float64.
func (v Variant) pick(a, b func(...Op)) func(...Op) {
	if v.T.Size == 4 {
		return a
	}
	return b
}

// Zero sets r to all zero bits. It uses VPXORD for ZMM (AVX-512F, no DQ).
func (v Variant) Zero(r reg.Register) {
	if r.Size() == 64 {
		VPXORD(r, r, r)
		return
	}
	VXORPS(r, r, r)
}

// Load moves the vector at m to r (unaligned).
func (v Variant) Load(m Op, r Op) { v.pick(VMOVUPS, VMOVUPD)(m, r) }

// Store moves r to the vector at m (unaligned).
func (v Variant) Store(r Op, m Op) { v.pick(VMOVUPS, VMOVUPD)(r, m) }

// LoadMasked loads the lanes of m selected by k into r and zeroes the
// others; unselected lanes are not read, so they may lie past the slice.
func (v Variant) LoadMasked(m Op, k Op, r Op) {
	if v.T.Size == 4 {
		VMOVUPS_Z(m, k, r)
	} else {
		VMOVUPD_Z(m, k, r)
	}
}

// StoreMasked stores the lanes of r selected by k to m; other lanes of m
// are not written.
func (v Variant) StoreMasked(r Op, k Op, m Op) { v.pick(VMOVUPS, VMOVUPD)(r, k, m) }

// LoadScalar loads one element from m into the low lane of the XMM r,
// zeroing the others.
func (v Variant) LoadScalar(m Op, r Op) { v.pick(VMOVSS, VMOVSD)(m, r) }

// StoreScalar stores the low lane of the XMM r to m.
func (v Variant) StoreScalar(r Op, m Op) { v.pick(VMOVSS, VMOVSD)(r, m) }

// Broadcast fills r with the scalar at m (a memory operand such as a
// parameter, or the low lane of an XMM register).
func (v Variant) Broadcast(m Op, r Op) { v.pick(VBROADCASTSS, VBROADCASTSD)(m, r) }

// Addr returns the memory operand of a scalar parameter or result, such as
// Param("alpha") or ReturnIndex(0). It panics (failing the generator) if c
// is not a basic value.
func Addr(c gotypes.Component) Mem {
	b, err := c.Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// BroadcastParam loads the scalar parameter name into every lane of a new
// full-width vector register, straight from the argument frame.
func (v Variant) BroadcastParam(name string) reg.VecVirtual {
	r := v.Vec()
	v.Broadcast(Addr(Param(name)), r)
	return r
}

// MulScalar sets the low lane of dst to a * b (XMM operands; VMULSS/SD).
func (v Variant) MulScalar(a, b, dst Op) { v.pick(VMULSS, VMULSD)(b, a, dst) }

// FMAScalar sets the low lane of acc to a*b + acc with one rounding (XMM
// operands; b may be a memory operand).
func (v Variant) FMAScalar(a, b, acc Op) { v.pick(VFMADD231SS, VFMADD231SD)(b, a, acc) }

// FMAMasked is FMA on the lanes selected by the opmask k (AVX-512); the
// other lanes of acc keep their value.
func (v Variant) FMAMasked(a, b, k, acc Op) { v.pick(VFMADD231PS, VFMADD231PD)(b, a, k, acc) }

// LoadMaskedAVX2 loads the lanes of m whose mask lane (a vector register)
// has its sign bit set into r and zeroes the others (VMASKMOVPS/PD);
// unselected lanes are not read.
func (v Variant) LoadMaskedAVX2(m, mask, r Op) {
	if v.T.Size == 4 {
		VMASKMOVPS(m, mask, r)
	} else {
		VMASKMOVPD(m, mask, r)
	}
}

// UComI compares the scalars a and b unordered and sets the flags
// (VUCOMISS/SD).
func (v Variant) UComI(a, b Op) {
	if v.T.Size == 4 {
		VUCOMISS(a, b)
	} else {
		VUCOMISD(a, b)
	}
}

// Add sets dst = a + b.
func (v Variant) Add(a, b, dst Op) { v.pick(VADDPS, VADDPD)(b, a, dst) }

// Sub sets dst = a - b.
func (v Variant) Sub(a, b, dst Op) { v.pick(VSUBPS, VSUBPD)(b, a, dst) }

// Mul sets dst = a * b.
func (v Variant) Mul(a, b, dst Op) { v.pick(VMULPS, VMULPD)(b, a, dst) }

// FMA sets acc = a*b + acc with one rounding. b may be a memory operand.
func (v Variant) FMA(a, b, acc Op) { v.pick(VFMADD231PS, VFMADD231PD)(b, a, acc) }

// FMAdd sets dst = a*dst + c with one rounding (VFMADD213). c may be a
// memory operand.
func (v Variant) FMAdd(a, c, dst Op) { v.pick(VFMADD213PS, VFMADD213PD)(c, a, dst) }

// And sets dst = a AND b bitwise. For ZMM registers the float forms need
// AVX512DQ, so the integer VPANDD/VPANDQ (AVX512F) is used.
func (v Variant) And(a, b, dst reg.Register) {
	if a.Size() == 64 {
		VPANDD(b, a, dst)
		return
	}
	v.pick(VANDPS, VANDPD)(b, a, dst)
}

// Cmp sets dst to the comparison a <pred> b, with pred one of the
// predicates below: all-ones lanes where true for a vector destination, or
// the bits of an opmask K destination (AVX-512).
func (v Variant) Cmp(pred int, a, b, dst Op) { v.pick(VCMPPS, VCMPPD)(U8(pred), b, a, dst) }

// Comparison predicates for Cmp (the quiet, non-signalling encodings).
const (
	// CmpGT is a > b, false when either is NaN (GT_OQ).
	CmpGT = 0x1e
	// CmpNLE is !(a <= b), true when either is NaN (NLE_UQ).
	CmpNLE = 0x16
)

// MoveZeroMasked sets dst to the lanes of src selected by k and zeroes the
// others (AVX-512 register-to-register VMOVUP*.Z).
func (v Variant) MoveZeroMasked(src, k, dst Op) {
	if v.T.Size == 4 {
		VMOVUPS_Z(src, k, dst)
	} else {
		VMOVUPD_Z(src, k, dst)
	}
}

// TailMask sets the opmask k to the low n bits (0 <= n < Lanes()), so a
// masked load or store touches exactly the first n elements. It uses CX
// for the shift count. KMOVW (AVX512F) covers both the 16 float32 and the 8
// float64 lanes.
func (v Variant) TailMask(n reg.Register, k reg.OpmaskVirtual) {
	one := GP64()
	MOVQ(n, reg.RCX)
	MOVL(U32(1), one.As32())
	SHLL(reg.CL, one.As32())
	DECL(one.As32())
	KMOVW(one.As32(), k)
}

// One fills r with 1.0 in every lane.
func (v Variant) One(r reg.VecVirtual) {
	t := GP64()
	if v.T.Size == 4 {
		MOVL(U32(0x3f800000), t.As32())
	} else {
		MOVQ(U64(0x3ff0000000000000), t)
	}
	VMOVQ(t, r.AsX())
	v.Broadcast(r.AsX(), r)
}

// ReduceAdd sums the lanes of acc into the low lane of the returned XMM
// register (a view of acc, which is clobbered). The order is fixed: the
// upper half is added to the lower half repeatedly (512→256→128→64→32
// bits), so lane i of a ZMM meets lane i+8, then i+4, i+2, i+1 (float32).
func (v Variant) ReduceAdd(acc reg.VecVirtual) reg.Register {
	if acc.Size() == 64 {
		hi := YMM()
		VEXTRACTF64X4(U8(1), acc, hi)
		v.Add(acc.AsY(), hi, acc.AsY())
	}
	x := acc.AsX()
	hi := XMM()
	VEXTRACTF128(U8(1), acc.AsY(), hi)
	v.Add(x, hi, x)
	if v.T.Size == 4 {
		VMOVHLPS(x, x, hi) // hi = lanes 2,3 of x
		VADDPS(hi, x, x)
		VMOVSHDUP(x, hi) // hi[0] = x[1]
		VADDSS(hi, x, x)
	} else {
		VUNPCKHPD(x, x, hi) // hi[0] = x[1]
		VADDSD(hi, x, x)
	}
	return x
}

// Block is one step of an element loop: Vectors full vectors, one masked
// vector (AVX-512 tail) or one scalar element (AVX2 tail). A loop body
// written against Block works for all three: it loads through Load, stores
// through Store and computes with the packed instructions of Variant on
// registers from Reg, which for a scalar block are XMM views whose upper
// lanes are ignored.
type Block struct {
	V Variant
	// Vectors is the number of vectors the block covers (1 for masked and
	// scalar blocks).
	Vectors int
	// Masked is true for the AVX-512 tail; Mask selects its lanes.
	Masked bool
	Mask   reg.OpmaskVirtual
	// Scalar is true for one element of the AVX2 tail.
	Scalar bool
	// Index holds the index of the block's first element.
	Index reg.GPVirtual
}

// Mem returns the address of vector i of the block in the slice whose base
// pointer is in base.
func (b Block) Mem(base reg.Register, i int) Mem {
	return Mem{Base: base, Index: b.Index, Scale: uint8(b.V.T.Size), Disp: i * b.V.ISA.Bytes}
}

// Reg returns the register a block operates on: r itself, or its XMM view
// for a scalar block.
func (b Block) Reg(r reg.VecVirtual) reg.Register {
	if b.Scalar {
		return r.AsX()
	}
	return r
}

// Src returns an operand for vector i of the slice at base: the memory
// operand itself for a full block, so it can feed an instruction directly,
// or r after a masked or scalar load (a packed memory operand would read
// past the end of the slice).
func (b Block) Src(base reg.Register, i int, r reg.VecVirtual) Op {
	if b.Scalar || b.Masked {
		b.Load(base, i, r)
		return b.Reg(r)
	}
	return b.Mem(base, i)
}

// Load loads vector i of the slice at base into r.
func (b Block) Load(base reg.Register, i int, r reg.VecVirtual) {
	m := b.Mem(base, i)
	switch {
	case b.Scalar:
		b.V.LoadScalar(m, r.AsX())
	case b.Masked:
		b.V.LoadMasked(m, b.Mask, r)
	default:
		b.V.Load(m, r)
	}
}

// Store stores r to vector i of the slice at base.
func (b Block) Store(r reg.VecVirtual, base reg.Register, i int) {
	m := b.Mem(base, i)
	switch {
	case b.Scalar:
		b.V.StoreScalar(r.AsX(), m)
	case b.Masked:
		b.V.StoreMasked(r, b.Mask, m)
	default:
		b.V.Store(r, m)
	}
}

// ElementLoop emits a loop over the n elements counted by the register n
// (clobbered), calling body for each block: first blocks of unroll vectors,
// then single vectors, then the tail (one masked vector for AVX-512, a
// scalar loop for AVX2). Elements are visited in increasing index order.
// name makes the labels unique within the function. After the loop control
// reaches the label name+"_done"; body must not jump.
func (v Variant) ElementLoop(name string, n reg.Register, unroll int, body func(b Block)) {
	idx := GP64()
	XORQ(idx, idx)
	lanes := v.Lanes()
	if unroll > 1 {
		Label(name + "_loopU")
		CMPQ(n, U32(unroll*lanes))
		JL(LabelRef(name + "_loop1"))
		body(Block{V: v, Vectors: unroll, Index: idx})
		ADDQ(U32(unroll*lanes), idx)
		SUBQ(U32(unroll*lanes), n)
		JMP(LabelRef(name + "_loopU"))
	}
	Label(name + "_loop1")
	CMPQ(n, U32(lanes))
	JL(LabelRef(name + "_tail"))
	body(Block{V: v, Vectors: 1, Index: idx})
	ADDQ(U32(lanes), idx)
	SUBQ(U32(lanes), n)
	JMP(LabelRef(name + "_loop1"))

	Label(name + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	if v.ISA.Is512() {
		k := K()
		v.TailMask(n, k)
		body(Block{V: v, Vectors: 1, Masked: true, Mask: k, Index: idx})
	} else {
		Label(name + "_scalar")
		body(Block{V: v, Vectors: 1, Scalar: true, Index: idx})
		INCQ(idx)
		DECQ(n)
		JNZ(LabelRef(name + "_scalar"))
	}
	Label(name + "_done")
}

// Ret emits VZEROUPPER and RET: every AVX function ends this way to avoid
// the AVX-SSE transition penalty in the Go code that follows.
func Ret() {
	VZEROUPPER()
	RET()
}
