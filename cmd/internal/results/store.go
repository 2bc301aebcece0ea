package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FileName returns the file name of the result of the run with this ID.
func FileName(id string) string { return id + ".json" }

// WriteFileAtomic writes data to path so that readers see either the old
// file or the complete new one: it writes a temporary file in the same
// directory, syncs it, renames it over path and syncs the directory.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: some file systems refuse to sync a directory
		d.Close()
	}
	return nil
}

// Write stores r in dir as FileName(r.ID), atomically, creating dir.
func Write(dir string, r *Result) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, err := r.Marshal()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, FileName(r.ID))
	return p, WriteFileAtomic(p, b)
}

// Read decodes one result file. Unknown fields are an error, so that a file
// that is not a hessrnn result is not mistaken for one.
func Read(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Result
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: not a hessrnn result: %v", path, err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("%s: result schema %d, this version reads %d", path, r.Schema, Schema)
	}
	if r.ID == "" {
		return nil, fmt.Errorf("%s: result has no id", path)
	}
	return &r, nil
}

// Done reports whether dir holds a final (finished or diverged) result for
// the run with this ID. A corrupt or failed result is not done.
func Done(dir, id string) bool {
	r, err := Read(filepath.Join(dir, FileName(id)))
	return err == nil && r.ID == id && r.Status.Final()
}

// Set is the results loaded from a directory tree.
type Set struct {
	// Runs are sorted by ID; one per ID.
	Runs []*Result
	// Skipped lists JSON files that were not results, with the reason.
	Skipped []string
}

// LoadDir reads every *.json result under root (recursively, so the
// output directories of many shards can be merged by pointing at their
// parent). When the same run appears more than once, a final result wins
// over a failed one; otherwise the first in lexical path order is kept.
func LoadDir(root string) (*Set, error) { return LoadDirs(root) }

// LoadDirs is LoadDir over several roots, merged as one tree: the roots are
// read in the order given.
func LoadDirs(roots ...string) (*Set, error) {
	byID := map[string]*Result{}
	set := &Set{}
	for _, root := range roots {
		if err := loadInto(root, byID, set); err != nil {
			return nil, err
		}
	}
	for _, r := range byID {
		set.Runs = append(set.Runs, r)
	}
	sort.Slice(set.Runs, func(i, j int) bool { return set.Runs[i].ID < set.Runs[j].ID })
	return set, nil
}

func loadInto(root string, byID map[string]*Result, set *Set) error {
	st, err := os.Stat(root)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: not a directory", root)
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".json") || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		r, err := Read(p)
		if err != nil {
			set.Skipped = append(set.Skipped, err.Error())
			return nil
		}
		if prev, ok := byID[r.ID]; ok && (prev.Status.Final() || !r.Status.Final()) {
			return nil
		}
		byID[r.ID] = r
		return nil
	})
}

// ErrNoResults is returned by callers when a directory holds no results.
var ErrNoResults = errors.New("results: no result files found")

// probeSize is the size of the file PrepareDir writes: a few kilobytes,
// about the size of the smallest result file, so that a file system too
// full to take one result fails the probe.
const probeSize = 8 << 10

// PrepareDir creates dir (and its parents) and proves that results can be
// stored in it: it writes, syncs and removes a probe file of probeSize
// bytes. Callers check the output directory with it before any run starts,
// so that a file in the way, a read-only directory or a full file system is
// reported before the compute is spent. The error names dir.
func PrepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path != dir {
			return fmt.Errorf("output directory %s: cannot create it: %s: %v", dir, pe.Path, pe.Err)
		}
		return fmt.Errorf("output directory %s: cannot create it: %v", dir, unwrapPath(err))
	}
	f, err := os.CreateTemp(dir, ".hessrnn-probe-*")
	if err != nil {
		return fmt.Errorf("output directory %s: not writable: %v", dir, unwrapPath(err))
	}
	name := f.Name()
	_, err = f.Write(make([]byte, probeSize))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	rerr := os.Remove(name)
	if err != nil {
		return fmt.Errorf("output directory %s: cannot store results: %v", dir, unwrapPath(err))
	}
	if rerr != nil {
		return fmt.Errorf("output directory %s: cannot remove files in it: %v", dir, unwrapPath(rerr))
	}
	return nil
}

// unwrapPath drops the path of a *fs.PathError (the caller names the
// directory already).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
