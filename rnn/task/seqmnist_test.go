package task

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rnn/task/idx"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// synth builds an in-memory data set of n rows×cols images; pixel(i, p)
// gives pixel p of image i and label i%10 its class.
func synth(t testing.TB, name string, n, rows, cols int, pixel func(i, p int) byte) *idx.Dataset {
	t.Helper()
	im := &idx.Images{N: n, Rows: rows, Cols: cols, Pixels: make([]byte, n*rows*cols)}
	lb := &idx.Labels{Values: make([]byte, n)}
	for i := 0; i < n; i++ {
		for p := 0; p < rows*cols; p++ {
			im.Pixels[i*rows*cols+p] = pixel(i, p)
		}
		lb.Values[i] = byte(i % 10)
	}
	d, err := idx.NewDataset(name+"-images", name+"-labels", im, lb, 10)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// randomMNIST builds in-memory training and test sets of nTrain and
// nTest rows×cols images with pixels drawn uniformly from rng (the
// training images first) and labels as synth gives them.
func randomMNIST(t testing.TB, rng *rand.Rand, nTrain, nTest, rows, cols int) *MNISTData {
	t.Helper()
	pix := func(i, p int) byte { return byte(rng.IntN(256)) }
	return &MNISTData{Train: synth(t, "train", nTrain, rows, cols, pix), Test: synth(t, "test", nTest, rows, cols, pix)}
}

// tagged encodes the image index in pixels 0 and 1 and fills the rest
// with a ramp.
func tagged(i, p int) byte {
	switch p {
	case 0:
		return byte(i >> 8)
	case 1:
		return byte(i)
	}
	return byte(p * 13)
}

func TestSeqMNISTSplits(t *testing.T) {
	flat := func(i, p int) byte { return 0 }
	for _, tc := range []struct {
		name                 string
		train, test          int
		wantTr, wantV, wantT int
	}{
		{"standard", 60000, 10000, 55000, 5000, 10000},
		{"small-train-file", 1200, 300, 1100, 100, 300},
		{"t10k-only", 0, 10000, 7857, 714, 1429},
		{"train-only", 1400, 0, 1100, 100, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d MNISTData
			if tc.train > 0 {
				d.Train = synth(t, "train", tc.train, 1, 1, flat)
			}
			if tc.test > 0 {
				d.Test = synth(t, "test", tc.test, 1, 1, flat)
			}
			s, err := NewSeqMNIST[float32](&d, SeqMNISTConfig{BatchSize: 100}, 1)
			if err != nil {
				t.Fatal(err)
			}
			tr, v, te := s.SplitSizes()
			if tr != tc.wantTr || v != tc.wantV || te != tc.wantT {
				t.Errorf("splits %d/%d/%d, want %d/%d/%d", tr, v, te, tc.wantTr, tc.wantV, tc.wantT)
			}
			if s.TrainEval().Len() != tr || s.Validation().Len() != v || s.Tests()[0].Len() != te || s.Tests()[1].Len() != te {
				t.Error("set lengths disagree with the split sizes")
			}
			if s.TrainBatchesPerEpoch() != tr/100 {
				t.Errorf("batches per epoch %d", s.TrainBatchesPerEpoch())
			}
		})
	}
}

// decode returns the file index of sequence j of a row-by-row batch of
// tagged images.
func decode(b *rnn.Batch[float64], j int) int {
	hi := int(math.Round(b.X[(0*b.Size+j)*b.In+0] * 255))
	lo := int(math.Round(b.X[(0*b.Size+j)*b.In+1] * 255))
	return hi<<8 | lo
}

