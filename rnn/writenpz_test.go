package rnn

import (
	"archive/zip"
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestWriteNPZ writes arrays of each kind with WriteNPZ and reads them back
// with the loader's own .npy decoder: names, dtypes, shapes and values.
func TestWriteNPZ(t *testing.T) {
	arrays := []NPYArray{
		{"x", []float64{1, -2.5, 3, 4, 5, 6}, []int{2, 3}},
		{"y", []float32{0.5, 7}, []int{2}},
		{"n", []int64{3}, nil},
		{"u", []uint64{1 << 63}, nil},
		{"m", []bool{true, false, true}, []int{3}},
		{"empty", []float64{}, []int{0, 4}},
	}
	var buf bytes.Buffer
	if err := WriteNPZ(&buf, arrays...); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(arrays) {
		t.Fatalf("%d members, want %d", len(zr.File), len(arrays))
	}
	want := []struct {
		descr string
		f64   []float64
	}{
		{"<f8", []float64{1, -2.5, 3, 4, 5, 6}},
		{"<f4", []float64{0.5, 7}},
		{"<i8", []float64{3}},
		{"<u8", nil},
		{"|b1", []float64{1, 0, 1}},
		{"<f8", []float64{}},
	}
	for i, f := range zr.File {
		a := arrays[i]
		if f.Name != a.Name+".npy" {
			t.Fatalf("member %d is %q, want %q", i, f.Name, a.Name+".npy")
		}
		got, err := readNPYFile(f)
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		shape := a.Shape
		if shape == nil {
			shape = []int{}
		}
		if got.descr != want[i].descr || !slices.Equal(got.shape, shape) {
			t.Errorf("%s: descr %q shape %v, want %q %v", a.Name, got.descr, got.shape, want[i].descr, shape)
		}
		if want[i].f64 != nil && !slices.Equal(got.f64, want[i].f64) {
			t.Errorf("%s: values %v, want %v", a.Name, got.f64, want[i].f64)
		}
		if u, ok := a.Data.([]uint64); ok && !slices.Equal(got.u64, u) {
			t.Errorf("%s: bits %v, want %v", a.Name, got.u64, u)
		}
	}
}

// TestWriteNPZErrors: an unsupported type or a shape that does not match
// the data is an error naming the array.
func TestWriteNPZErrors(t *testing.T) {
	for _, tc := range []struct {
		a    NPYArray
		want string
	}{
		{NPYArray{"ints", []int32{1, 2}, []int{2}}, `"ints": unsupported data type []int32`},
		{NPYArray{"w", []float64{1, 2, 3}, []int{2, 2}}, `"w": 3 elements for shape [2 2]`},
		{NPYArray{"s", []float64{1, 2}, nil}, `"s": 2 elements for shape []`},
		{NPYArray{"nil", nil, nil}, `"nil": unsupported data type <nil>`},
	} {
		var buf bytes.Buffer
		err := WriteNPZ(&buf, NPYArray{"ok", []float64{1}, nil}, tc.a)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %s", tc.a.Name, err, tc.want)
		}
	}
}
