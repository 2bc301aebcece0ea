package idx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// encode builds an IDX file of unsigned bytes with the given dimensions and
// data (data may deliberately disagree with dims).
func encode(dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, TypeUint8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gz(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func seq(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadFileGood(t *testing.T) {
	dir := t.TempDir()
	img := encode([]uint32{3, 2, 4}, seq(24))
	for _, tc := range []struct {
		name    string
		content []byte
	}{
		{"raw", img},
		{"raw.gz", img}, // raw content under a .gz name is still read: content decides
		{"packed", gz(t, img)},
		{"packed.gz", gz(t, img)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ReadFile(writeFile(t, dir, tc.name, tc.content))
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Dims) != 3 || a.Dims[0] != 3 || a.Dims[1] != 2 || a.Dims[2] != 4 {
				t.Fatalf("dims %v", a.Dims)
			}
			if !bytes.Equal(a.Data, seq(24)) {
				t.Fatalf("data %v", a.Data)
			}
		})
	}
}

func TestHostile(t *testing.T) {
	img := encode([]uint32{3, 2, 4}, seq(24))
	gzImg := gz(t, img)
	corrupt := append([]byte(nil), gzImg...)
	corrupt[len(corrupt)-6] ^= 0xff // inside the CRC-32 trailer
	bigGz := gz(t, encode([]uint32{1 << 20, 1 << 10, 1 << 10}, nil))
	cases := []struct {
		name    string
		content []byte
		want    string
	}{
		{"empty", nil, "file is empty"},
		{"short-magic", []byte{0, 0}, "truncated magic"},
		{"wrong-magic", append([]byte{0x12, 0x34, 8, 3}, make([]byte, 12)...), "bad magic number 0x12340803"},
		{"garbage.gz", []byte("this is not gzip at all, just text"), "not gzip either"},
		{"bad-type", []byte{0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}, "unsupported element type 0x0d"},
		{"zero-dims", []byte{0, 0, 8, 0}, "0 dimensions"},
		{"many-dims", []byte{0, 0, 8, 9}, "9 dimensions"},
		{"short-header", []byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0}, "truncated header"},
		{"truncated-data", img[:len(img)-5], "truncated: header dimensions [3 2 4] claim 24 data bytes but the file holds 19"},
		{"trailing-data", append(append([]byte(nil), img...), 1, 2), "2 trailing bytes"},
		{"exceeds-file", encode([]uint32{60000, 28, 28}, seq(10)), "claim 47040000 data bytes"},
		{"overflow", encode([]uint32{0xffffffff, 0xffffffff, 0xffffffff}, seq(10)), "overflow"},
		{"overflow-wrap-zero", encode([]uint32{1 << 16, 1 << 16, 1 << 16, 1 << 16}, nil), "overflow"},
		{"gz-truncated", gzImg[:len(gzImg)-10], "truncated or corrupt gzip stream"},
		{"gz-truncated-header", gzImg[:5], "bad gzip header"},
		{"gz-corrupt-crc", corrupt, "gzip"},
		{"gz-claims-too-much", bigGz, "more than a gzip file of"},
		{"gz-trailing", gz(t, append(append([]byte(nil), img...), 9)), "trailing bytes"},
		{"gz-short-data", gz(t, img[:len(img)-3]), "truncated: header dimensions [3 2 4] claim 24 data bytes but only 21"},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, dir, tc.name, tc.content)
			a, err := ReadFile(p)
			if err == nil {
				t.Fatalf("no error, got dims %v", a.Dims)
			}
			var ie *Error
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if ie.File != p || !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file %s", err, p)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestReadFileMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope")
	_, err := ReadFile(p)
	if err == nil || !strings.Contains(err.Error(), p) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
	_, err = ReadFile(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("directory: err = %v", err)
	}
}

func TestDatasetChecks(t *testing.T) {
	dir := t.TempDir()
	img := writeFile(t, dir, "img", encode([]uint32{3, 2, 2}, seq(12)))
	lab := writeFile(t, dir, "lab", encode([]uint32{3}, []byte{0, 9, 4}))
	lab2 := writeFile(t, dir, "lab2", encode([]uint32{2}, []byte{0, 1}))
	labBad := writeFile(t, dir, "labbad", encode([]uint32{3}, []byte{0, 10, 4}))
	lab2d := writeFile(t, dir, "lab2d", encode([]uint32{3, 1}, []byte{0, 1, 2}))
	img2d := writeFile(t, dir, "img2d", encode([]uint32{3, 4}, seq(12)))
	img0 := writeFile(t, dir, "img0", encode([]uint32{3, 0, 2}, nil))

	d, err := LoadDataset(img, lab, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || d.Images.Rows != 2 || d.Images.Cols != 2 || !bytes.Equal(d.Images.Image(1), seq(12)[4:8]) {
		t.Fatalf("dataset %+v", d.Images)
	}
	for _, tc := range []struct {
		name, img, lab string
		classes        int
		file, want     string
	}{
		{"count-mismatch", img, lab2, 10, lab2, "has 2 labels but image file " + img + " has 3 images"},
		{"label-range", img, labBad, 10, labBad, "label 10 at index 1 is out of range [0, 10)"},
		{"labels-2d", img, lab2d, 10, lab2d, "want 1"},
		{"images-2d", img2d, lab, 10, img2d, "want 3"},
		{"images-zero-size", img0, lab, 10, img0, "must be positive"},
		{"bad-classes", img, lab, 0, lab, "number of classes 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadDataset(tc.img, tc.lab, tc.classes)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.file) {
				t.Fatalf("err = %v, want mention of %q and %s", err, tc.want, tc.file)
			}
		})
	}
}

// sharedMNIST returns the directory of the real MNIST t10k files, found
// relative to the repository, or skips the test.
func sharedMNIST(t *testing.T) string {
	t.Helper()
	// The test runs in rnn/task/idx; the repository root is three levels up
	// and shared/ sits beside it.
	dir := filepath.Join("..", "..", "..", "..", "shared", "data", "mnist")
	if _, err := os.Stat(filepath.Join(dir, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("real MNIST t10k not found at %s (../shared/data/mnist beside the repository): %v", dir, err)
	}
	return dir
}

func TestRealMNIST(t *testing.T) {
	dir := sharedMNIST(t)
	d, err := LoadDataset(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 10000 || d.Images.Rows != 28 || d.Images.Cols != 28 {
		t.Fatalf("got %d images of %d×%d", d.Len(), d.Images.Rows, d.Images.Cols)
	}
	// The first test digits of MNIST are 7, 2, 1, 0, 4.
	if got := d.Labels.Values[:5]; !bytes.Equal(got, []byte{7, 2, 1, 0, 4}) {
		t.Errorf("first labels %v, want [7 2 1 0 4]", got)
	}
	var counts [10]int
	for _, l := range d.Labels.Values {
		counts[l]++
	}
	// Known class counts of the MNIST test set.
	want := [10]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	if counts != want {
		t.Errorf("class counts %v, want %v", counts, want)
	}
}
