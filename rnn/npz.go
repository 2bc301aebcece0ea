package rnn

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/hessrnn/hessrnn/kernels"
)

// NPZ array names. The weight arrays have the network's element type
// ('<f4' or '<f8'); scalars are 0-d '<f8' or '<i8'/'<u8' arrays.
const (
	npzWIn, npzWRec, npzWOut, npzBOut = "W_in", "W_rec", "W_out", "b_out"
	npzBeta                           = "beta"
	npzLeak, npzTauA, npzBThr, npzL2  = "leak", "tau_a", "b_thr", "l2"
	npzLossKind, npzLossTiming        = "loss_kind", "loss_timing"
	npzStepMask, npzSeed, npzInit     = "loss_step_mask", "seed", "init_murray"
)

// maxNPYElems bounds the elements of one loaded array (2^26), so that a
// hostile header cannot request a huge allocation.
const maxNPYElems = 1 << 26

// SaveNPZ writes the network as an NPZ archive readable by numpy.load:
// W_in (N×In), W_rec (N×N), W_out (Out×N), b_out (Out) and beta (N) in the
// network's element type ('<f4' or '<f8', C order), and the configuration
// scalars leak, tau_a, b_thr, l2 ('<f8'), loss_kind, loss_timing,
// init_murray ('<i8'), seed ('<u8') as 0-d arrays, plus loss_step_mask
// ('|b1') for masked losses.
func SaveNPZ[T kernels.Float](w io.Writer, net *Network[T]) error {
	c := &net.Cfg
	beta := make([]T, c.N)
	copy(beta, net.beta)
	arrays := []NPYArray{
		{npzWIn, net.WInM, []int{c.N, c.In}},
		{npzWRec, net.WRecM, []int{c.N, c.N}},
		{npzWOut, net.WOutM, []int{c.Out, c.N}},
		{npzBOut, net.BOutV, []int{c.Out}},
		{npzBeta, beta, []int{c.N}},
		{npzLeak, []float64{c.Leak}, nil},
		{npzTauA, []float64{c.TauA}, nil},
		{npzBThr, []float64{c.BThr}, nil},
		{npzL2, []float64{c.L2}, nil},
		{npzLossKind, []int64{int64(c.Loss.Kind)}, nil},
		{npzLossTiming, []int64{int64(c.Loss.Timing)}, nil},
		{npzInit, []int64{b2i(c.Init == InitMurray)}, nil},
		{npzSeed, []uint64{c.Seed}, nil},
	}
	if c.Loss.Timing == MaskedSteps {
		arrays = append(arrays, NPYArray{npzStepMask, c.Loss.StepMask, []int{len(c.Loss.StepMask)}})
	}
	return WriteNPZ(w, arrays...)
}

// NPYArray is one named array of an NPZ archive for WriteNPZ. Data is a
// []float32, []float64, []int64, []uint64 or []bool in C order; Shape
// holds its dimensions, nil for a 0-d array (one element).
type NPYArray struct {
	Name  string
	Data  any
	Shape []int
}

// WriteNPZ writes the arrays to w as an uncompressed NPZ archive (NPY
// format 1.0, member Name+".npy") readable by numpy.load. It is the writer
// of SaveNPZ, for batches, vectors and other data that go with a network.
// An unsupported data type or a shape whose product is not the data's
// length is an error naming the array; nothing is written after it.
func WriteNPZ(w io.Writer, arrays ...NPYArray) error {
	zw := zip.NewWriter(w)
	for _, a := range arrays {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: a.Name + ".npy", Method: zip.Store})
		if err != nil {
			return err
		}
		if err := writeNPY(f, a.Data, a.Shape); err != nil {
			return fmt.Errorf("rnn: NPZ array %q: %w", a.Name, err)
		}
	}
	return zw.Close()
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// SaveNPZFile writes the network to the named file with SaveNPZ.
func SaveNPZFile[T kernels.Float](path string, net *Network[T]) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := SaveNPZ(f, net); err != nil {
		f.Close()
		return fmt.Errorf("rnn: writing %s: %w", path, err)
	}
	return f.Close()
}

