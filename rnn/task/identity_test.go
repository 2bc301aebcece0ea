package task

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeIDXPair writes an MNIST-format image/label pair of n images of
// rows×cols under the standard names with prefix ("train" or "t10k"),
// gzip-compressed when gz. seed varies the pixels.
func writeIDXPair(t *testing.T, dir, prefix string, n, rows, cols int, seed byte, gz bool) {
	t.Helper()
	var im, lb bytes.Buffer
	binary.Write(&im, binary.BigEndian, []uint32{0x803, uint32(n), uint32(rows), uint32(cols)})
	for i := range n * rows * cols {
		im.WriteByte(byte(i*7) + seed)
	}
	binary.Write(&lb, binary.BigEndian, []uint32{0x801, uint32(n)})
	for i := range n {
		lb.WriteByte(byte(i % 10))
	}
	for name, b := range map[string][]byte{prefix + "-images-idx3-ubyte": im.Bytes(), prefix + "-labels-idx1-ubyte": lb.Bytes()} {
		if gz {
			var z bytes.Buffer
			w := gzip.NewWriter(&z)
			w.Write(b)
			w.Close()
			b, name = z.Bytes(), name+".gz"
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIdentifyMNIST(t *testing.T) {
	raw, gz, other, wide := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	writeIDXPair(t, raw, "train", 30, 28, 28, 1, false)
	writeIDXPair(t, gz, "train", 30, 28, 28, 1, true)
	writeIDXPair(t, other, "train", 30, 28, 28, 2, false)
	writeIDXPair(t, wide, "train", 30, 14, 56, 1, false)
	cache := filepath.Join(t.TempDir(), "cache", "hashes.json")
	ids := map[string]DataIdentity{}
	for name, dir := range map[string]string{"raw": raw, "gz": gz, "other": other, "wide": wide} {
		id, err := IdentifyMNIST(dir, cache)
		if err != nil {
			t.Fatal(err)
		}
		if id.Dataset != "" || len(id.Files) != 2 {
			t.Errorf("%s: %+v", name, id)
		}
		ids[name] = id
	}
	if ids["raw"].Digest() != ids["gz"].Digest() {
		t.Error("the same data raw and gzip-compressed has different digests")
	}
	if ids["raw"].Digest() == ids["other"].Digest() || ids["raw"].Digest() == ids["wide"].Digest() {
		t.Error("different data has the same digest")
	}
	if ids["raw"].Rows != 28 || ids["wide"].Rows != 14 || ids["wide"].Cols != 56 {
		t.Errorf("image sizes %d×%d, %d×%d", ids["raw"].Rows, ids["raw"].Cols, ids["wide"].Rows, ids["wide"].Cols)
	}
	// The cache is keyed by path, size and modification time: content
	// changed behind the same size and time is not rehashed (that is the
	// point of the cache), a new modification time is.
	p := filepath.Join(raw, TrainImagesName)
	st, _ := os.Stat(p)
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, st.ModTime(), st.ModTime())
	if id, _ := IdentifyMNIST(raw, cache); id.Digest() != ids["raw"].Digest() {
		t.Error("a file with the same size and time was rehashed: the cache is not used")
	}
	later := st.ModTime().Add(time.Second)
	os.Chtimes(p, later, later)
	if id, _ := IdentifyMNIST(raw, cache); id.Digest() == ids["raw"].Digest() {
		t.Error("a file with a new modification time was not rehashed")
	}
	if id, _ := IdentifyMNIST(raw, ""); id.Digest() == ids["raw"].Digest() {
		t.Error("without a cache the changed file was not rehashed")
	}
}

// TestIdentifyRealData recognises MNIST (../shared) and Fashion-MNIST
// (Debian's dataset-fashion-mnist) where they are present.
func TestIdentifyRealData(t *testing.T) {
	for _, tc := range []struct{ dir, want string }{
		{filepath.Join("..", "..", "..", "shared", "data", "mnist"), MNIST},
		{DefaultDataDir, FashionMNIST},
	} {
		if _, err := FindMNISTFiles(tc.dir); err != nil {
			t.Logf("%s not present (%v); skipped", tc.dir, err)
			continue
		}
		id, err := IdentifyMNIST(tc.dir, "")
		if err != nil {
			t.Fatal(err)
		}
		if id.Dataset != tc.want || len(id.Files) != 4 || id.Rows != 28 || id.Cols != 28 {
			t.Errorf("%s: %s, %d files, %d×%d; want %s", tc.dir, id.Name(), len(id.Files), id.Rows, id.Cols, tc.want)
		}
	}
}

func TestCheckDataset(t *testing.T) {
	mnist := DataIdentity{Dir: "/d", Dataset: MNIST}
	fashion := DataIdentity{Dir: "/d", Dataset: FashionMNIST}
	unknown := DataIdentity{Dir: "/d"}
	tests := []struct {
		id      DataIdentity
		setting string
		want    string // "" for accepted
	}{
		{mnist, "", ""}, {mnist, "mnist", ""}, {mnist, "other", ""},
		{fashion, "fashion", ""}, {fashion, "other", ""}, {unknown, "other", ""},
		{fashion, "", "is Fashion-MNIST, not MNIST"},
		{unknown, "mnist", "unrecognised MNIST-format data, not MNIST"},
		{mnist, "fashion", "not Fashion-MNIST"},
		{mnist, "cifar", "allowed values"},
	}
	for _, tc := range tests {
		err := CheckDataset(tc.id, tc.setting)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s with %q: %v", tc.id.Name(), tc.setting, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s with %q: %v, want %q", tc.id.Name(), tc.setting, err, tc.want)
		}
		if err != nil && tc.want != "allowed values" && tc.setting != "fashion" {
			for _, way := range []string{"hessrnn data download --dir", "--data DIR", "HESSRNN_DATA=DIR"} {
				if !strings.Contains(err.Error(), way) {
					t.Errorf("refusal does not list %q: %v", way, err)
				}
			}
		}
	}
}
