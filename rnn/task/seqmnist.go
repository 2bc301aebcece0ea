package task

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/hessrnn/hessrnn/kernels"
	"github.com/hessrnn/hessrnn/rnn"
	"github.com/hessrnn/hessrnn/rnn/task/idx"
)

// SeqMNISTConfig configures sequential MNIST (METHOD.md §5.1). The zero value
// means the defaults given on each field.
type SeqMNISTConfig struct {
	// Pixelwise feeds one pixel per step (T = 784, N_in = 1) instead of
	// one row per step (T = 28, N_in = 28).
	Pixelwise bool
	// N is the suggested number of plain units. Default 128 (METHOD.md §5.1).
	N int
	// BatchSize is the training minibatch size B. Default 256. Each epoch
	// is a fresh seeded permutation of the training split, cut into
	// ⌊n_train/B⌋ batches; the remainder is left out of that epoch.
	BatchSize int
	// ValidationFraction is the share of the training file held out as the
	// validation split: its first round(f·n) images, as TensorFlow's
	// input_data does. Default 1/12, which gives 55 000/5 000 for the
	// 60 000-image MNIST training file. Range (0, 1).
	ValidationFraction float64
	// TestFraction is used only when the data has no separate test file
	// (e.g. only the 10 000-image t10k set): the last round(f·n) images of
	// the file become the test set and the rest is split into training and
	// validation as above. Default 1/7 (MNIST's 10 000 of 70 000). Range
	// (0, 1).
	TestFraction float64
	// TestNoiseStd is the standard deviation of the Gaussian pixel noise
	// added to the test images before clipping to [0, 1]. Default 0.2.
	// Tests()[1] is the clean test set.
	TestNoiseStd float64
	// NoiseSeed fixes the test noise; the noise of an image depends only on
	// NoiseSeed and the image's index in its file. Default 20220601.
	NoiseSeed uint64
	// TrainEvalSize limits the training-condition evaluation set
	// (TrainEval) to the first TrainEvalSize images of the training split.
	// Default 0: the full clean training split (METHOD.md §5.1).
	TrainEvalSize int
	// EvalBatchSize is the batch size of the evaluation sets. Default 1000.
	EvalBatchSize int
	// HessianBatchSize is the size of the validation minibatch used for the
	// Hessian (METHOD.md §4.7). Default 256.
	HessianBatchSize int
}

// Validate checks every field, naming the first one out of range.
func (c SeqMNISTConfig) Validate() error {
	const cfg = "SeqMNISTConfig"
	switch {
	case c.N < 0:
		return fieldError(cfg, "N", c.N, "[1, ∞) (0 means 128)")
	case c.BatchSize < 0:
		return fieldError(cfg, "BatchSize", c.BatchSize, "[1, ∞) (0 means 256)")
	case !(c.ValidationFraction >= 0 && c.ValidationFraction < 1):
		return fieldError(cfg, "ValidationFraction", c.ValidationFraction, "(0, 1) (0 means 1/12)")
	case !(c.TestFraction >= 0 && c.TestFraction < 1):
		return fieldError(cfg, "TestFraction", c.TestFraction, "(0, 1) (0 means 1/7)")
	case !(c.TestNoiseStd >= 0 && c.TestNoiseStd <= 10):
		return fieldError(cfg, "TestNoiseStd", c.TestNoiseStd, "(0, 10] (0 means 0.2)")
	case c.TrainEvalSize < 0:
		return fieldError(cfg, "TrainEvalSize", c.TrainEvalSize, "[0, ∞) (0 means the whole training split)")
	case c.EvalBatchSize < 0:
		return fieldError(cfg, "EvalBatchSize", c.EvalBatchSize, "[1, ∞) (0 means 1000)")
	case c.HessianBatchSize < 0:
		return fieldError(cfg, "HessianBatchSize", c.HessianBatchSize, "[1, ∞) (0 means 256)")
	}
	return nil
}

// WithDefaults returns c with every zero field set to its default.
func (c SeqMNISTConfig) WithDefaults() SeqMNISTConfig {
	orDefault(&c.N, 128)
	orDefault(&c.BatchSize, 256)
	orDefault(&c.EvalBatchSize, 1000)
	orDefault(&c.HessianBatchSize, 256)
	orDefault(&c.ValidationFraction, 1.0/12)
	orDefault(&c.TestFraction, 1.0/7)
	orDefault(&c.TestNoiseStd, 0.2)
	orDefault(&c.NoiseSeed, 20220601)
	return c
}