func TestSeqMNISTBatches(t *testing.T) {
	data := &MNISTData{
		Train: synth(t, "train", 1200, 4, 5, tagged),
		Test:  synth(t, "test", 300, 4, 5, tagged),
	}
	cfg := SeqMNISTConfig{BatchSize: 64}
	s, err := NewSeqMNIST[float64](data, cfg, 42)
	if err != nil {
		t.Fatal(err)
	}
	sh := s.Shape()
	if sh.In != 5 || sh.Steps != 4 || sh.Out != 10 || sh.N != 128 || sh.Beta != nil {
		t.Fatalf("shape %+v", sh)
	}
	if l := s.Loss(); l.Kind != rnn.CrossEntropy || l.Timing != rnn.LastStep || s.Metric() != Accuracy {
		t.Fatalf("loss %+v metric %v", l, s.Metric())
	}
	nb := s.TrainBatchesPerEpoch() // 1100/64 = 17
	if nb != 17 {
		t.Fatalf("batches per epoch %d, want 17", nb)
	}
	epochs := make([][]int, 2)
	for it := 0; it < 2*nb; it++ {
		b, err := s.TrainBatch(it)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Validate(); err != nil {
			t.Fatal(err)
		}
		if b.Size != 64 || b.Steps != 4 || b.In != 5 {
			t.Fatalf("batch %d×%d×%d", b.Steps, b.Size, b.In)
		}
		for j := 0; j < b.Size; j++ {
			g := decode(b, j)
			if g < 100 || g >= 1200 {
				t.Fatalf("iteration %d draws image %d outside the training split [100, 1200)", it, g)
			}
			img := data.Train.Images.Image(g)
			for tt := 0; tt < 4; tt++ {
				for k := 0; k < 5; k++ {
					if want := float64(img[tt*5+k]) / 255; b.X[(tt*64+j)*5+k] != want {
						t.Fatalf("X at step %d pixel %d = %v, want %v", tt, k, b.X[(tt*64+j)*5+k], want)
					}
				}
				if b.Labels[tt*64+j] != int32(g%10) {
					t.Fatalf("label %d of image %d", b.Labels[tt*64+j], g)
				}
			}
			epochs[it/nb] = append(epochs[it/nb], g)
		}
	}
	for e, ids := range epochs {
		seen := map[int]bool{}
		for _, g := range ids {
			if seen[g] {
				t.Fatalf("epoch %d draws image %d twice", e, g)
			}
			seen[g] = true
		}
	}
	same := 0
	for i := range epochs[0] {
		if epochs[0][i] == epochs[1][i] {
			same++
		}
	}
	if same > 20 {
		t.Errorf("epochs 0 and 1 share %d positions: not reshuffled", same)
	}

	// Determinism: a second instance with the same seed gives the same
	// batches, in any call order; another seed gives others.
	s2, _ := NewSeqMNIST[float64](data, cfg, 42)
	s3, _ := NewSeqMNIST[float64](data, cfg, 43)
	b1, _ := s.TrainBatch(nb + 3)
	b2, _ := s2.TrainBatch(nb + 3)
	b3, _ := s3.TrainBatch(nb + 3)
	diff := false
	for j := 0; j < 64; j++ {
		if decode(b1, j) != decode(b2, j) {
			t.Fatal("same seed, different batch")
		}
		diff = diff || decode(b1, j) != decode(b3, j)
	}
	if !diff {
		t.Error("different seeds, same batch")
	}

	// Hessian batches: 256 distinct validation images, fresh per checkpoint.
	h0, _ := s.HessianBatch(0)
	h0b, _ := s2.HessianBatch(0)
	h1, _ := s.HessianBatch(1)
	if h0.Size != 100 { // the validation split has only 100 images
		t.Fatalf("Hessian batch size %d", h0.Size)
	}
	s4, _ := NewSeqMNIST[float64](data, SeqMNISTConfig{BatchSize: 64, HessianBatchSize: 30}, 42)
	h4, _ := s4.HessianBatch(5)
	h4b, _ := s4.HessianBatch(6)
	seen := map[int]bool{}
	moved := false
	for j := 0; j < 30; j++ {
		g := decode(h4, j)
		if g >= 100 || seen[g] {
			t.Fatalf("Hessian image %d repeated or outside validation [0, 100)", g)
		}
		seen[g] = true
		moved = moved || g != decode(h4b, j)
	}
	if !moved {
		t.Error("Hessian batches of checkpoints 5 and 6 are equal")
	}
	for j := 0; j < 100; j++ {
		if decode(h0, j) != decode(h0b, j) {
			t.Fatal("Hessian batch not deterministic")
		}
	}
	_ = h1

	// TrainEvalSize limits the training-condition set.
	lim, _ := NewSeqMNIST[float64](data, SeqMNISTConfig{BatchSize: 64, TrainEvalSize: 250, EvalBatchSize: 100}, 42)
	if te := lim.TrainEval(); te.Len() != 250 || te.NumBatches() != 3 || decode(te.Batch(2), 49) != 349 {
		t.Errorf("limited train eval set: %d sequences in %d batches", te.Len(), te.NumBatches())
	}

	// Evaluation sets cover their split in order.
	te := s.TrainEval()
	if te.NumBatches() != 2 || te.Batch(1).Size != 100 || decode(te.Batch(1), 99) != 1199 {
		t.Errorf("train eval set: %d batches", te.NumBatches())
	}
	clean := s.Tests()[1].Batch(0)
	if decode(clean, 299) != 299 {
		t.Error("clean test set order")
	}

	// Pixel by pixel: T = 20, N_in = 1, same pixels.
	pw, _ := NewSeqMNIST[float64](data, SeqMNISTConfig{BatchSize: 64, Pixelwise: true}, 42)
	if sh := pw.Shape(); sh.In != 1 || sh.Steps != 20 {
		t.Fatalf("pixelwise shape %+v", sh)
	}
	pb, _ := pw.TrainBatch(0)
	rb, _ := s.TrainBatch(0)
	for j := 0; j < 64; j++ {
		for p := 0; p < 20; p++ {
			if pb.X[p*64+j] != rb.X[((p/5)*64+j)*5+p%5] {
				t.Fatal("pixelwise batch differs from the row-by-row batch")
			}
		}
	}
}

