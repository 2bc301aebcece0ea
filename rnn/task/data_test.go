package task

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

// idxFile encodes an IDX file of unsigned bytes.
func idxFile(dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gzipped(t *testing.T, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(raw)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeMNISTDir writes n tiny 2×2 images with labels under the given base
// names (suffix ".gz" compresses).
func writeMNISTDir(t *testing.T, dir string, n int, images, labels string) {
	t.Helper()
	img := idxFile([]uint32{uint32(n), 2, 2}, bytes.Repeat([]byte{7}, 4*n))
	lab := make([]byte, n)
	for i := range lab {
		lab[i] = byte(i % 10)
	}
	lb := idxFile([]uint32{uint32(n)}, lab)
	if strings.HasSuffix(images, ".gz") {
		img = gzipped(t, img)
	}
	if strings.HasSuffix(labels, ".gz") {
		lb = gzipped(t, lb)
	}
	if err := os.WriteFile(filepath.Join(dir, images), img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, labels), lb, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResolveDataDir(t *testing.T) {
	good := t.TempDir()
	writeMNISTDir(t, good, 12, TestImagesName+".gz", TestLabelsName)
	good2 := t.TempDir()
	writeMNISTDir(t, good2, 12, TrainImagesName, TrainLabelsName+".gz")
	empty := t.TempDir()
	missing := filepath.Join(empty, "nope")
	for _, tc := range []struct {
		name               string
		explicit, env, def string
		want               string // directory, or "" for an error
		errHas             string
	}{
		{"explicit", good, good2, empty, good, ""},
		{"env", "", good2, good, good2, ""},
		{"default", "", "", good, good, ""},
		{"explicit-empty", empty, good, good, "", empty + " (the data directory given)"},
		{"env-missing", "", missing, good, "", missing + " ($HESSRNN_DATA)"},
		{"default-missing", "", "", missing, "", missing + " (the default)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveDataDir(tc.explicit, tc.env, tc.def)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, got %q", got)
			}
			msg := err.Error()
			for _, s := range []string{tc.errHas, "hessrnn data download --dir DIR", "seqmnist.dataset", "$HESSRNN_DATA", "dataset-fashion-mnist", DefaultDataDir} {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q lacks %q", msg, s)
				}
			}
			if !errors.Is(err, ErrNoData) {
				t.Errorf("error does not wrap ErrNoData")
			}
		})
	}
}

func TestFindMNISTFiles(t *testing.T) {
	dir := t.TempDir()
	writeMNISTDir(t, dir, 12, TrainImagesName, TrainLabelsName)
	writeMNISTDir(t, dir, 12, TrainImagesName+".gz", TrainLabelsName+".gz")
	f, err := FindMNISTFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if f.TrainImages != filepath.Join(dir, TrainImagesName) || f.TrainLabels != filepath.Join(dir, TrainLabelsName) || f.TestImages != "" {
		t.Errorf("files %+v: want the raw training pair only", f)
	}
	half := t.TempDir()
	writeMNISTDir(t, half, 12, TestImagesName, "something-else")
	if _, err := FindMNISTFiles(half); err == nil || !strings.Contains(err.Error(), "only one of") {
		t.Errorf("half pair: err = %v", err)
	}
	if _, err := FindMNISTFiles(filepath.Join(dir, TrainImagesName)); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as directory: err = %v", err)
	}
}

func TestLoadMNIST(t *testing.T) {
	dir := t.TempDir()
	writeMNISTDir(t, dir, 30, TrainImagesName+".gz", TrainLabelsName+".gz")
	writeMNISTDir(t, dir, 10, TestImagesName, TestLabelsName)
	d, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Train.Len() != 30 || d.Test.Len() != 10 || d.Train.Images.Rows != 2 {
		t.Fatalf("loaded %d/%d", d.Train.Len(), d.Test.Len())
	}
	// A corrupt file is reported with its name.
	bad := filepath.Join(dir, TestLabelsName)
	if err := os.WriteFile(bad, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadMNIST(dir); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("corrupt labels: err = %v", err)
	}
	// Images and labels of different lengths.
	writeMNISTDir(t, dir, 10, TestImagesName, "x")
	writeMNISTDir(t, dir, 9, "y", TestLabelsName)
	if _, err := LoadMNIST(dir); err == nil || !strings.Contains(err.Error(), "has 9 labels but image file") {
		t.Errorf("count mismatch: err = %v", err)
	}
}

// TestFashionMNIST checks the Debian Fashion-MNIST files when installed.
func TestFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 26 MB Fashion-MNIST read")
	}
	f, err := FindMNISTFiles(DefaultDataDir)
	if err != nil {
		t.Skipf("Fashion-MNIST not installed at %s (Debian package %s): %v", DefaultDataDir, DebianPackage, err)
	}
	if f.TrainImages == "" || f.TestImages == "" {
		t.Fatalf("files %+v", f)
	}
	d, err := LoadMNIST(DefaultDataDir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSeqMNIST[float32](d, SeqMNISTConfig{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if tr, v, te := s.SplitSizes(); tr != 55000 || v != 5000 || te != 10000 {
		t.Errorf("splits %d/%d/%d, want 55000/5000/10000", tr, v, te)
	}
	if s.TrainBatchesPerEpoch() != 214 {
		t.Errorf("batches per epoch %d, want 214", s.TrainBatchesPerEpoch())
	}
}

func TestLoadMNISTSizeMismatch(t *testing.T) {
	dir := t.TempDir()
	writeMNISTDir(t, dir, 10, TrainImagesName, TrainLabelsName)
	img := idxFile([]uint32{3, 3, 3}, make([]byte, 27))
	if err := os.WriteFile(filepath.Join(dir, TestImagesName), img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, TestLabelsName), idxFile([]uint32{3}, []byte{1, 2, 3}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadMNIST(dir)
	if err == nil || !strings.Contains(err.Error(), "image size 2×2 of") || !strings.Contains(err.Error(), "differs from 3×3") {
		t.Fatalf("err = %v", err)
	}
}
