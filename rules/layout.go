package rules

import (
	"fmt"
	"math"

	"github.com/hessrnn/hessrnn/rnn"
)

// Block names a contiguous range [Off, Off+Len) of a flat parameter vector.
type Block struct {
	Name     string
	Off, Len int
}

// Layout describes a flat parameter vector as an ordered list of named,
// non-overlapping, contiguous blocks starting at offset 0.
type Layout []Block

// Size returns the total length of the vector the layout describes.
func (l Layout) Size() int {
	n := 0
	for _, b := range l {
		n = max(n, b.Off+b.Len)
	}
	return n
}

// Find returns the block with the given name and whether it exists.
func (l Layout) Find(name string) (Block, bool) {
	for _, b := range l {
		if b.Name == name {
			return b, true
		}
	}
	return Block{}, false
}

// Validate checks that the blocks tile [0, Size()) in order without gaps or
// overlaps and have distinct, non-empty names.
func (l Layout) Validate() error {
	off := 0
	seen := map[string]bool{}
	for i, b := range l {
		if b.Name == "" || seen[b.Name] {
			return fmt.Errorf("rules: layout block %d has an empty or repeated name %q", i, b.Name)
		}
		seen[b.Name] = true
		if b.Off != off || b.Len < 0 {
			return fmt.Errorf("rules: layout block %q at offset %d length %d, want offset %d and length >= 0", b.Name, b.Off, b.Len, off)
		}
		off += b.Len
	}
	return nil
}

// ErrDiverged reports a non-finite value met while computing or applying an
// update, in the style of gonum's ErrGrad. Iter is the training iteration
// (-1 if unknown). Quantity is "state" or "loss" (from the forward pass, with
// Step the time step 1..T, 0 for the loss total), "direction" (the rule's
// update) or "params" (after the optimiser step); for the last two Block and
// Index locate the value in the parameter vector and Step is -1.
type ErrDiverged struct {
	Iter, Step int
	Quantity   string
	Block      string
	Index      int
	Value      float64
}

// Error implements error.
func (e *ErrDiverged) Error() string {
	where := e.Quantity
	if e.Block != "" {
		where = fmt.Sprintf("%s %s[%d]", e.Quantity, e.Block, e.Index)
	}
	return fmt.Sprintf("rules: diverged at iteration %d, step %d: %s = %v", e.Iter, e.Step, where, e.Value)
}

// checkFinite returns an *ErrDiverged for the first non-finite entry of v, a
// parameter vector laid out by l, or nil. Step and Iter are set to -1 for the
// caller to fill in. The named layout is built only on failure, keeping the
// per-step check free of allocations.
func checkFinite[T float32 | float64](v []T, l rnn.Layout) error {
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			e := &ErrDiverged{Iter: -1, Step: -1, Quantity: "direction", Block: "?", Index: i, Value: f}
			for _, b := range LayoutOf(l) {
				if i >= b.Off && i < b.Off+b.Len {
					e.Block, e.Index = b.Name, i-b.Off
					break
				}
			}
			return e
		}
	}
	return nil
}
