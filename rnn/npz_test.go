package rnn

import (
	"archive/zip"
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func saveBytes(t testing.TB, net any) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch n := net.(type) {
	case *Network[float32]:
		err = SaveNPZ(&buf, n)
	case *Network[float64]:
		err = SaveNPZ(&buf, n)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestNPZRoundTrip(t *testing.T) {
	cfg := Config{In: 3, N: 5, Out: 2, Leak: 0.25, TauA: 12, Beta: MixedBeta(5, 2, 1.8), BThr: 0.1, Init: InitMurray,
		Seed: 1<<63 + 5, L2: 1e-2, Loss: Loss{Kind: CrossEntropy, Timing: MaskedSteps, StepMask: []bool{true, false, true}}}
	n64 := mustNew[float64](t, cfg)
	n32 := Convert[float32](n64)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"f8", saveBytes(t, n64)}, {"f4", saveBytes(t, n32)}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadNPZ[float64](bytes.NewReader(tc.data), int64(len(tc.data)))
			if err != nil {
				t.Fatal(err)
			}
			want := n64
			if tc.name == "f4" {
				want = Convert[float64](n32)
			}
			if !slices.Equal(got.Params, want.Params) {
				t.Errorf("parameters differ after round trip")
			}
			g, w := got.Cfg, want.Cfg
			if g.In != w.In || g.N != w.N || g.Out != w.Out || g.Leak != w.Leak || g.TauA != w.TauA || g.BThr != w.BThr ||
				g.L2 != w.L2 || g.Seed != w.Seed || g.Init != w.Init || g.Loss.Kind != w.Loss.Kind ||
				g.Loss.Timing != w.Loss.Timing || !slices.Equal(g.Loss.StepMask, w.Loss.StepMask) {
				t.Errorf("config differs after round trip:\n got %+v\nwant %+v", g, w)
			}
			if tc.name == "f8" && !slices.Equal(g.Beta, w.Beta) {
				t.Errorf("beta %v, want %v", g.Beta, w.Beta)
			}
		})
	}
	// File helpers.
	path := filepath.Join(t.TempDir(), "net.npz")
	if err := SaveNPZFile(path, n32); err != nil {
		t.Fatal(err)
	}
	back, err := LoadNPZFile[float32](path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Params, n32.Params) {
		t.Errorf("file round trip differs")
	}
}

// TestLoadNumPyNPZ reads an archive written by np.savez
// (testdata/make_numpy_npz.py).
func TestLoadNumPyNPZ(t *testing.T) {
	net, err := LoadNPZFile[float32]("testdata/numpy_net.npz")
	if err != nil {
		t.Fatal(err)
	}
	c := net.Cfg
	if c.In != 2 || c.N != 3 || c.Out != 2 || c.Leak != 0.25 || c.TauA != 20 || c.Seed != 12345 ||
		c.Loss.Kind != CrossEntropy || c.Loss.Timing != EveryStep || !slices.Equal(c.Beta, []float64{0, 1.8, 0}) {
		t.Fatalf("config %+v", c)
	}
	if net.WRecM[1] != 0.1 || net.WInM[5] != 0.5 || net.WOutM[5] != -0.5 || net.BOutV[1] != -0.5 {
		t.Errorf("values W_rec[0,1]=%v W_in[2,1]=%v W_out[1,2]=%v b_out[1]=%v", net.WRecM[1], net.WInM[5], net.WOutM[5], net.BOutV[1])
	}
}

// TestNPZReadableByNumPy loads our archive with NumPy when python3 and
// numpy are present.
func TestNPZReadableByNumPy(t *testing.T) {
	py := "/usr/bin/python3" // Debian's, which has numpy
	if _, err := os.Stat(py); err != nil {
		var err2 error
		if py, err2 = exec.LookPath("python3"); err2 != nil {
			t.Skip("python3 not found")
		}
	}
	if exec.Command(py, "-c", "import numpy").Run() != nil {
		t.Skip("numpy not importable")
	}
	net := mustNew[float32](t, Config{In: 2, N: 4, Out: 3, Beta: MixedBeta(4, 1, 1.5)})
	path := filepath.Join(t.TempDir(), "net.npz")
	if err := SaveNPZFile(path, net); err != nil {
		t.Fatal(err)
	}
	script := `import sys, numpy as np
z = np.load(sys.argv[1])
assert z["W_in"].shape == (4, 2) and z["W_in"].dtype == np.float32, z["W_in"].dtype
assert z["W_rec"].shape == (4, 4) and (np.diag(z["W_rec"]) == 0).all()
assert z["W_out"].shape == (3, 4) and z["b_out"].shape == (3,)
assert z["beta"][0] == np.float32(1.5) and z["leak"].shape == () and int(z["loss_kind"]) == 0
print(repr(float(z["W_rec"][0, 1])).replace("e-0", "e-"))`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != strconv.FormatFloat(float64(net.WRecM[1]), 'g', -1, 64) {
		t.Errorf("numpy read W_rec[0,1] = %s, want %v", got, net.WRecM[1])
	}
}

