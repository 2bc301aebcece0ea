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

// checkFinite returns an *rnn.ErrDiverged for the first non-finite entry of
// v, a parameter vector laid out by l, or nil. Quantity is "direction"; Step
// and Iter are -1, for the caller to fill in.
func checkFinite[T float32 | float64](v []T, l rnn.Layout) error {
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			e := &rnn.ErrDiverged{Iter: -1, Step: -1, Quantity: "direction", Index: i, Value: f}
			for _, b := range []rnn.Block{rnn.WIn, rnn.WRec, rnn.WOut, rnn.BOut} {
				if r := l.Blocks[b]; i >= r.Off && i < r.Off+r.Len {
					e.Block, e.Index = b, i-r.Off
					break
				}
			}
			return e
		}
	}
	return nil
}