// writeNPY writes data (see NPYArray) as one .npy file of the given shape.
func writeNPY(w io.Writer, data any, shape []int) error {
	var descr string
	var n int
	var buf bytes.Buffer
	switch d := data.(type) {
	case []float32:
		descr, n = "<f4", len(d)
		binary.Write(&buf, binary.LittleEndian, d)
	case []float64:
		descr, n = "<f8", len(d)
		binary.Write(&buf, binary.LittleEndian, d)
	case []int64:
		descr, n = "<i8", len(d)
		binary.Write(&buf, binary.LittleEndian, d)
	case []uint64:
		descr, n = "<u8", len(d)
		binary.Write(&buf, binary.LittleEndian, d)
	case []bool:
		descr, n = "|b1", len(d)
		for _, b := range d {
			buf.WriteByte(byte(b2i(b)))
		}
	default:
		return fmt.Errorf("unsupported data type %T (want []float32, []float64, []int64, []uint64 or []bool)", data)
	}
	size := 1
	for _, s := range shape {
		size *= s
	}
	if n != size {
		return fmt.Errorf("%d elements for shape %v", n, shape)
	}
	var sh strings.Builder
	sh.WriteByte('(')
	for i, s := range shape {
		if i > 0 {
			sh.WriteString(", ")
		}
		sh.WriteString(strconv.Itoa(s))
	}
	if len(shape) == 1 {
		sh.WriteByte(',')
	}
	sh.WriteByte(')')
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, sh.String())
	// Pad so that magic(6)+version(2)+len(2)+header+'\n' is a multiple of 64.
	total := 10 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	pre := []byte{0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0}
	binary.LittleEndian.PutUint16(pre[8:], uint16(len(header)))
	if _, err := w.Write(pre); err != nil {
		return err
	}
	if _, err := io.WriteString(w, header); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// npyArray is a decoded .npy array.
type npyArray struct {
	descr string
	shape []int
	f64   []float64 // float and integer data, converted
	u64   []uint64  // '<u8' and '<i8' data bit patterns
}

