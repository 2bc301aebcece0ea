package idx

import "fmt"

// Images is a stack of grey-scale images of one size.
type Images struct {
	// N is the number of images, each Rows×Cols.
	N, Rows, Cols int
	// Pixels holds N*Rows*Cols bytes, image by image, row-major.
	Pixels []byte
}

// Image returns the pixels of image i (Rows*Cols bytes, row-major).
func (m *Images) Image(i int) []byte {
	sz := m.Rows * m.Cols
	return m.Pixels[i*sz : (i+1)*sz]
}

// Labels is a vector of class labels.
type Labels struct {
	// Values holds one label per item.
	Values []byte
}

// ReadImages reads an IDX file of three dimensions (count, rows, columns).
func ReadImages(path string) (*Images, error) {
	a, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ImagesFrom(path, a)
}

// ImagesFrom checks that a has three dimensions, none of them zero except
// possibly the count, and returns it as Images; name is used in errors.
func ImagesFrom(name string, a *Array) (*Images, error) {
	if len(a.Dims) != 3 {
		return nil, errorf(name, nil, "image file has %d dimensions %v, want 3 (count, rows, columns)", len(a.Dims), a.Dims)
	}
	if a.Dims[1] == 0 || a.Dims[2] == 0 {
		return nil, errorf(name, nil, "image size %d×%d must be positive", a.Dims[1], a.Dims[2])
	}
	return &Images{N: a.Dims[0], Rows: a.Dims[1], Cols: a.Dims[2], Pixels: a.Data}, nil
}

// ReadLabels reads an IDX file of one dimension whose values must all lie
// in [0, classes).
func ReadLabels(path string, classes int) (*Labels, error) {
	a, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return LabelsFrom(path, a, classes)
}

// LabelsFrom checks that a has one dimension and labels in [0, classes)
// and returns it as Labels; name is used in errors.
func LabelsFrom(name string, a *Array, classes int) (*Labels, error) {
	if len(a.Dims) != 1 {
		return nil, errorf(name, nil, "label file has %d dimensions %v, want 1", len(a.Dims), a.Dims)
	}
	if classes < 1 || classes > 256 {
		return nil, errorf(name, nil, "number of classes %d, allowed range [1, 256]", classes)
	}
	for i, v := range a.Data {
		if int(v) >= classes {
			return nil, errorf(name, nil, "label %d at index %d is out of range [0, %d)", v, i, classes)
		}
	}
	return &Labels{Values: a.Data}, nil
}

// Dataset is a set of labelled images.
type Dataset struct {
	// ImagesFile and LabelsFile name where the data came from.
	ImagesFile, LabelsFile string
	Images                 *Images
	Labels                 *Labels
	// Classes is the number of classes; every label is below it.
	Classes int
}

// Len returns the number of labelled images.
func (d *Dataset) Len() int { return d.Images.N }

// LoadDataset reads an image file and its label file and checks that they
// hold the same number of items and that every label is in [0, classes).
func LoadDataset(imagesPath, labelsPath string, classes int) (*Dataset, error) {
	im, err := ReadImages(imagesPath)
	if err != nil {
		return nil, err
	}
	lb, err := ReadLabels(labelsPath, classes)
	if err != nil {
		return nil, err
	}
	return NewDataset(imagesPath, labelsPath, im, lb, classes)
}

// NewDataset pairs images with labels, checking that the counts match.
func NewDataset(imagesName, labelsName string, im *Images, lb *Labels, classes int) (*Dataset, error) {
	if im.N != len(lb.Values) {
		return nil, &Error{File: labelsName, Problem: fmt.Sprintf("has %d labels but image file %s has %d images", len(lb.Values), imagesName, im.N)}
	}
	return &Dataset{ImagesFile: imagesName, LabelsFile: labelsName, Images: im, Labels: lb, Classes: classes}, nil
}
