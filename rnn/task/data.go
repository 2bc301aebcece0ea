package task

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hessrnn/hessrnn/rnn/task/idx"
)

// DataEnv is the environment variable naming the data directory.
const DataEnv = "HESSRNN_DATA"

// DefaultDataDir is where Debian's dataset-fashion-mnist package installs
// Fashion-MNIST (same IDX format and file names as MNIST).
const DefaultDataDir = "/usr/share/datasets/fashion-mnist"

// DebianPackage is the Debian package that provides DefaultDataDir.
const DebianPackage = "dataset-fashion-mnist"

// ErrNoData is wrapped by the error of ResolveDataDir when no directory
// with MNIST-format files is found.
var ErrNoData = errors.New("task: no MNIST-format data found")

// Standard IDX file names, without the optional ".gz".
const (
	TrainImagesName = "train-images-idx3-ubyte"
	TrainLabelsName = "train-labels-idx1-ubyte"
	TestImagesName  = "t10k-images-idx3-ubyte"
	TestLabelsName  = "t10k-labels-idx1-ubyte"
)

// ResolveDataDir chooses the data directory: explicit if non-empty, else
// $HESSRNN_DATA if set, else DefaultDataDir. The directory chosen must hold
// at least one image/label pair under the standard names; an explicit or
// environment directory that does not is an error naming it, and no
// fallback is tried.
func ResolveDataDir(explicit string) (string, error) {
	return resolveDataDir(explicit, os.Getenv(DataEnv), DefaultDataDir)
}

func resolveDataDir(explicit, env, def string) (string, error) {
	var dir, from string
	switch {
	case explicit != "":
		dir, from = explicit, "the data directory given"
	case env != "":
		dir, from = env, "$"+DataEnv
	default:
		dir, from = def, "the default"
	}
	if _, err := FindMNISTFiles(dir); err != nil {
		return "", fmt.Errorf("%w in %s (%s): %v; get MNIST with \"hessrnn data download --dir DIR\" and give DIR (--data DIR) or set $%s=DIR; for Fashion-MNIST instead, install the Debian package %s, which provides %s, and set seqmnist.dataset = \"fashion\"",
			ErrNoData, dir, from, err, DataEnv, DebianPackage, DefaultDataDir)
	}
	return dir, nil
}

// MNISTFiles are the paths of the IDX files found in a data directory; a
// pair that is absent has empty paths.
type MNISTFiles struct {
	TrainImages, TrainLabels string
	TestImages, TestLabels   string
}

// FindMNISTFiles looks in dir for the standard file names, each either raw
// or with ".gz" (the raw one is preferred when both exist). It needs at
// least one complete pair (train or t10k); a half pair is an error.
func FindMNISTFiles(dir string) (MNISTFiles, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return MNISTFiles{}, err
	}
	if !st.IsDir() {
		return MNISTFiles{}, fmt.Errorf("%s is not a directory", dir)
	}
	find := func(base string) (string, error) {
		for _, name := range []string{base, base + ".gz"} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			} else if !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
		return "", nil
	}
	var f MNISTFiles
	for _, x := range []struct {
		dst  *string
		name string
	}{{&f.TrainImages, TrainImagesName}, {&f.TrainLabels, TrainLabelsName}, {&f.TestImages, TestImagesName}, {&f.TestLabels, TestLabelsName}} {
		if *x.dst, err = find(x.name); err != nil {
			return MNISTFiles{}, err
		}
	}
	switch {
	case (f.TrainImages == "") != (f.TrainLabels == ""):
		return MNISTFiles{}, fmt.Errorf("%s has only one of %s[.gz] and %s[.gz]", dir, TrainImagesName, TrainLabelsName)
	case (f.TestImages == "") != (f.TestLabels == ""):
		return MNISTFiles{}, fmt.Errorf("%s has only one of %s[.gz] and %s[.gz]", dir, TestImagesName, TestLabelsName)
	case f.TrainImages == "" && f.TestImages == "":
		return MNISTFiles{}, fmt.Errorf("no files named %s[.gz] or %s[.gz] (with their labels)", TrainImagesName, TestImagesName)
	}
	return f, nil
}

// MNISTClasses is the number of classes of MNIST and Fashion-MNIST.
const MNISTClasses = 10

// MNISTData is a loaded MNIST-format data set. Train is the training file
// and Test the test file; either may be nil when its pair is absent
// (sequential MNIST then carves its test set out of the one present).
type MNISTData struct {
	Train, Test *idx.Dataset
}

// LoadMNIST reads the MNIST-format files found in dir (see FindMNISTFiles).
func LoadMNIST(dir string) (*MNISTData, error) {
	f, err := FindMNISTFiles(dir)
	if err != nil {
		return nil, fmt.Errorf("task: %w", err)
	}
	var d MNISTData
	if f.TrainImages != "" {
		if d.Train, err = idx.LoadDataset(f.TrainImages, f.TrainLabels, MNISTClasses); err != nil {
			return nil, err
		}
	}
	if f.TestImages != "" {
		if d.Test, err = idx.LoadDataset(f.TestImages, f.TestLabels, MNISTClasses); err != nil {
			return nil, err
		}
	}
	if d.Train != nil && d.Test != nil {
		a, b := d.Train.Images, d.Test.Images
		if a.Rows != b.Rows || a.Cols != b.Cols {
			return nil, fmt.Errorf("task: image size %d×%d of %s differs from %d×%d of %s", a.Rows, a.Cols, d.Train.ImagesFile, b.Rows, b.Cols, d.Test.ImagesFile)
		}
	}
	return &d, nil
}
