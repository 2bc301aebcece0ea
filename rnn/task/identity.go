package task

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Data set names recognised by IdentifyMNIST.
const (
	MNIST        = "MNIST"
	FashionMNIST = "Fashion-MNIST"
)

// knownFiles maps the SHA-256 of a file's IDX content (decompressed when
// the file is gzip-compressed, so that .gz and raw copies agree) to the
// data set and standard file name. MNIST's were computed from the
// published files (whose .gz sums mnistdl checks), Fashion-MNIST's from
// Debian's dataset-fashion-mnist 0.0~git20200523.55506a9-1.
var knownFiles = map[string]struct{ set, name string }{
	"ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db": {MNIST, TrainImagesName},
	"65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5": {MNIST, TrainLabelsName},
	"0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7": {MNIST, TestImagesName},
	"ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2": {MNIST, TestLabelsName},
	"c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888": {FashionMNIST, TrainImagesName},
	"bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9": {FashionMNIST, TrainLabelsName},
	"5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b": {FashionMNIST, TestImagesName},
	"0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34": {FashionMNIST, TestLabelsName},
}

// FileHash is one data file and the SHA-256 of its IDX content.
type FileHash struct {
	// Name is the standard name (without ".gz").
	Name string `json:"name"`
	// Path is the file read.
	Path string `json:"path"`
	// SHA256 is the lower-case hex SHA-256 of the decompressed content.
	SHA256 string `json:"sha256"`
}

// DataIdentity says which MNIST-format data a directory holds.
type DataIdentity struct {
	// Dir is the directory, as an absolute path.
	Dir string `json:"dir"`
	// Dataset is MNIST or FashionMNIST when every file present is one of
	// that data set's, else "" (unrecognised data).
	Dataset string `json:"dataset"`
	// Files are the files present, in the order train images, train
	// labels, test images, test labels.
	Files []FileHash `json:"files"`
	// Rows and Cols are the image size.
	Rows int `json:"rows"`
	Cols int `json:"cols"`
}

// Name returns the data set's name, or "unrecognised MNIST-format data".
func (d DataIdentity) Name() string {
	if d.Dataset == "" {
		return "unrecognised MNIST-format data"
	}
	return d.Dataset
}

// Digest returns the hex SHA-256 over the names and hashes of the files:
// the identity of the data, independent of where it is stored.
func (d DataIdentity) Digest() string {
	h := sha256.New()
	for _, f := range d.Files {
		fmt.Fprintf(h, "%s %s\n", f.Name, f.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// String is a one-line description: "MNIST in DIR (sha256 0123456789ab, 28×28)".
func (d DataIdentity) String() string {
	return fmt.Sprintf("%s in %s (sha256 %s, %d×%d images)", d.Name(), d.Dir, d.Digest()[:12], d.Rows, d.Cols)
}

// hashCacheEntry is a file's hash, valid while the file has this size and
// modification time.
type hashCacheEntry struct {
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	SHA256  string `json:"sha256"`
	// Rows and Cols of an image file (0 for labels).
	Rows int `json:"rows,omitempty"`
	Cols int `json:"cols,omitempty"`
}

// DefaultHashCache returns the file that caches data hashes: hessrnn/
// data-sha256.json in the user's cache directory ($XDG_CACHE_HOME or
// ~/.cache on Linux), or "" when there is none.
func DefaultHashCache() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "hessrnn", "data-sha256.json")
}

// IdentifyMNIST hashes the MNIST-format files of dir (see FindMNISTFiles)
// and recognises the data set. Hashes are cached in cacheFile (none when
// "") by absolute path, size and modification time, so that the ~55 MB of
// MNIST are read once, not on every command; a cache that cannot be read
// or written is ignored.
func IdentifyMNIST(dir, cacheFile string) (DataIdentity, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return DataIdentity{}, err
	}
	f, err := FindMNISTFiles(abs)
	if err != nil {
		return DataIdentity{}, fmt.Errorf("task: %w", err)
	}
	cache := readHashCache(cacheFile)
	changed := false
	id := DataIdentity{Dir: abs}
	sets := map[string]bool{}
	for _, x := range []struct{ name, path string }{
		{TrainImagesName, f.TrainImages}, {TrainLabelsName, f.TrainLabels}, {TestImagesName, f.TestImages}, {TestLabelsName, f.TestLabels},
	} {
		if x.path == "" {
			continue
		}
		st, err := os.Stat(x.path)
		if err != nil {
			return DataIdentity{}, err
		}
		e, ok := cache[x.path]
		if !ok || e.Size != st.Size() || e.ModTime != st.ModTime().UnixNano() {
			e, err = hashIDX(x.path)
			if err != nil {
				return DataIdentity{}, err
			}
			e.Size, e.ModTime = st.Size(), st.ModTime().UnixNano()
			cache[x.path] = e
			changed = true
		}
		id.Files = append(id.Files, FileHash{Name: x.name, Path: x.path, SHA256: e.SHA256})
		if k, ok := knownFiles[e.SHA256]; ok && k.name == x.name {
			sets[k.set] = true
		} else {
			sets[""] = true
		}
		if e.Rows > 0 && id.Rows == 0 {
			id.Rows, id.Cols = e.Rows, e.Cols
		}
	}
	if len(sets) == 1 {
		for s := range sets {
			id.Dataset = s
		}
	}
	if changed {
		writeHashCache(cacheFile, cache)
	}
	return id, nil
}

