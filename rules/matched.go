package rules

import (
	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
)

// matched is "Three-factor theory" (paper Fig. 4): the exact gradient g
// scaled by α. With a constant α it is α·g; otherwise, at every call, the
// Three-factor direction ĝ is computed on the same batch, weights and
// forward pass, and α_k = ⟨ĝ_W, g_W⟩/‖g_W‖² over the recurrent weights
// W_rec (METHOD.md §2.9) scales all parameters' updates.
type matched[T kernels.Float] struct {
	alpha float64
	last  float64
	eprop *trunc[T]
	ws    rnn.Workspace[T]
	ghat  []T
}

func (r *matched[T]) Kind() Kind { return MatchedBPTT }

// LastAlpha returns the scale used by the last Direction call.
func (r *matched[T]) LastAlpha() float64 { return r.last }

func (r *matched[T]) Direction(net *rnn.Network[T], b *rnn.Batch[T], dir []T) (float64, error) {
	loss, tr, err := forward(net, &r.ws, b, dir)
	if err != nil {
		return loss, err
	}
	if err := net.Backward(&r.ws, dir); err != nil {
		return loss, err
	}
	a := r.alpha
	if a == 0 {
		if len(r.ghat) != len(dir) {
			r.ghat = make([]T, len(dir))
		}
		// The Three-factor direction from the same forward pass (Backward
		// leaves the states of tr untouched).
		if err := r.eprop.fromTrajectory(net, tr, b, r.ghat); err != nil {
			return loss, err
		}
		l := net.Layout
		a = Align(block(r.ghat, l, rnn.WRec), block(dir, l, rnn.WRec)).Alpha
	}
	r.last = a
	kernels.Scal(dir, T(a))
	err = checkFinite(dir, net.Layout)
	if d, ok := err.(*rnn.ErrDiverged); ok && a != a {
		d.Quantity, d.Block, d.Index, d.Value = "alpha", 0, -1, a
	}
	return loss, err
}
