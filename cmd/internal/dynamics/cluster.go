package dynamics

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Separation is how well a distance matrix separates labelled groups.
type Separation struct {
	// Within and Between are the mean distances of pairs with the same and
	// with different labels.
	Within, Between float64
	// P is the permutation p-value of Between − Within (one-sided, large
	// values significant): (1 + #{perm ≥ observed})/(1 + Perms).
	P float64
	// Clusters are the average-linkage clusters (k = number of labels).
	Clusters []int
	// ARI is the adjusted Rand index of Clusters against the labels, and
	// ARIP its permutation p-value.
	ARI, ARIP float64
	// Perms is the number of label permutations.
	Perms int
}

// Separate computes the Separation of the labels (0..k−1, one per row of
// d) by d with perms label permutations drawn from seed.
func Separate(d *mat.SymDense, labels []int, perms int, seed uint64) Separation {
	k := 0
	for _, l := range labels {
		k = max(k, l+1)
	}
	s := Separation{Perms: perms}
	s.Within, s.Between = withinBetween(d, labels)
	obs := s.Between - s.Within
	s.Clusters = AverageLinkage(d, k)
	s.ARI = ARI(s.Clusters, labels)
	rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	perm := append([]int(nil), labels...)
	geD, geA := 0, 0
	for i := 0; i < perms; i++ {
		rng.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		w, b := withinBetween(d, perm)
		if b-w >= obs-1e-12 {
			geD++
		}
		if ARI(s.Clusters, perm) >= s.ARI-1e-12 {
			geA++
		}
	}
	s.P = float64(1+geD) / float64(1+perms)
	s.ARIP = float64(1+geA) / float64(1+perms)
	return s
}

func withinBetween(d *mat.SymDense, labels []int) (within, between float64) {
	n := len(labels)
	var sw, sb float64
	var nw, nb int
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if labels[i] == labels[j] {
				sw += d.At(i, j)
				nw++
			} else {
				sb += d.At(i, j)
				nb++
			}
		}
	}
	return sw / float64(nw), sb / float64(nb)
}

// AverageLinkage clusters the n items of d by agglomerative clustering with
// average linkage (UPGMA) until k clusters remain and returns the cluster
// of each item (0..k−1, numbered by first appearance). Ties merge the pair
// with the smallest indices, so the result is deterministic.
func AverageLinkage(d *mat.SymDense, k int) []int {
	n := d.SymmetricDim()
	members := make([][]int, n)
	for i := range members {
		members[i] = []int{i}
	}
	for len(members) > max(k, 1) {
		bi, bj, best := -1, -1, math.Inf(1)
		for a := 0; a < len(members); a++ {
			for b := a + 1; b < len(members); b++ {
				s := 0.0
				for _, x := range members[a] {
					for _, y := range members[b] {
						s += d.At(x, y)
					}
				}
				s /= float64(len(members[a]) * len(members[b]))
				if s < best {
					bi, bj, best = a, b, s
				}
			}
		}
		members[bi] = append(members[bi], members[bj]...)
		members = append(members[:bj], members[bj+1:]...)
	}
	out := make([]int, n)
	for c, m := range members {
		for _, x := range m {
			out[x] = c
		}
	}
	// Renumber by first appearance.
	ren := map[int]int{}
	for i, c := range out {
		if _, ok := ren[c]; !ok {
			ren[c] = len(ren)
		}
		out[i] = ren[c]
	}
	return out
}

// ARI returns the adjusted Rand index of two labelings of the same items
// (Hubert and Arabie 1985): 1 for identical partitions, about 0 for
// independent ones.
func ARI(a, b []int) float64 {
	n := len(a)
	type key struct{ x, y int }
	nij := map[key]int{}
	ai, bj := map[int]int{}, map[int]int{}
	for i := range a {
		nij[key{a[i], b[i]}]++
		ai[a[i]]++
		bj[b[i]]++
	}
	c2 := func(m int) float64 { return float64(m) * float64(m-1) / 2 }
	var sij, sa, sb float64
	for _, v := range nij {
		sij += c2(v)
	}
	for _, v := range ai {
		sa += c2(v)
	}
	for _, v := range bj {
		sb += c2(v)
	}
	exp := sa * sb / c2(n)
	mx := (sa + sb) / 2
	if mx == exp {
		return 1 // both partitions trivial and equal
	}
	return (sij - exp) / (mx - exp)
}