// censoredStd is the standard deviation of N(0, σ²) clipped to [−c, c].
func censoredStd(sigma, c float64) float64 {
	n := distuv.UnitNormal
	a := c / sigma
	v := (2*n.CDF(a) - 1) - 2*a*n.Prob(a) + 2*a*a*(1-n.CDF(a))
	return sigma * math.Sqrt(v)
}

func TestSeqMNISTNoise(t *testing.T) {
	mid := func(i, p int) byte { return 128 }
	zero := func(i, p int) byte { return 0 }
	for _, tc := range []struct {
		name  string
		pixel func(i, p int) byte
	}{{"mid", mid}, {"zero", zero}} {
		t.Run(tc.name, func(t *testing.T) {
			data := &MNISTData{Train: synth(t, "train", 200, 28, 28, tc.pixel), Test: synth(t, "test", 60, 28, 28, tc.pixel)}
			s, err := NewSeqMNIST[float64](data, SeqMNISTConfig{BatchSize: 10, EvalBatchSize: 25}, 1)
			if err != nil {
				t.Fatal(err)
			}
			clean := float64(tc.pixel(0, 0)) / 255
			var d []float64
			zeros := 0
			set := s.Tests()[0]
			for i := 0; i < set.NumBatches(); i++ {
				for _, v := range set.Batch(i).X {
					if v < 0 || v > 1 {
						t.Fatalf("noisy pixel %v outside [0, 1]", v)
					}
					if v == 0 {
						zeros++
					}
					d = append(d, v-clean)
				}
			}
			n := float64(len(d)) // 47 040 pixels
			m, sd := stat.MeanStdDev(d, nil)
			switch tc.name {
			case "mid":
				// Symmetric clipping at ±0.498 (2.49σ): mean 0 up to the
				// 0.002 asymmetry of 128/255, std of the censored normal.
				want := censoredStd(0.2, 1-clean)
				if math.Abs(m) > 4*0.2/math.Sqrt(n) || math.Abs(sd-want) > 0.004 {
					t.Errorf("noise mean %v std %v, want 0 and %v", m, sd, want)
				}
			case "zero":
				// max(0, N(0, σ²)): half the pixels stay 0, mean σ/√(2π).
				if f := float64(zeros) / n; math.Abs(f-0.5) > 0.01 {
					t.Errorf("fraction of clipped pixels %v, want 0.5", f)
				}
				if want := 0.2 / math.Sqrt(2*math.Pi); math.Abs(m-want) > 0.003 {
					t.Errorf("noise mean %v, want %v", m, want)
				}
			}
		})
	}

	// The noise of an image depends only on NoiseSeed and its index.
	data := &MNISTData{Train: synth(t, "train", 200, 28, 28, mid), Test: synth(t, "test", 60, 28, 28, mid)}
	a, _ := NewSeqMNIST[float32](data, SeqMNISTConfig{BatchSize: 10, EvalBatchSize: 7}, 1)
	b, _ := NewSeqMNIST[float32](data, SeqMNISTConfig{BatchSize: 10}, 99)
	c, _ := NewSeqMNIST[float32](data, SeqMNISTConfig{BatchSize: 10, NoiseSeed: 5}, 1)
	xa := a.Tests()[0].Batch(1) // images 7..13
	xb := b.Tests()[0].Batch(0) // images 0..59
	xc := c.Tests()[0].Batch(0)
	changed := false
	for tt := 0; tt < 28; tt++ {
		for j := 0; j < 7; j++ {
			for k := 0; k < 28; k++ {
				va := xa.X[(tt*7+j)*28+k]
				if va != xb.X[(tt*60+7+j)*28+k] {
					t.Fatal("noise depends on the batching or the run seed")
				}
				changed = changed || va != xc.X[(tt*60+7+j)*28+k]
			}
		}
	}
	if !changed {
		t.Error("NoiseSeed does not change the noise")
	}
}

func TestSeqMNISTConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg   SeqMNISTConfig
		field string
	}{
		{SeqMNISTConfig{N: -1}, "N"},
		{SeqMNISTConfig{BatchSize: -1}, "BatchSize"},
		{SeqMNISTConfig{ValidationFraction: 1}, "ValidationFraction"},
		{SeqMNISTConfig{ValidationFraction: math.NaN()}, "ValidationFraction"},
		{SeqMNISTConfig{TestFraction: -0.1}, "TestFraction"},
		{SeqMNISTConfig{TestNoiseStd: -0.2}, "TestNoiseStd"},
		{SeqMNISTConfig{EvalBatchSize: -1}, "EvalBatchSize"},
		{SeqMNISTConfig{TrainEvalSize: -1}, "TrainEvalSize"},
		{SeqMNISTConfig{HessianBatchSize: -1}, "HessianBatchSize"},
	} {
		_, err := NewSeqMNIST[float32](&MNISTData{}, tc.cfg, 0)
		fieldErr(t, err, tc.field)
	}
	flat := func(i, p int) byte { return 0 }
	if _, err := NewSeqMNIST[float32](&MNISTData{Test: synth(t, "t", 100, 1, 1, flat)}, SeqMNISTConfig{}, 0); err == nil {
		t.Error("no error for a training split smaller than one batch")
	}
	if _, err := NewSeqMNIST[float32](&MNISTData{}, SeqMNISTConfig{}, 0); err == nil {
		t.Error("no error without data")
	}
	if _, err := NewSeqMNIST[float32](&MNISTData{Train: synth(t, "a", 600, 2, 2, flat), Test: synth(t, "b", 10, 2, 3, flat)}, SeqMNISTConfig{BatchSize: 8}, 0); err == nil {
		t.Error("no error for mismatched image sizes")
	}
	if _, err := NewSeqMNIST[float32](nil, SeqMNISTConfig{}, 0); err == nil {
		t.Error("no error for nil data")
	}
}

// sharedMNIST returns the directory of the real MNIST t10k files, found
// relative to the repository, or skips the test.
func sharedMNIST(t *testing.T) string {
	t.Helper()
	// The test runs in rnn/task; shared/ sits beside the repository root.
	dir := filepath.Join("..", "..", "..", "shared", "data", "mnist")
	if _, err := FindMNISTFiles(dir); err != nil {
		t.Skipf("real MNIST t10k not found at %s (../shared/data/mnist beside the repository): %v", dir, err)
	}
	// The shared folder may hold the training files too; link only the
	// t10k files into a folder of their own, so that the test sees a
	// test-only data set whatever else the shared folder has.
	only := t.TempDir()
	for _, name := range []string{"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		matches, _ := filepath.Glob(filepath.Join(dir, name+"*"))
		if len(matches) == 0 {
			t.Skipf("real MNIST %s not found in %s", name, dir)
		}
		abs, err := filepath.Abs(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, filepath.Join(only, filepath.Base(abs))); err != nil {
			t.Fatal(err)
		}
	}
	return only
}