// LoadNPZ reads a network saved by SaveNPZ (or by NumPy with the same
// array names) from r of the given size, converting '<f4'/'<f8' weights to
// T. W_in, W_rec, W_out and b_out are required; beta and the configuration
// scalars are optional and default as in Config. Sizes come from the array
// shapes. Every problem (a truncated or non-zip file, a bad .npy header, a
// wrong dtype, shape or length, Fortran order, non-finite weights, a
// non-zero W_rec diagonal, an invalid configuration) is an error naming the
// array; it never panics.
func LoadNPZ[T kernels.Float](r io.ReaderAt, size int64) (*Network[T], error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("rnn: npz: %w", err)
	}
	arrs := map[string]*npyArray{}
	for _, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			continue
		}
		if _, dup := arrs[name]; dup {
			return nil, fmt.Errorf("rnn: npz: array %s appears twice", name)
		}
		a, err := readNPYFile(f)
		if err != nil {
			return nil, fmt.Errorf("rnn: npz: array %s: %w", name, err)
		}
		arrs[name] = a
	}
	need := func(name string, dims int) (*npyArray, error) {
		a := arrs[name]
		if a == nil {
			return nil, fmt.Errorf("rnn: npz: missing array %s", name)
		}
		if len(a.shape) != dims {
			return nil, fmt.Errorf("rnn: npz: array %s has %d dimensions, want %d", name, len(a.shape), dims)
		}
		if a.descr != "<f4" && a.descr != "<f8" {
			return nil, fmt.Errorf("rnn: npz: array %s has dtype %s, want <f4 or <f8", name, a.descr)
		}
		return a, nil
	}
	win, err := need(npzWIn, 2)
	if err != nil {
		return nil, err
	}
	wrec, err := need(npzWRec, 2)
	if err != nil {
		return nil, err
	}
	wout, err := need(npzWOut, 2)
	if err != nil {
		return nil, err
	}
	bout, err := need(npzBOut, 1)
	if err != nil {
		return nil, err
	}
	var cfg Config
	cfg.N, cfg.In, cfg.Out = wrec.shape[0], win.shape[1], wout.shape[0]
	switch {
	case wrec.shape[1] != cfg.N:
		return nil, fmt.Errorf("rnn: npz: W_rec has shape %v, want square", wrec.shape)
	case win.shape[0] != cfg.N:
		return nil, fmt.Errorf("rnn: npz: W_in has shape %v, want (%d, In)", win.shape, cfg.N)
	case wout.shape[1] != cfg.N:
		return nil, fmt.Errorf("rnn: npz: W_out has shape %v, want (Out, %d)", wout.shape, cfg.N)
	case bout.shape[0] != cfg.Out:
		return nil, fmt.Errorf("rnn: npz: b_out has shape %v, want (%d,)", bout.shape, cfg.Out)
	}
	if a := arrs[npzBeta]; a != nil {
		if len(a.shape) != 1 || a.shape[0] != cfg.N || a.f64 == nil {
			return nil, fmt.Errorf("rnn: npz: beta has shape %v dtype %s, want (%d,) float", a.shape, a.descr, cfg.N)
		}
		cfg.Beta = a.f64
	}
	scalar := func(name string, dst *float64) error {
		a := arrs[name]
		if a == nil {
			return nil
		}
		if len(a.shape) != 0 || a.f64 == nil {
			return fmt.Errorf("rnn: npz: %s must be a 0-d numeric array, has shape %v dtype %s", name, a.shape, a.descr)
		}
		*dst = a.f64[0]
		return nil
	}
	var kind, timing, murray float64
	for _, s := range []struct {
		name string
		dst  *float64
	}{{npzLeak, &cfg.Leak}, {npzTauA, &cfg.TauA}, {npzBThr, &cfg.BThr}, {npzL2, &cfg.L2},
		{npzLossKind, &kind}, {npzLossTiming, &timing}, {npzInit, &murray}} {
		if err := scalar(s.name, s.dst); err != nil {
			return nil, err
		}
	}
	if kind != math.Trunc(kind) || kind < 0 || kind > 1 {
		return nil, fmt.Errorf("rnn: npz: loss_kind = %v, allowed 0 (MSE) or 1 (CrossEntropy)", kind)
	}
	if timing != math.Trunc(timing) || timing < 0 || timing > 2 {
		return nil, fmt.Errorf("rnn: npz: loss_timing = %v, allowed 0, 1 or 2", timing)
	}
	cfg.Loss.Kind, cfg.Loss.Timing = LossKind(kind), LossTiming(timing)
	if murray == 1 {
		cfg.Init = InitMurray
	}
	if a := arrs[npzSeed]; a != nil {
		if len(a.shape) != 0 || a.u64 == nil {
			return nil, fmt.Errorf("rnn: npz: seed must be a 0-d integer array")
		}
		cfg.Seed = a.u64[0]
	}
	if a := arrs[npzStepMask]; a != nil {
		if len(a.shape) != 1 || a.descr != "|b1" {
			return nil, fmt.Errorf("rnn: npz: loss_step_mask must be a 1-d bool array")
		}
		cfg.Loss.StepMask = make([]bool, len(a.f64))
		for i, v := range a.f64 {
			cfg.Loss.StepMask[i] = v != 0
		}
	}
	net, err := newEmpty[T](cfg)
	if err != nil {
		return nil, fmt.Errorf("rnn: npz: %w", err)
	}
	for _, b := range []struct {
		a   *npyArray
		dst []T
		bl  Block
	}{{win, net.WInM, WIn}, {wrec, net.WRecM, WRec}, {wout, net.WOutM, WOut}, {bout, net.BOutV, BOut}} {
		for i, v := range b.a.f64 {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("rnn: npz: %s[%d] = %v, must be finite", b.bl, i, v)
			}
			b.dst[i] = T(v)
			if math.IsInf(float64(b.dst[i]), 0) {
				return nil, fmt.Errorf("rnn: npz: %s[%d] = %v overflows the element type", b.bl, i, v)
			}
		}
	}
	for i := 0; i < cfg.N; i++ {
		if v := net.WRecM[i*cfg.N+i]; v != 0 {
			return nil, fmt.Errorf("rnn: npz: W_rec[%d, %d] = %v, the diagonal must be zero (self-connections are masked)", i, i, v)
		}
	}
	return net, nil
}