// hashIDX returns the SHA-256 of the IDX content of path (decompressed
// when it starts with the gzip magic bytes) and, for an image file, the
// image size from its header.
func hashIDX(path string) (hashCacheEntry, error) {
	file, err := os.Open(path)
	if err != nil {
		return hashCacheEntry{}, err
	}
	defer file.Close()
	br := bufio.NewReaderSize(file, 1<<16)
	var r io.Reader = br
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return hashCacheEntry{}, fmt.Errorf("%s: %v", path, err)
		}
		defer zr.Close()
		r = zr
	}
	var head [16]byte
	n, _ := io.ReadFull(r, head[:])
	h := sha256.New()
	h.Write(head[:n])
	if _, err := io.Copy(h, r); err != nil {
		return hashCacheEntry{}, fmt.Errorf("%s: %v", path, err)
	}
	e := hashCacheEntry{SHA256: hex.EncodeToString(h.Sum(nil))}
	// An image file: magic 0x00000803, then N, rows, cols.
	if n == 16 && head[0] == 0 && head[1] == 0 && head[2] == 8 && head[3] == 3 {
		e.Rows = int(binary.BigEndian.Uint32(head[8:12]))
		e.Cols = int(binary.BigEndian.Uint32(head[12:16]))
	}
	return e, nil
}

func readHashCache(path string) map[string]hashCacheEntry {
	m := map[string]hashCacheEntry{}
	if path == "" {
		return m
	}
	if b, err := os.ReadFile(path); err == nil {
		if json.Unmarshal(b, &m) != nil {
			m = map[string]hashCacheEntry{}
		}
	}
	return m
}

// writeHashCache replaces the cache file atomically (best effort).
func writeHashCache(path string, m map[string]hashCacheEntry) {
	if path == "" {
		return
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil || os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}

// wantDataset maps the setting seqmnist.dataset to the data set required.
func wantDataset(setting string) string {
	switch strings.ToLower(setting) {
	case "", "mnist":
		return MNIST
	case "fashion", "fashion-mnist":
		return FashionMNIST
	}
	return ""
}

// CheckDataset checks that id is the data set the setting seqmnist.dataset
// asks for: "" or "mnist" needs MNIST, "fashion" Fashion-MNIST, and "other"
// accepts any MNIST-format data. The error for data that is not MNIST
// lists the ways to get MNIST.
func CheckDataset(id DataIdentity, setting string) error {
	if setting == "other" {
		return nil
	}
	want := wantDataset(setting)
	if want == "" {
		return fmt.Errorf("seqmnist.dataset = %q: allowed values: mnist, fashion, other", setting)
	}
	if id.Dataset == want {
		return nil
	}
	if want == MNIST {
		return fmt.Errorf("the data in %s is %s, not MNIST; get MNIST by (1) hessrnn data download --dir DIR, then --data DIR, (2) --data DIR (or --set seqmnist.data=DIR) naming a copy of MNIST's four IDX files, or (3) HESSRNN_DATA=DIR; or train on this data explicitly with --set seqmnist.dataset=%s",
			id.Dir, id.Name(), map[string]string{FashionMNIST: "fashion", "": "other"}[id.Dataset])
	}
	return fmt.Errorf("the data in %s is %s, not Fashion-MNIST (seqmnist.dataset = %q); install the Debian package %s (%s) or give its directory with --data DIR",
		id.Dir, id.Name(), setting, DebianPackage, DefaultDataDir)
}
