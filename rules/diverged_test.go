package rules

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/hessrnn/hessrnn/rnn"
)

// TestErrDivergedAs: every divergence, whether the forward pass or the HVP
// (package rnn) or a rule or the trainer (package rules) met it, is one
// *rnn.ErrDiverged that errors.As finds through wrapping, with its fields
// and message.
func TestErrDivergedAs(t *testing.T) {
	cfg, b := patternTask(nil)
	nanInput := func() (*rnn.Network[float64], *rnn.Batch[float64]) {
		net, err := rnn.New[float64](cfg)
		if err != nil {
			t.Fatal(err)
		}
		bb := *b
		bb.X = append([]float64(nil), b.X...)
		bb.X[2*cfg.In] = math.NaN() // step 3
		return net, &bb
	}
	for _, tc := range []struct {
		name string
		run  func() error
		want rnn.ErrDiverged // Value is checked for being non-finite
		msg  string
	}{
		{
			name: "rnn.Forward",
			run: func() error {
				net, bb := nanInput()
				_, err := net.Forward(new(rnn.Workspace[float64]), bb)
				return err
			},
			want: rnn.ErrDiverged{Iter: -1, Step: 3, Quantity: "state", Index: -1},
			msg:  "rnn: diverged at step 3: state = NaN",
		},
		{
			name: "rnn.NewHVP",
			run: func() error {
				net, bb := nanInput()
				_, err := rnn.NewHVP(net, bb, 0, nil)
				return err
			},
			want: rnn.ErrDiverged{Iter: -1, Step: 3, Quantity: "state", Index: -1},
			msg:  "rnn: diverged at step 3: state = NaN",
		},
		{
			name: "rules.Rule.Direction/forward",
			run: func() error {
				net, bb := nanInput()
				r, err := New[float64](Settings{Kind: EProp}, cfg)
				if err != nil {
					t.Fatal(err)
				}
				_, err = r.Direction(net, bb, make([]float64, net.NumParams()))
				return err
			},
			want: rnn.ErrDiverged{Iter: -1, Step: 3, Quantity: "state", Index: -1},
			msg:  "rnn: diverged at step 3: state = NaN",
		},
		{
			// λ = 1e39 is finite in float64 (the loss) and +Inf in float32
			// (the L2 gradient λ·W), so only the direction is not finite.
			name: "rules.Rule.Direction/direction",
			run: func() error {
				c := cfg
				c.L2 = 1e39
				net, err := rnn.New[float32](c)
				if err != nil {
					t.Fatal(err)
				}
				b32 := &rnn.Batch[float32]{Size: b.Size, Steps: b.Steps, In: b.In, Out: b.Out,
					X: make([]float32, len(b.X)), Y: make([]float32, len(b.Y))}
				for i, x := range b.X {
					b32.X[i] = float32(x)
				}
				for i, y := range b.Y {
					b32.Y[i] = float32(y)
				}
				r, err := New[float32](Settings{Kind: MDGL}, c)
				if err != nil {
					t.Fatal(err)
				}
				_, err = r.Direction(net, b32, make([]float32, net.NumParams()))
				return err
			},
			want: rnn.ErrDiverged{Iter: -1, Step: -1, Quantity: "direction", Block: rnn.WIn, Index: 0},
			msg:  "rnn: diverged: direction W_in[0] = -Inf", // W_in[0] < 0 at seed 1
		},
		{
			name: "rules.Trainer.Step",
			run: func() error {
				net, bb := nanInput()
				r, err := New[float64](Settings{Kind: BPTT}, cfg)
				if err != nil {
					t.Fatal(err)
				}
				tr, err := NewTrainer(r, OptimizerSettings{}, Schedule{LR: 0.01}, net.NumParams())
				if err != nil {
					t.Fatal(err)
				}
				tr.Iter = 7
				_, err = tr.Step(net, bb)
				return err
			},
			want: rnn.ErrDiverged{Iter: 7, Step: 3, Quantity: "state", Index: -1},
			msg:  "rnn: diverged at iteration 7, step 3: state = NaN",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			wrapped := fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", err))
			var d *rnn.ErrDiverged
			if !errors.As(wrapped, &d) {
				t.Fatalf("errors.As(%v) found no *rnn.ErrDiverged", wrapped)
			}
			if !math.IsNaN(d.Value) && !math.IsInf(d.Value, 0) {
				t.Errorf("Value = %v, want NaN or ±Inf", d.Value)
			}
			got := *d
			got.Value = 0
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if d.Error() != tc.msg {
				t.Errorf("message %q, want %q", d.Error(), tc.msg)
			}
		})
	}
}