// split is a contiguous range of a data set.
type split struct {
	ds       *idx.Dataset
	off, len int
}

// SeqMNIST is sequential MNIST: each image is read row by row (or pixel by
// pixel) and classified from the readout at the last step with a
// cross-entropy loss. The test set adds Gaussian pixel noise; the gap is
// train accuracy (full clean training split) − noisy test accuracy.
type SeqMNIST[T kernels.Float] struct {
	cfg             SeqMNISTConfig
	seed            uint64
	train, val, tst split
	rows, cols      int

	mu        sync.Mutex
	permEpoch int
	perm      []int

	// lut maps a byte pixel v to T(v/255), the clean input value.
	lut [256]T
	// noisy holds the noisy test images as inputs, image after image
	// (rows·cols values each, in T), built on first use: the noise of an
	// image is fixed (NoiseSeed and its index), so the noisy test set is
	// the same at every evaluation and is drawn once per task.
	noisyOnce sync.Once
	noisy     []T
}

// NewSeqMNIST builds sequential MNIST from data (see LoadMNIST). When data
// has a test file it is the test set and the training file is split into
// training and validation; otherwise the one file present is split three
// ways (see SeqMNISTConfig.TestFraction). seed fixes the minibatch order
// and the Hessian minibatches.
func NewSeqMNIST[T kernels.Float](data *MNISTData, cfg SeqMNISTConfig, seed uint64) (*SeqMNIST[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if data == nil || (data.Train == nil && data.Test == nil) {
		return nil, fmt.Errorf("task: sequential MNIST needs a training or test file")
	}
	for _, d := range []*idx.Dataset{data.Train, data.Test} {
		if d != nil && d.Classes != MNISTClasses {
			return nil, fmt.Errorf("task: %s has %d classes, sequential MNIST needs %d", d.LabelsFile, d.Classes, MNISTClasses)
		}
	}
	s := &SeqMNIST[T]{cfg: cfg, seed: seed, permEpoch: -1}
	for v := range s.lut {
		s.lut[v] = T(float64(v) / 255)
	}
	src := data.Train
	var rest int
	if src != nil && data.Test != nil {
		rest = src.Len()
		s.tst = split{ds: data.Test, off: 0, len: data.Test.Len()}
	} else {
		if src == nil {
			src = data.Test
		}
		nTest := int(math.Round(cfg.TestFraction * float64(src.Len())))
		rest = src.Len() - nTest
		s.tst = split{ds: src, off: rest, len: nTest}
	}
	nVal := int(math.Round(cfg.ValidationFraction * float64(rest)))
	s.val = split{ds: src, off: 0, len: nVal}
	s.train = split{ds: src, off: nVal, len: rest - nVal}
	s.rows, s.cols = src.Images.Rows, src.Images.Cols
	if s.tst.ds.Images.Rows != s.rows || s.tst.ds.Images.Cols != s.cols {
		return nil, fmt.Errorf("task: test images are %d×%d but training images %d×%d", s.tst.ds.Images.Rows, s.tst.ds.Images.Cols, s.rows, s.cols)
	}
	switch {
	case s.train.len < cfg.BatchSize:
		return nil, fmt.Errorf("task: the training split of %s has %d images, fewer than one batch of %d", src.ImagesFile, s.train.len, cfg.BatchSize)
	case s.val.len < 1:
		return nil, fmt.Errorf("task: the validation split of %s is empty", src.ImagesFile)
	case s.tst.len < 1:
		return nil, fmt.Errorf("task: the test set is empty")
	}
	return s, nil
}

// Config returns the configuration with defaults filled in.
func (s *SeqMNIST[T]) Config() SeqMNISTConfig { return s.cfg }

// Name returns "seqmnist".
func (s *SeqMNIST[T]) Name() string { return "seqmnist" }

// Shape returns N_in = 28, N_out = 10, T = 28 (or 1, 10, 784 pixel by
// pixel) and N = Config().N plain units.
func (s *SeqMNIST[T]) Shape() Shape {
	in, steps := s.cols, s.rows
	if s.cfg.Pixelwise {
		in, steps = 1, s.rows*s.cols
	}
	return Shape{In: in, Out: MNISTClasses, N: s.cfg.N, Steps: steps}
}

// Loss is cross-entropy at the last step.
func (s *SeqMNIST[T]) Loss() rnn.Loss { return rnn.Loss{Kind: rnn.CrossEntropy, Timing: rnn.LastStep} }

// Metric is Accuracy.
func (s *SeqMNIST[T]) Metric() Metric { return Accuracy }

// SplitSizes returns the number of training, validation and test images.
func (s *SeqMNIST[T]) SplitSizes() (train, validation, test int) {
	return s.train.len, s.val.len, s.tst.len
}

// TrainBatchesPerEpoch is ⌊n_train / BatchSize⌋.
func (s *SeqMNIST[T]) TrainBatchesPerEpoch() int { return s.train.len / s.cfg.BatchSize }

// TrainBatch returns minibatch it: images drawn without replacement within
// each epoch from a permutation seeded by (seed, epoch).
func (s *SeqMNIST[T]) TrainBatch(it int) (*rnn.Batch[T], error) {
	if it < 0 {
		return nil, fmt.Errorf("task: training iteration %d, allowed range [0, ∞)", it)
	}
	nb := s.TrainBatchesPerEpoch()
	epoch, k := it/nb, it%nb
	s.mu.Lock()
	if s.permEpoch != epoch {
		r := rand.New(rand.NewPCG(s.seed, 2*uint64(epoch)))
		s.perm = r.Perm(s.train.len)
		s.permEpoch = epoch
	}
	items := append([]int(nil), s.perm[k*s.cfg.BatchSize:(k+1)*s.cfg.BatchSize]...)
	s.mu.Unlock()
	return s.trainBatch(items), nil
}

// trainBatch is batch(s.train, items, false), built without the per-image
// float64 copy: every pixel is converted once, from a table of v/255
// (the same float64 value batch computes, so the same T).
func (s *SeqMNIST[T]) trainBatch(items []int) *rnn.Batch[T] {
	sh, sp := s.Shape(), s.train
	bs := len(items)
	b := &rnn.Batch[T]{
		Size: bs, Steps: sh.Steps, In: sh.In, Out: sh.Out,
		X:      make([]T, sh.Steps*bs*sh.In),
		Labels: make([]int32, sh.Steps*bs),
	}
	for j, it := range items {
		g := sp.off + it // index in the file
		img := sp.ds.Images.Image(g)
		lab := int32(sp.ds.Labels.Values[g])
		for t := 0; t < sh.Steps; t++ {
			row := b.X[(t*bs+j)*sh.In : (t*bs+j+1)*sh.In]
			for k, v := range img[t*sh.In : (t+1)*sh.In] {
				row[k] = s.lut[v]
			}
			b.Labels[t*bs+j] = lab
		}
	}
	return b
}

// HessianBatch returns a clean validation minibatch of HessianBatchSize
// images (all of them if the split is smaller), drawn without replacement
// with a generator seeded by (seed, k): a fresh draw per checkpoint k, as
// in the authors' code (METHOD.md §4.7).
func (s *SeqMNIST[T]) HessianBatch(k int) (*rnn.Batch[T], error) {
	if k < 0 {
		return nil, fmt.Errorf("task: Hessian checkpoint %d, allowed range [0, ∞)", k)
	}
	r := rand.New(rand.NewPCG(s.seed, 2*uint64(k)+1))
	items := r.Perm(s.val.len)[:min(s.cfg.HessianBatchSize, s.val.len)]
	return s.batch(s.val, items, false), nil
}

// TrainEval is the clean training split (its first TrainEvalSize images
// when that is set).
func (s *SeqMNIST[T]) TrainEval() Set[T] {
	sp := s.train
	if s.cfg.TrainEvalSize > 0 {
		sp.len = min(sp.len, s.cfg.TrainEvalSize)
	}
	return s.set("train", sp, false)
}

// Validation is the clean validation split.
func (s *SeqMNIST[T]) Validation() Set[T] { return s.set("validation", s.val, false) }

// SeqMNISTCleanTest is the name of seqMNIST's clean test set, Tests()[1]:
// the test images without noise.
const SeqMNISTCleanTest = "test-clean"

// Tests returns the noisy test set ("test-noisy", which defines the gap)
// and the clean one (SeqMNISTCleanTest).
func (s *SeqMNIST[T]) Tests() []Set[T] {
	return []Set[T]{s.set("test-noisy", s.tst, true), s.set(SeqMNISTCleanTest, s.tst, false)}
}

func (s *SeqMNIST[T]) set(name string, sp split, noisy bool) Set[T] {
	sizes := chunks(sp.len, s.cfg.EvalBatchSize)
	fill := func(i int, dst *rnn.Batch[T]) *rnn.Batch[T] {
		start := i * s.cfg.EvalBatchSize
		items := make([]int, sizes[i])
		for j := range items {
			items[j] = start + j
		}
		return s.batchInto(sp, items, noisy, dst)
	}
	ls := newListSet(name, sizes, func(i int) *rnn.Batch[T] { return fill(i, nil) })
	ls.fill = fill
	return ls
}

// batch builds the batch of the given split-relative items. Clean pixels
// are T(v/255); noisy ones (noisy is true only for the test split) come
// from the noisy test images, computed once (noisyImages).
func (s *SeqMNIST[T]) batch(sp split, items []int, noisy bool) *rnn.Batch[T] {
	return s.batchInto(sp, items, noisy, nil)
}

// batchInto is batch built into dst's slices when they are large enough
// (every element is written), or into new ones; dst may be nil.
func (s *SeqMNIST[T]) batchInto(sp split, items []int, noisy bool, dst *rnn.Batch[T]) *rnn.Batch[T] {
	sh := s.Shape()
	bs, in := len(items), sh.In
	b := dst
	if b == nil {
		b = &rnn.Batch[T]{}
	}
	nx, nl := sh.Steps*bs*in, sh.Steps*bs
	if cap(b.X) < nx {
		b.X = make([]T, nx)
	}
	if cap(b.Labels) < nl {
		b.Labels = make([]int32, nl)
	}
	*b = rnn.Batch[T]{Size: bs, Steps: sh.Steps, In: in, Out: sh.Out, X: b.X[:nx], Labels: b.Labels[:nl]}
	np := s.rows * s.cols
	var cache []T
	if noisy {
		cache = s.noisyImages()
	}
	// Step by step, so that the batch is written in order.
	for t := 0; t < sh.Steps; t++ {
		xt, lt := b.X[t*bs*in:(t+1)*bs*in], b.Labels[t*bs:(t+1)*bs]
		for j, it := range items {
			g := sp.off + it // index in the file
			row := xt[j*in : (j+1)*in]
			if noisy {
				copy(row, cache[it*np+t*in:it*np+(t+1)*in])
			} else {
				for k, v := range sp.ds.Images.Image(g)[t*in : (t+1)*in] {
					row[k] = s.lut[v]
				}
			}
			lt[j] = int32(sp.ds.Labels.Values[g])
		}
	}
	return b
}

// noisyImages returns the images of the test split with their test noise,
// as inputs in T, computing them on the first call.
func (s *SeqMNIST[T]) noisyImages() []T {
	s.noisyOnce.Do(func() {
		sp := s.tst
		np := s.rows * s.cols
		s.noisy = make([]T, sp.len*np)
		pix := make([]float64, np)
		for it := 0; it < sp.len; it++ {
			g := sp.off + it
			for p, v := range sp.ds.Images.Image(g) {
				pix[p] = float64(v) / 255
			}
			s.addNoise(pix, g)
			dst := s.noisy[it*np : (it+1)*np]
			for p, v := range pix {
				dst[p] = T(v)
			}
		}
	})
	return s.noisy
}

// addNoise adds the test noise of file image g to pix (values in [0,1])
// and clips to [0, 1].
func (s *SeqMNIST[T]) addNoise(pix []float64, g int) {
	r := rand.New(rand.NewPCG(s.cfg.NoiseSeed, uint64(g)))
	for p := range pix {
		pix[p] = min(1, max(0, pix[p]+s.cfg.TestNoiseStd*r.NormFloat64()))
	}
}
