package mnistdl

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File is one file to fetch and the size and SHA-256 it must have.
type File struct {
	// Name is the file name, appended to each mirror's base URL and used
	// in the destination directory.
	Name string
	// Size is the exact length in bytes.
	Size int64
	// SHA256 is the lower-case hex SHA-256 of the content.
	SHA256 string
}

// StandardFiles returns the four gzip-compressed MNIST files. The sizes
// and SHA-256 sums are those published with the data set's widely used
// loaders (TensorFlow Datasets' url_checksums, Keras); the two t10k sums
// were also checked against the files in ../shared/data/mnist.
func StandardFiles() []File {
	return []File{
		{"train-images-idx3-ubyte.gz", 9912422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
		{"train-labels-idx1-ubyte.gz", 28881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
		{"t10k-images-idx3-ubyte.gz", 1648877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
		{"t10k-labels-idx1-ubyte.gz", 4542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
	}
}

// DefaultMirrors returns the base URLs tried by default, in order: the
// mirror used by torchvision, the one used by TensorFlow, and the original
// site.
func DefaultMirrors() []string {
	return []string{
		"https://ossci-datasets.s3.amazonaws.com/mnist/",
		"https://storage.googleapis.com/cvdf-datasets/mnist/",
		"http://yann.lecun.com/exdb/mnist/",
	}
}

// Options configure Download. The zero value means the defaults.
type Options struct {
	// Mirrors are base URLs (http or https) tried in order. Default
	// DefaultMirrors().
	Mirrors []string
	// Files are the files to fetch. Default StandardFiles().
	Files []File
	// Client is the HTTP client. Default: a client with a 10-minute
	// timeout per request.
	Client *http.Client
}

// Validate checks the options, naming the first bad field.
func (o Options) Validate() error {
	for i, m := range o.Mirrors {
		u, err := url.Parse(m)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("mnistdl: Options.Mirrors[%d] = %q, want an http:// or https:// base URL", i, m)
		}
	}
	for i, f := range o.Files {
		switch {
		case f.Name == "" || f.Name == "." || f.Name == ".." || strings.ContainsAny(f.Name, `/\`):
			return fmt.Errorf("mnistdl: Options.Files[%d].Name = %q, want a plain file name", i, f.Name)
		case f.Size < 1:
			return fmt.Errorf("mnistdl: Options.Files[%d].Size = %d, allowed range [1, ∞)", i, f.Size)
		}
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != sha256.Size || strings.ToLower(f.SHA256) != f.SHA256 {
			return fmt.Errorf("mnistdl: Options.Files[%d].SHA256 = %q, want 64 lower-case hex digits", i, f.SHA256)
		}
	}
	return nil
}

// Result says where one file came from.
type Result struct {
	File File
	// Path is the destination path.
	Path string
	// Source is the URL the file was downloaded from, or "" when a valid
	// copy was already in place.
	Source string
}

// Attempt is one failed try of one mirror.
type Attempt struct {
	URL string
	Err error
}

// FileError reports a file that no mirror delivered intact.
type FileError struct {
	File     File
	Attempts []Attempt
}

// Error lists every mirror tried and what was wrong with it.
func (e *FileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mnistdl: %s: no mirror gave a valid copy", e.File.Name)
	for _, a := range e.Attempts {
		fmt.Fprintf(&b, "; %s: %v", a.URL, a.Err)
	}
	return b.String()
}

// Download fetches every file of opt into dir (which must exist), trying
// the mirrors in order, and returns where each came from. It stops at the
// first file that no mirror delivers intact, returning a *FileError.
func Download(ctx context.Context, dir string, opt Options) ([]Result, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if len(opt.Mirrors) == 0 {
		opt.Mirrors = DefaultMirrors()
	}
	if len(opt.Files) == 0 {
		opt.Files = StandardFiles()
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Minute}
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("mnistdl: destination: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("mnistdl: destination %s is not a directory", dir)
	}
	var out []Result
	for _, f := range opt.Files {
		dst := filepath.Join(dir, f.Name)
		if Verify(dst, f) == nil {
			out = append(out, Result{File: f, Path: dst})
			continue
		}
		fe := &FileError{File: f}
		for _, m := range opt.Mirrors {
			u := strings.TrimSuffix(m, "/") + "/" + f.Name
			err := fetch(ctx, opt.Client, u, dst, f)
			if err == nil {
				out = append(out, Result{File: f, Path: dst, Source: u})
				fe = nil
				break
			}
			fe.Attempts = append(fe.Attempts, Attempt{URL: u, Err: err})
			if ctx.Err() != nil {
				return out, fe
			}
		}
		if fe != nil {
			return out, fe
		}
	}
	return out, nil
}

// Verify checks that the file at path has f's size and SHA-256.
func Verify(path string, f File) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if n != f.Size {
		return fmt.Errorf("%s: size %d, want %d", path, n, f.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("%s: SHA-256 %s, want %s", path, got, f.SHA256)
	}
	return nil
}

// fetch downloads u into a temporary file beside dst, checks its size and
// hash, and renames it to dst. On any failure dst is untouched and the
// temporary file is removed.
func fetch(ctx context.Context, c *http.Client, u, dst string, f File) (err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP status %s", resp.Status)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != f.Size {
		return fmt.Errorf("server announces %d bytes, want %d", resp.ContentLength, f.Size)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+f.Name+".*.part")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, f.Size+1))
	switch {
	case err != nil:
		return fmt.Errorf("truncated: transfer failed after %d of %d bytes: %w", n, f.Size, err)
	case n < f.Size:
		return fmt.Errorf("truncated: got %d of %d bytes", n, f.Size)
	case n > f.Size:
		return errors.New("too long: more than the expected " + fmt.Sprint(f.Size) + " bytes")
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("corrupt: SHA-256 %s, want %s", got, f.SHA256)
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	// Make the rename durable; a failure here does not undo the download.
	if d, derr := os.Open(filepath.Dir(dst)); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
