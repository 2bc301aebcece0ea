package idx

import (
	"bytes"
	"testing"
)

// FuzzIDX feeds arbitrary bytes to Decode: it must never panic, and when it
// succeeds the result must agree with its header.
func FuzzIDX(f *testing.F) {
	f.Add(encode([]uint32{2, 2, 2}, seq(8)))
	f.Add(encode([]uint32{3}, []byte{1, 2, 3}))
	f.Add(gz(f, encode([]uint32{1, 3, 3}, seq(9))))
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Decode("fuzz", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if a != nil {
				t.Fatal("non-nil array with an error")
			}
			return
		}
		n := 1
		for _, d := range a.Dims {
			n *= d
		}
		if n != len(a.Data) {
			t.Fatalf("dims %v but %d data bytes", a.Dims, len(a.Data))
		}
		if len(a.Data) > len(data)*MaxDeflateRatio {
			t.Fatalf("%d data bytes from a %d-byte input", len(a.Data), len(data))
		}
	})
}