// editNPZ rewrites the archive data, replacing array name with the given
// raw .npy bytes (or dropping it when raw is nil).
func editNPZ(t *testing.T, data []byte, name string, raw []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	found := false
	for _, f := range zr.File {
		var b []byte
		if f.Name == name+".npy" {
			found = true
			if raw == nil {
				continue
			}
			b = raw
		} else {
			rc, _ := f.Open()
			var bb bytes.Buffer
			bb.ReadFrom(rc)
			rc.Close()
			b = bb.Bytes()
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	if !found && raw != nil {
		w, _ := zw.Create(name + ".npy")
		w.Write(raw)
	}
	zw.Close()
	return buf.Bytes()
}

func npyBytes(t *testing.T, data any, shape []int) []byte {
	var buf bytes.Buffer
	if err := writeNPY(&buf, data, shape); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestLoadNPZHostile(t *testing.T) {
	net := mustNew[float64](t, Config{In: 2, N: 3, Out: 2})
	good := saveBytes(t, net)
	wrecDiag := append([]float64(nil), net.WRecM...)
	wrecDiag[4] = 1
	nan := append([]float64(nil), net.WInM...)
	nan[1] = math.NaN()
	hdr := func(h string) []byte {
		b := []byte("\x93NUMPY\x01\x00")
		b = append(b, byte(len(h)), byte(len(h)>>8))
		return append(b, h...)
	}
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"empty", "zip", nil},
		{"not-zip", "zip", []byte("hello world, not a zip file")},
		{"missing", "missing array W_out", editNPZ(t, good, "W_out", nil)},
		{"dtype", "dtype", editNPZ(t, good, "W_in", npyBytes(t, []int64{1, 2, 3, 4, 5, 6}, []int{3, 2}))},
		{"shape-in", "W_in has shape", editNPZ(t, good, "W_in", npyBytes(t, make([]float64, 8), []int{4, 2}))},
		{"dims", "dimensions", editNPZ(t, good, "b_out", npyBytes(t, make([]float64, 2), []int{1, 2}))},
		{"square", "square", editNPZ(t, good, "W_rec", npyBytes(t, make([]float64, 6), []int{3, 2}))},
		{"diag", "diagonal", editNPZ(t, good, "W_rec", npyBytes(t, wrecDiag, []int{3, 3}))},
		{"nan", "finite", editNPZ(t, good, "W_in", npyBytes(t, nan, []int{3, 2}))},
		{"short-data", "bytes", editNPZ(t, good, "W_in", npyBytes(t, make([]float64, 6), []int{3, 2})[:140])},
		{"long-data", "bytes", editNPZ(t, good, "W_in", append(npyBytes(t, make([]float64, 6), []int{3, 2}), 0))},
		{"magic", "magic", editNPZ(t, good, "W_in", []byte("\x93NUMPZ\x01\x00\x00\x00"))},
		{"truncated-header", "header", editNPZ(t, good, "W_in", hdr("{'descr': '<f8'")[:15])},
		{"fortran", "Fortran", editNPZ(t, good, "W_in", hdr("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 2), }\n"))},
		{"big-endian", "dtype", editNPZ(t, good, "W_in", hdr("{'descr': '>f8', 'fortran_order': False, 'shape': (3, 2), }\n"))},
		{"huge", "too large", editNPZ(t, good, "W_in", hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }\n"))},
		{"neg-shape", "shape", editNPZ(t, good, "W_in", hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (-3, 2), }\n"))},
		{"bad-key", "unknown key", editNPZ(t, good, "W_in", hdr("{'descr': '<f8', 'order': False, 'shape': (3, 2), }\n"))},
		{"version", "version", editNPZ(t, good, "W_in", []byte("\x93NUMPY\x09\x00\x00\x00"))},
		{"leak", "Leak", editNPZ(t, good, "leak", npyBytes(t, []float64{1.5}, nil))},
		{"leak-shape", "0-d", editNPZ(t, good, "leak", npyBytes(t, []float64{0, 0}, []int{2}))},
		{"loss-kind", "loss_kind", editNPZ(t, good, "loss_kind", npyBytes(t, []int64{3}, nil))},
		{"beta", "beta", editNPZ(t, good, "beta", npyBytes(t, []float64{1}, []int{1}))},
		{"beta-neg", "Beta", editNPZ(t, good, "beta", npyBytes(t, []float64{1, -1, 0}, []int{3}))},
		{"f32-overflow", "overflows", editNPZ(t, good, "W_out", npyBytes(t, []float64{0, 1e300, 0, 0, 0, 0}, []int{2, 3}))},
		{"mask-empty", "StepMask", editNPZ(t, editNPZ(t, good, "loss_timing", npyBytes(t, []int64{2}, nil)), "loss_step_mask", npyBytes(t, []bool{false, false}, []int{2}))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadNPZ[float32](bytes.NewReader(tc.data), int64(len(tc.data)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Every truncation of a valid file is an error, never a panic.
	for n := 0; n < len(good); n += 7 {
		if _, err := LoadNPZ[float64](bytes.NewReader(good[:n]), int64(n)); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
}

func FuzzLoadNPZ(f *testing.F) {
	net := mustNew[float32](f, Config{In: 2, N: 3, Out: 2, Beta: MixedBeta(3, 1, 1)})
	var buf bytes.Buffer
	if err := SaveNPZ(&buf, net); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	if b, err := os.ReadFile("testdata/numpy_net.npz"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := LoadNPZ[float64](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		// A loaded network is valid and round-trips.
		if err := n.Cfg.Validate(); err != nil {
			t.Fatalf("loaded an invalid config: %v", err)
		}
		var out bytes.Buffer
		if err := SaveNPZ(&out, n); err != nil {
			t.Fatal(err)
		}
		m, err := LoadNPZ[float64](bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatalf("re-load: %v", err)
		}
		if !slices.Equal(m.Params, n.Params) {
			t.Fatalf("round trip differs")
		}
	})
}