func TestSeqMNISTRealT10k(t *testing.T) {
	dir := sharedMNIST(t)
	data, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if data.Train != nil || data.Test == nil || data.Test.Len() != 10000 {
		t.Fatalf("loaded %+v", data)
	}
	s, err := NewSeqMNIST[float32](data, SeqMNISTConfig{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if tr, v, te := s.SplitSizes(); tr != 7857 || v != 714 || te != 1429 {
		t.Errorf("splits %d/%d/%d, want 7857/714/1429", tr, v, te)
	}
	if sh := s.Shape(); sh.In != 28 || sh.Steps != 28 || sh.Out != 10 || sh.N != 128 {
		t.Errorf("shape %+v", sh)
	}
	if s.TrainBatchesPerEpoch() != 30 {
		t.Errorf("batches per epoch %d, want 30", s.TrainBatchesPerEpoch())
	}
	b, err := s.TrainBatch(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	var lo, hi float32 = 1, 0
	for _, v := range b.X {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("pixel range [%v, %v], want [0, 1]", lo, hi)
	}
	// A predictor that copies the labels is perfect on every set; one that
	// always answers 1 scores the class frequency of 1.
	cheat := predictFunc[float32](func(b *rnn.Batch[float32], y []float32) error {
		for j := 0; j < b.Size; j++ {
			o := (b.Steps-1)*b.Size + j
			y[o*b.Out+int(b.Labels[o])] = 1
		}
		return nil
	})
	rep, err := Generalization[float32](cheat, s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Train.Metric != 1 || rep.Test.Metric != 1 || rep.Gap != 0 || rep.Train.Sequences != 7857 {
		t.Errorf("label-copying predictor: %+v", rep)
	}
	ones := predictFunc[float32](func(b *rnn.Batch[float32], y []float32) error {
		for j := 0; j < b.Size; j++ {
			y[((b.Steps-1)*b.Size+j)*b.Out+1] = 1
		}
		return nil
	})
	sc, err := Evaluate[float32](ones, s.Tests()[1], s.Loss(), Accuracy)
	if err != nil {
		t.Fatal(err)
	}
	n1 := 0
	for _, l := range data.Test.Labels.Values[8571:] {
		if l == 1 {
			n1++
		}
	}
	if sc.Metric != float64(n1)/1429 {
		t.Errorf("always-1 accuracy %v, want %v", sc.Metric, float64(n1)/1429)
	}
	wantLoss := math.Log(9+math.E) - 1*float64(n1)/1429
	if math.Abs(sc.Loss-wantLoss) > 1e-9 {
		t.Errorf("always-1 loss %v, want %v", sc.Loss, wantLoss)
	}
}

// referenceBatch builds a batch of split-relative items the way the
// evaluation sets were built before the noisy test images were cached:
// pixel v/255 in float64, the test noise of the file image added and
// clipped, then converted to T.
func referenceBatch[T kernels.Float](s *SeqMNIST[T], sp split, items []int, noisy bool) *rnn.Batch[T] {
	sh := s.Shape()
	bs := len(items)
	b := &rnn.Batch[T]{Size: bs, Steps: sh.Steps, In: sh.In, Out: sh.Out, X: make([]T, sh.Steps*bs*sh.In), Labels: make([]int32, sh.Steps*bs)}
	pix := make([]float64, s.rows*s.cols)
	for j, it := range items {
		g := sp.off + it
		for p, v := range sp.ds.Images.Image(g) {
			pix[p] = float64(v) / 255
		}
		if noisy {
			r := rand.New(rand.NewPCG(s.cfg.NoiseSeed, uint64(g)))
			for p := range pix {
				pix[p] = min(1, max(0, pix[p]+s.cfg.TestNoiseStd*r.NormFloat64()))
			}
		}
		for t := 0; t < sh.Steps; t++ {
			for k := 0; k < sh.In; k++ {
				b.X[(t*bs+j)*sh.In+k] = T(pix[t*sh.In+k])
			}
			b.Labels[t*bs+j] = int32(sp.ds.Labels.Values[g])
		}
	}
	return b
}

// TestSeqMNISTSetsExact checks every batch of every evaluation set against
// the reference construction, bit for bit, in both precisions, row by row
// and pixel by pixel, twice (the second time from the cached noisy images),
// both built anew and built into the previous batch's storage.
func TestSeqMNISTSetsExact(t *testing.T) {
	t.Run("float64", func(t *testing.T) { seqMNISTSetsExact[float64](t) })
	t.Run("float32", func(t *testing.T) { seqMNISTSetsExact[float32](t) })
}

func seqMNISTSetsExact[T kernels.Float](t *testing.T) {
	data := randomMNIST(t, rand.New(rand.NewPCG(3, 4)), 700, 230, 5, 4)
	for _, pixelwise := range []bool{false, true} {
		s, err := NewSeqMNIST[T](data, SeqMNISTConfig{Pixelwise: pixelwise, N: 8, BatchSize: 32, EvalBatchSize: 100}, 1)
		if err != nil {
			t.Fatal(err)
		}
		sets := []struct {
			set   Set[T]
			sp    split
			noisy bool
		}{{s.TrainEval(), s.train, false}, {s.Validation(), s.val, false}, {s.Tests()[0], s.tst, true}, {s.Tests()[1], s.tst, false}}
		for pass := 0; pass < 2; pass++ {
			for _, c := range sets {
				start := 0
				var reused *rnn.Batch[T]
				for i := 0; i < c.set.NumBatches(); i++ {
					got := c.set.Batch(i)
					// Evaluate's path: the batch built into the previous
					// one's storage (the last batch is smaller).
					reused = c.set.(refillable[T]).batchInto(i, reused)
					if !slices.Equal(got.X, reused.X) || !slices.Equal(got.Labels, reused.Labels) || got.Size != reused.Size || reused.Y != nil {
						t.Fatalf("pixelwise %v, set %s, batch %d: built into an earlier batch, it differs", pixelwise, c.set.Name(), i)
					}
					items := make([]int, got.Size)
					for j := range items {
						items[j] = start + j
					}
					start += got.Size
					want := referenceBatch(s, c.sp, items, c.noisy)
					if !slices.Equal(got.X, want.X) || !slices.Equal(got.Labels, want.Labels) || got.Size != want.Size || got.Steps != want.Steps || got.In != want.In {
						t.Fatalf("pixelwise %v, pass %d, set %s, batch %d differs from the reference", pixelwise, pass, c.set.Name(), i)
					}
				}
				if start != c.set.Len() {
					t.Errorf("set %s: batches hold %d sequences, Len %d", c.set.Name(), start, c.set.Len())
				}
			}
		}
	}
}

// TestSeqMNISTTrainBatchBitwise checks that TrainBatch (built by
// trainBatch, from a table of pixel values) is bitwise the batch the
// general builder makes from the same images, row by row and pixel by
// pixel, in both precisions, and over every pixel value 0..255.
func TestSeqMNISTTrainBatchBitwise(t *testing.T) {
	data := &MNISTData{
		Train: synth(t, "train", 1200, 4, 5, func(i, p int) byte { return byte(i*7 + p*31) }),
		Test:  synth(t, "test", 300, 4, 5, tagged),
	}
	for _, pixelwise := range []bool{false, true} {
		t.Run("float32", func(t *testing.T) { checkTrainBatchBitwise[float32](t, data, pixelwise) })
		t.Run("float64", func(t *testing.T) { checkTrainBatchBitwise[float64](t, data, pixelwise) })
	}
}

func checkTrainBatchBitwise[T kernels.Float](t *testing.T, data *MNISTData, pixelwise bool) {
	s, err := NewSeqMNIST[T](data, SeqMNISTConfig{BatchSize: 64, Pixelwise: pixelwise}, 42)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range []int{0, 5, 16, 17, 40} {
		got, err := s.TrainBatch(it)
		if err != nil {
			t.Fatal(err)
		}
		items := make([]int, got.Size)
		for j := range items {
			items[j] = s.perm[(it%s.TrainBatchesPerEpoch())*64+j]
		}
		want := s.batch(s.train, items, false)
		if got.Size != want.Size || got.Steps != want.Steps || got.In != want.In || got.Out != want.Out {
			t.Fatalf("pixelwise=%v it=%d: shape %d×%d×%d→%d, want %d×%d×%d→%d", pixelwise, it, got.Steps, got.Size, got.In, got.Out, want.Steps, want.Size, want.In, want.Out)
		}
		for i := range want.X {
			if math.Float64bits(float64(got.X[i])) != math.Float64bits(float64(want.X[i])) {
				t.Fatalf("pixelwise=%v it=%d: X[%d] = %v, want %v", pixelwise, it, i, got.X[i], want.X[i])
			}
		}
		for i := range want.Labels {
			if got.Labels[i] != want.Labels[i] {
				t.Fatalf("pixelwise=%v it=%d: Labels[%d] = %d, want %d", pixelwise, it, i, got.Labels[i], want.Labels[i])
			}
		}
	}
}
