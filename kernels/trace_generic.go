package kernels

func traceGeneric[T Float](e []T, lde int, g []T, ldg int, c, d, p, q, v []T) {
	for i := range c {
		erow := e[i*lde : i*lde+len(v)]
		grow := g[i*ldg : i*ldg+len(v)]
		ci, di, pi, qi := c[i], d[i], p[i], q[i]
		for j, vj := range v {
			ej := ci*erow[j] + di*vj
			erow[j] = ej
			grow[j] += pi*ej + qi*vj
		}
	}
}
