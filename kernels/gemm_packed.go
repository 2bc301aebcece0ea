package kernels

// PackedB is the right operand op(B) of C = alpha·op(A)·op(B) + beta·C,
// packed once in the layout the active level's micro-kernel reads, so that
// a product repeated with the same op(B) (the recurrent weights or the
// stored states of an RNN, reused at every step or by every
// Hessian-vector product) does not pack or stride through it again. The
// zero value is empty; Pack fills it and reuses its storage.
//
// PackedB holds a copy: later changes to the source do not reach it. It is
// tied to the level that was active at Pack; GemmPacked at another level
// (after SetLevel) still gives that level's Gemm result, through a slow
// unpacking path.
type PackedB[T Float] struct {
	level Level
	k, n  int
	// nr is the strip width of the packed layout: strip s holds
	// op(B)[l, s·nr+j] at data[s·k·nr + l·nr + j], zero beyond column n.
	// nr = 0 (no micro-kernel at the level) means op(B) row-major, k×n.
	nr   int
	data []T
}

// K returns the rows of op(B).
func (p *PackedB[T]) K() int { return p.k }

// N returns the columns of op(B).
func (p *PackedB[T]) N() int { return p.n }

// Pack stores op(B), k×n: B itself (ldb ≥ n) when tB is false, Bᵀ of the
// n×k matrix B (ldb ≥ k) when it is true. It panics on negative sizes, a
// leading dimension too small or a slice too short. Levels: generic, avx2,
// avx512 (the packing moves data only).
func (p *PackedB[T]) Pack(tB bool, k, n int, b []T, ldb int) {
	if tB {
		checkMatrix(b, n, k, ldb)
	} else {
		checkMatrix(b, k, n, ldb)
	}
	p.level, p.k, p.n = state.active, k, n
	mk := activeMicro[T]()
	if mk == nil {
		p.nr = 0
		p.data = grow(p.data, k*n)
		for l := 0; l < k; l++ {
			row := p.data[l*n : (l+1)*n]
			if tB {
				for j := range row {
					row[j] = b[j*ldb+l]
				}
			} else {
				copy(row, b[l*ldb:l*ldb+n])
			}
		}
		return
	}
	p.nr = mk.nr
	p.data = grow(p.data, (n+mk.nr-1)/mk.nr*k*mk.nr)
	if k > 0 && n > 0 {
		mk.packB(p.data, tB, n, k, b, ldb)
	}
}

// at returns op(B)[l, j].
func (p *PackedB[T]) at(l, j int) T {
	if p.nr == 0 {
		return p.data[l*p.n+j]
	}
	return p.data[(j/p.nr)*p.k*p.nr+l*p.nr+j%p.nr]
}

// dense returns op(B) row-major (k×n), a new copy unless it is stored so.
func (p *PackedB[T]) dense() []T {
	if p.nr == 0 {
		return p.data[:p.k*p.n]
	}
	d := make([]T, p.k*p.n)
	for l := 0; l < p.k; l++ {
		for j := 0; j < p.n; j++ {
			d[l*p.n+j] = p.at(l, j)
		}
	}
	return d
}

// GemmPacked is Gemm with op(B) taken from p (k = p.K(), n = p.N()):
//
//	C = alpha*op(A)*op(B) + beta*C
//
// with op(A) m×k (A, lda ≥ k, or Aᵀ of the k×m matrix A, lda ≥ m, when tA).
// Every element is bitwise that of Gemm with the unpacked operand at the
// same level. Panics as Gemm. Levels: generic, avx2, avx512.
func GemmPacked[T Float](tA bool, m int, alpha T, a []T, lda int, p *PackedB[T], beta T, c []T, ldc int) {
	GemmPackedMul(tA, m, alpha, a, lda, p, beta, c, ldc, nil, 0, 1)
}

// GemmPackedMul is GemmPacked followed by an elementwise product with M in
// the same pass, C = (alpha*op(A)*op(B) + beta*C) ⊙ M, where row i of C is
// multiplied by row i/rep of M (leading dimension ldm ≥ n): the
// ψ ⊙ (W·Rr) of a tangent recursion, with rep directions per batch row.
//
//	C[i*ldc+j] = (alpha*Σ_l op(A)[i,l]*op(B)[l,j] + beta*C[i*ldc+j]) * mul[(i/rep)*ldm+j]
//
// At the assembly levels, with rep = 1 and ldm = ldc, the micro-kernels
// multiply each tile in registers before storing it (their epilogue);
// otherwise each strip of mr rows of C is multiplied right after the
// micro-kernel has written it, while it is in L1. Either way C is not
// read again from memory. The values equal those of GemmPacked
// followed by Mul at the same level, bit for bit. A nil mul skips the
// product. Panics as Gemm, and if rep < 1 or mul is too short. C must not
// overlap mul. Levels: generic, avx2, avx512.
func GemmPackedMul[T Float](tA bool, m int, alpha T, a []T, lda int, p *PackedB[T], beta T, c []T, ldc int, mul []T, ldm, rep int) {
	k, n := checkPacked(tA, m, a, lda, p, c, ldc)
	if mul != nil {
		if rep < 1 {
			panic(errNegDim)
		}
		checkMatrix(mul, (m+rep-1)/rep, n, ldm)
	}
	if m == 0 || n == 0 {
		return
	}
	mk := activeMicro[T]()
	if mk == nil || p.level != state.active || p.nr != mk.nr {
		// The reference path: the unpacked operand through Gemm, then Mul
		// row by row.
		Gemm(tA, false, m, n, k, alpha, a, lda, p.dense(), max(n, 1), beta, c, ldc)
		if mul != nil {
			mulRowsRep(c, ldc, mul, ldm, rep, 0, m, 0, n)
		}
		return
	}
	mk.runPacked(tA, m, n, k, alpha, a, lda, p.data, beta, c, ldc, false, nil, mul, ldm, rep)
}

