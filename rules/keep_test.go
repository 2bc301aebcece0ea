package rules

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/hessrnn/hessrnn/internal/leveltest"
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// TestKeepLastDirectionBitwise checks that the batched approximate rules,
// whose forward pass keeps only the last steps of the trajectory for plain
// leak-free networks with the loss at the last step (rnn.Workspace.KeepLast),
// give bit for bit the direction computed from a forward pass that stores
// every step, over several updates (so the weights move), for e-prop, RFLO
// and MDGL (true weights and cell types), cross-entropy and MSE, batch
// sizes on both sides of rnn's chunk and step-projection thresholds,
// GOMAXPROCS 1 and 2, every level, both precisions.
func TestKeepLastDirectionBitwise(t *testing.T) {
	leveltest.ForEachLevel(t, func(l kernels.Level) {
		for si, sh := range []benchShape{
			{name: "ce", B: 5, T: 6, In: 4, N: 13, Out: 3, ce: true},
			{name: "ce-B130", B: 130, T: 5, In: 7, N: 24, Out: 3, ce: true},
			{name: "ce-B64", B: 64, T: 2, In: 3, N: 9, Out: 2, ce: true},
			{name: "ce-T1", B: 3, T: 1, In: 3, N: 9, Out: 2, ce: true},
		} {
			for ki, s := range []Settings{{Kind: EProp}, {Kind: RFLO, FeedbackSeed: 3}, {Kind: MDGL}, {Kind: MDGL, CellTypes: ContiguousCellTypes(sh.N, 2)}} {
				p := 1 + (si+ki)%2
				runtime.GOMAXPROCS(p)
				name := fmt.Sprintf("%s/%s/%v/%d/procs=%d", l, sh.name, s.Kind, ki, p)
				keepBitwise[float64](t, name, sh, s)
				keepBitwise[float32](t, name, sh, s)
			}
		}
	})
}

func keepBitwise[T kernels.Float](t *testing.T, name string, sh benchShape, s Settings) {
	t.Helper()
	net, ref, b, r, rr, dir, want := twoRules[T](t, sh, s)
	full := rr.(*trunc[T])
	var ws rnn.Workspace[T]
	for it := 0; it < 3; it++ {
		loss, err := r.Direction(net, b, dir)
		if err != nil {
			t.Fatal(err)
		}
		// The reference: a forward pass storing every step, then the same
		// rule's direction from it.
		wl, tr, err := forward(ref, &ws, b, want)
		if err != nil {
			t.Fatal(err)
		}
		if err := full.fromTrajectory(ref, tr, b, want); err != nil {
			t.Fatal(err)
		}
		sameStep(t, fmt.Sprintf("%s it %d", name, it), loss, wl, dir, want)
		sgdBoth(net, ref, dir, want)
	}
}

// TestTBPTTKeepLastBitwise checks that truncated BPTT, whose forward pass
// keeps only the last k steps for plain leak-free networks with the loss at
// the last step and whose sweep clears only the rows of D it reads, gives
// bit for bit the direction of the reference formulation (every step
// stored, D cleared whole), over several updates, for windows from 1 to
// beyond T, the loss at the last step (the fast path) and at every step
// (lazy clearing only), batch sizes on both sides of rnn's chunk and
// step-projection thresholds, GOMAXPROCS 1 and 2, every level, both
// precisions.
func TestTBPTTKeepLastBitwise(t *testing.T) {
	leveltest.ForEachLevel(t, func(l kernels.Level) {
		for si, sh := range []benchShape{
			{name: "ce", B: 5, T: 6, In: 4, N: 13, Out: 3, ce: true},
			{name: "ce-B130", B: 130, T: 5, In: 7, N: 24, Out: 3, ce: true},
			{name: "ce-B64", B: 64, T: 3, In: 3, N: 9, Out: 2, ce: true},
			{name: "mse-every-step", B: 3, T: 7, In: 3, N: 9, Out: 2},
			{name: "ce-leak", B: 4, T: 6, In: 3, N: 9, Out: 2, ce: true, leak: 0.3},
		} {
			for _, k := range []int{1, 2, 3, sh.T - 1, sh.T, sh.T + 1} {
				if k < 1 {
					continue
				}
				p := 1 + (si+k)%2
				runtime.GOMAXPROCS(p)
				name := fmt.Sprintf("%s/%s/K=%d/procs=%d", l, sh.name, k, p)
				tbpttBitwise[float64](t, name, sh, k)
				tbpttBitwise[float32](t, name, sh, k)
			}
		}
	})
}

func tbpttBitwise[T kernels.Float](t *testing.T, name string, sh benchShape, k int) {
	t.Helper()
	net, ref, b, r, rr, dir, want := twoRules[T](t, sh, Settings{Kind: TBPTT, Window: k})
	rr.(*tbptt[T]).reference = true
	for it := 0; it < 3; it++ {
		loss, err := r.Direction(net, b, dir)
		if err != nil {
			t.Fatal(err)
		}
		wl, err := rr.Direction(ref, b, want)
		if err != nil {
			t.Fatal(err)
		}
		sameStep(t, fmt.Sprintf("%s it %d", name, it), loss, wl, dir, want)
		sgdBoth(net, ref, dir, want)
	}
}

// sameStep fails t unless loss and dir equal the reference's wl and want bit
// for bit.
func sameStep[T kernels.Float](t *testing.T, name string, loss, wl float64, dir, want []T) {
	t.Helper()
	if math.Float64bits(loss) != math.Float64bits(wl) {
		t.Fatalf("%s: loss %v, reference %v", name, loss, wl)
	}
	for i := range want {
		if math.Float64bits(float64(dir[i])) != math.Float64bits(float64(want[i])) {
			t.Fatalf("%s: dir[%d] = %v, reference %v", name, i, dir[i], want[i])
		}
	}
}

// sgdBoth moves net along −dir and ref along −want by the same step, so the
// next comparison is at new weights.
func sgdBoth[T kernels.Float](net, ref *rnn.Network[T], dir, want []T) {
	for i := range dir {
		net.Params[i] -= T(0.05) * dir[i]
		ref.Params[i] -= T(0.05) * want[i]
	}
}

// twoRules returns the problem of shape sh twice (net and a copy ref, one
// batch), two instances of the rule s and a direction buffer for each.
func twoRules[T kernels.Float](t *testing.T, sh benchShape, s Settings) (net, ref *rnn.Network[T], b *rnn.Batch[T], r, rr Rule[T], dir, want []T) {
	t.Helper()
	net, b = benchProblemT[T](sh)
	ref = rnn.Convert[T](net)
	var err error
	if r, err = New[T](s, net.Cfg); err != nil {
		t.Fatal(err)
	}
	if rr, err = New[T](s, net.Cfg); err != nil {
		t.Fatal(err)
	}
	return net, ref, b, r, rr, make([]T, net.NumParams()), make([]T, net.NumParams())
}