// LoadNPZFile reads the named file with LoadNPZ.
func LoadNPZFile[T kernels.Float](path string) (*Network[T], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	net, err := LoadNPZ[T](f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return net, nil
}

func readNPYFile(f *zip.File) (*npyArray, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readNPY(rc)
}

var errNPYMagic = errors.New("not a .npy array (bad magic)")

// readNPY decodes one .npy stream: version 1, 2 or 3, dtypes <f4, <f8,
// <i8, <u8 and |b1, C order.
func readNPY(r io.Reader) (*npyArray, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if string(pre[:6]) != "\x93NUMPY" {
		return nil, errNPYMagic
	}
	var hlen int
	switch pre[6] {
	case 1:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, fmt.Errorf("header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(l[:]))
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, fmt.Errorf("header length: %w", err)
		}
		h := binary.LittleEndian.Uint32(l[:])
		if h > 1<<16 {
			return nil, fmt.Errorf("header length %d too large", h)
		}
		hlen = int(h)
	default:
		return nil, fmt.Errorf("unsupported .npy version %d.%d", pre[6], pre[7])
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	a, err := parseNPYHeader(string(hb))
	if err != nil {
		return nil, err
	}
	n := 1
	for _, s := range a.shape {
		if s < 0 || (s > 0 && n > maxNPYElems/s) {
			return nil, fmt.Errorf("shape %v too large (limit %d elements)", a.shape, maxNPYElems)
		}
		n *= s
	}
	size := 8
	switch a.descr {
	case "<f4":
		size = 4
	case "|b1":
		size = 1
	case "<f8", "<i8", "<u8":
	default:
		return nil, fmt.Errorf("unsupported dtype %q (want <f4, <f8, <i8, <u8 or |b1)", a.descr)
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(n*size)+1))
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if len(data) != n*size {
		return nil, fmt.Errorf("data has %d bytes, shape %v dtype %s needs %d", len(data), a.shape, a.descr, n*size)
	}
	a.f64 = make([]float64, n)
	for i := range a.f64 {
		switch a.descr {
		case "<f4":
			a.f64[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])))
		case "<f8":
			a.f64[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		case "<i8":
			a.f64[i] = float64(int64(binary.LittleEndian.Uint64(data[8*i:])))
		case "<u8":
			a.f64[i] = float64(binary.LittleEndian.Uint64(data[8*i:]))
		case "|b1":
			if data[i] > 1 {
				return nil, fmt.Errorf("bool element %d has byte %d", i, data[i])
			}
			a.f64[i] = float64(data[i])
		}
	}
	if a.descr == "<i8" || a.descr == "<u8" {
		a.u64 = make([]uint64, n)
		for i := range a.u64 {
			a.u64[i] = binary.LittleEndian.Uint64(data[8*i:])
		}
		if a.descr == "<i8" {
			for i, u := range a.u64 {
				if int64(u) < 0 {
					return nil, fmt.Errorf("negative integer element %d", i)
				}
			}
		}
	}
	return a, nil
}

// parseNPYHeader parses the Python dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }.
func parseNPYHeader(h string) (*npyArray, error) {
	s := strings.TrimSpace(h)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil, fmt.Errorf("header %q is not a dict", h)
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	a := &npyArray{}
	seen := map[string]bool{}
	for s != "" {
		key, rest, err := pyString(s)
		if err != nil {
			return nil, fmt.Errorf("header key: %w", err)
		}
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, ":") {
			return nil, fmt.Errorf("header: missing ':' after %q", key)
		}
		rest = strings.TrimSpace(rest[1:])
		if seen[key] {
			return nil, fmt.Errorf("header: duplicate key %q", key)
		}
		seen[key] = true
		switch key {
		case "descr":
			a.descr, rest, err = pyString(rest)
			if err != nil {
				return nil, fmt.Errorf("header descr: %w", err)
			}
		case "fortran_order":
			switch {
			case strings.HasPrefix(rest, "False"):
				rest = rest[5:]
			case strings.HasPrefix(rest, "True"):
				return nil, errors.New("fortran_order True: Fortran-order arrays are not supported")
			default:
				return nil, errors.New("header: fortran_order is not a bool")
			}
		case "shape":
			if !strings.HasPrefix(rest, "(") {
				return nil, errors.New("header: shape is not a tuple")
			}
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return nil, errors.New("header: unterminated shape")
			}
			a.shape = []int{}
			for _, f := range strings.Split(rest[1:end], ",") {
				f = strings.TrimSpace(f)
				if f == "" {
					continue
				}
				v, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
				if err != nil || v < 0 {
					return nil, fmt.Errorf("header: bad shape entry %q", f)
				}
				a.shape = append(a.shape, v)
			}
			rest = rest[end+1:]
		default:
			return nil, fmt.Errorf("header: unknown key %q", key)
		}
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, ",") {
			rest = strings.TrimSpace(rest[1:])
		} else if rest != "" {
			return nil, fmt.Errorf("header: expected ',' near %q", rest)
		}
		s = rest
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return nil, errors.New("header: needs descr, fortran_order and shape")
	}
	return a, nil
}

// pyString reads a single- or double-quoted string without escapes at the
// start of s.
func pyString(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", s, errors.New("expected a quoted string")
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", s, errors.New("unterminated string")
	}
	return s[1 : 1+end], s[2+end:], nil
}