// GemmPackedReLU is GemmReLU with op(B) taken from p (k = p.K(), n =
// p.N()): the recurrent step of an RNN whose weights are packed once per
// pass,
//
//	C = alpha*op(A)*op(B) + beta*C
//	if mask != nil { mask[i*ldc+j] = 1 if C[i*ldc+j] > 0 else 0 }
//	C[i*ldc+j] = max(C[i*ldc+j], 0)
//
// with op(A) m×k (A, lda ≥ k, or Aᵀ of the k×m matrix A, lda ≥ m, when
// tA). Every element of C and mask is bitwise that of GemmReLU with the
// unpacked operand at the same level (the rectifier in the micro-kernels'
// epilogue, as there). Panics as GemmReLU. C must not overlap mask.
// Levels: generic, avx2, avx512.
func GemmPackedReLU[T Float](tA bool, m int, alpha T, a []T, lda int, p *PackedB[T], beta T, c []T, ldc int, mask []T) {
	k, n := checkPacked(tA, m, a, lda, p, c, ldc)
	if mask != nil {
		checkMatrix(mask, m, n, ldc)
	}
	if m == 0 || n == 0 {
		return
	}
	mk := activeMicro[T]()
	if mk == nil || p.level != state.active || p.nr != mk.nr {
		// The reference path: the unpacked operand through GemmReLU.
		GemmReLU(tA, false, m, n, k, alpha, a, lda, p.dense(), max(n, 1), beta, c, ldc, mask)
		return
	}
	mk.runPacked(tA, m, n, k, alpha, a, lda, p.data, beta, c, ldc, true, mask, nil, 0, 1)
}

// mulRowsRep multiplies rows [i0, i1) and columns [j0, j1) of c by the
// matching rows of mul (row i by row i/rep), with the active level's Mul.
func mulRowsRep[T Float](c []T, ldc int, mul []T, ldm, rep, i0, i1, j0, j1 int) {
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		mo := (i/rep)*ldm + j0
		Mul(row, row, mul[mo:mo+j1-j0])
	}
}

// runPacked is run (gemm_blocked.go) with op(B) already packed in the
// micro-kernel's strips, and either the rectifier (relu, with mask if not
// nil) or an optional product with mul, not both.
func (mk *gemmMicro[T]) runPacked(tA bool, m, n, k int, alpha T, a []T, lda int, packed []T, beta T, c []T, ldc int, relu bool, mask []T, mul []T, ldm, rep int) {
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		if relu {
			reluRows(c, ldc, mask, 0, m, 0, n)
		}
		if mul != nil {
			mulRowsRep(c, ldc, mul, ldm, rep, 0, m, 0, n)
		}
		return
	}
	mr, nr := mk.mr, mk.nr
	w := getGemmWork[T]()
	w.call = gemmCall[T]{
		mk: mk, tA: tA, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, lda: lda, c: c, ldc: ldc, packB: packed, relu: relu, mask: mask,
		mul: mul, ldm: ldm, rep: rep,
		fullStrips: m / mr, stripsM: (m + mr - 1) / mr,
		stripsN: (n + nr - 1) / nr, bFullStrips: n / nr,
	}
	g := &w.call
	g.setEpilogueFlags()
	size := 8
	if is32[T]() {
		size = 4
	}
	g.nc = max(nr, gemmL2Bytes/(k*size)/nr*nr)
	if tA && n >= gemmPackAMinCols {
		w.packA = grow(w.packA, g.stripsM*k*mr)
		mk.packATrans(w.packA, m, k, a, lda)
		g.packA = w.packA
	}
	if workers := g.workers(); workers <= 1 {
		g.block(w, 0, g.stripsM, 0, g.stripsN)
	} else {
		g.parallel(w, workers)
	}
	w.call = gemmCall[T]{}
	putGemmWork(w)
}

// checkPacked panics as Gemm if m < 0 or if op(A) (m×k) or C (m×n) is too
// short for the products GemmPackedMul and GemmPackedReLU take with p,
// and returns k = p.K() and n = p.N().
func checkPacked[T Float](tA bool, m int, a []T, lda int, p *PackedB[T], c []T, ldc int) (k, n int) {
	k, n = p.k, p.n
	if m < 0 {
		panic(errNegDim)
	}
	if tA {
		checkMatrix(a, k, m, lda)
	} else {
		checkMatrix(a, m, k, lda)
	}
	checkMatrix(c, m, n, ldc)
	return k, n
}
