package kernels

// Trace advances an n×m matrix of eligibility traces E by one step and
// accumulates its contribution into the gradient G, in one pass over memory,
// with n = len(c) and m = len(v):
//
//	for i < n, j < m:
//		E[i*lde+j] = c[i]*E[i*lde+j] + d[i]*v[j]
//		G[i*ldg+j] += p[i]*E[i*lde+j] + q[i]*v[j]
//
// This one form covers the RFLO trace (c = leak, d = (1-leak)·ψ, p = learning
// signal, q = 0), the e-prop traces of plain units, the threshold-adaptation
// component of ALIF units at leak 0, and the gradient accumulation of
// METHOD.md §2.3–2.6. d, p and q must have length n. E and G must not overlap
// each other or the vectors. Levels: generic, avx2, avx512.
func Trace[T Float](e []T, lde int, g []T, ldg int, c, d, p, q, v []T) {
	n, m := len(c), len(v)
	if len(d) != n || len(p) != n || len(q) != n {
		panic(errLength)
	}
	checkMatrix(e, n, m, lde)
	checkMatrix(g, n, m, ldg)
	if n == 0 || m == 0 {
		return
	}
	if is32[T]() {
		state.table.strace(f32(e), lde, f32(g), ldg, f32(c), f32(d), f32(p), f32(q), f32(v))
		return
	}
	state.table.dtrace(f64(e), lde, f64(g), ldg, f64(c), f64(d), f64(p), f64(q), f64(v))
}

// TraceBatch applies Trace to batch independent trace matrices that share
// one gradient: E holds batch dense n×m matrices one after another, c, d, p
// and q hold batch vectors of length n (n = len(c)/batch), v holds batch
// vectors of length m (m = len(v)/batch), and every item adds into G:
//
//	for b < batch: Trace(E[b*n*m:], m, G, ldg, c[b*n:], d[b*n:], p[b*n:], q[b*n:], v[b*m:])
//
// The items are summed into G in increasing b. It panics if the lengths do
// not divide by batch or do not match. Levels: as Trace.
func TraceBatch[T Float](batch int, e []T, g []T, ldg int, c, d, p, q, v []T) {
	if batch < 0 {
		panic(errNegDim)
	}
	if batch == 0 {
		return
	}
	if len(c)%batch != 0 || len(v)%batch != 0 {
		panic(errLength)
	}
	n, m := len(c)/batch, len(v)/batch
	if len(d) != len(c) || len(p) != len(c) || len(q) != len(c) || len(e) < batch*n*m {
		panic(errLength)
	}
	for b := 0; b < batch; b++ {
		Trace(e[b*n*m:(b+1)*n*m], max(m, 1), g, ldg, c[b*n:(b+1)*n], d[b*n:(b+1)*n], p[b*n:(b+1)*n], q[b*n:(b+1)*n], v[b*m:(b+1)*m])
	}
}
