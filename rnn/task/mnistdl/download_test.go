package mnistdl

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// mode says how a test mirror serves a file.
type mode int

const (
	good         mode = iota
	truncated         // half the bytes, Content-Length of the full file (connection cut)
	short             // half the bytes with a matching Content-Length
	corrupted         // right length, one byte flipped
	missing           // 404
	chunkedShort      // half the bytes, no Content-Length
)

// mirror is a local HTTP server on 127.0.0.1 serving content in one mode.
type mirror struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func newMirror(t *testing.T, content map[string][]byte, m mode) *mirror {
	t.Helper()
	mr := &mirror{}
	mr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr.hits.Add(1)
		data, ok := content[strings.TrimPrefix(r.URL.Path, "/mnist/")]
		if !ok || m == missing {
			http.NotFound(w, r)
			return
		}
		switch m {
		case good:
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data)
		case truncated:
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data[:len(data)/2])
		case short:
			w.Header().Set("Content-Length", strconv.Itoa(len(data)/2))
			w.Write(data[:len(data)/2])
		case chunkedShort:
			w.Write(data[:len(data)/4])
			w.(http.Flusher).Flush()
			w.Write(data[len(data)/4 : len(data)/2])
		case corrupted:
			bad := bytes.Clone(data)
			bad[len(bad)/3] ^= 0x55
			w.Header().Set("Content-Length", strconv.Itoa(len(bad)))
			w.Write(bad)
		}
	}))
	if !strings.HasPrefix(mr.srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server at %s, want 127.0.0.1", mr.srv.URL)
	}
	t.Cleanup(mr.srv.Close)
	return mr
}

func (m *mirror) base() string { return m.srv.URL + "/mnist/" }

// testFiles makes two files of pseudo-random content with their sums.
func testFiles() (map[string][]byte, []File) {
	content := map[string][]byte{}
	var files []File
	for i, name := range []string{"a-images.gz", "b-labels.gz"} {
		data := make([]byte, 5000+1000*i)
		for j := range data {
			data[j] = byte(j*31 + j>>7 + i)
		}
		sum := sha256.Sum256(data)
		content[name] = data
		files = append(files, File{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
	}
	return content, files
}

// noLeftovers fails if dir holds temporary files.
func noLeftovers(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".part") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestDownloadFallsBackToGoodMirror(t *testing.T) {
	content, files := testFiles()
	mirrors := []*mirror{
		newMirror(t, content, missing),
		newMirror(t, content, truncated),
		newMirror(t, content, short),
		newMirror(t, content, chunkedShort),
		newMirror(t, content, corrupted),
		newMirror(t, content, good),
	}
	var bases []string
	for _, m := range mirrors {
		bases = append(bases, m.base())
	}
	dir := t.TempDir()
	res, err := Download(context.Background(), dir, Options{Mirrors: bases, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results", len(res))
	}
	for i, r := range res {
		if r.Source != mirrors[5].base()+files[i].Name {
			t.Errorf("%s came from %q", files[i].Name, r.Source)
		}
		got, err := os.ReadFile(filepath.Join(dir, files[i].Name))
		if err != nil || !bytes.Equal(got, content[files[i].Name]) {
			t.Errorf("%s: content differs (%v)", files[i].Name, err)
		}
	}
	noLeftovers(t, dir)

	// A second run finds valid copies and asks no mirror.
	before := mirrors[5].hits.Load()
	res, err = Download(context.Background(), dir, Options{Mirrors: bases, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Source != "" || mirrors[5].hits.Load() != before {
		t.Errorf("re-downloaded a valid file: %+v", res)
	}
}

func TestDownloadAllMirrorsBad(t *testing.T) {
	content, files := testFiles()
	mirrors := []*mirror{
		newMirror(t, content, missing),
		newMirror(t, content, truncated),
		newMirror(t, content, short),
		newMirror(t, content, corrupted),
	}
	var bases []string
	for _, m := range mirrors {
		bases = append(bases, m.base())
	}
	dir := t.TempDir()
	// A stale, wrong file in place must survive the failed download.
	stale := filepath.Join(dir, files[0].Name)
	if err := os.WriteFile(stale, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Download(context.Background(), dir, Options{Mirrors: bases, Files: files})
	if err == nil {
		t.Fatalf("no error, results %+v", res)
	}
	var fe *FileError
	if !errors.As(err, &fe) || fe.File.Name != files[0].Name || len(fe.Attempts) != 4 {
		t.Fatalf("error %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		files[0].Name,
		bases[0] + files[0].Name + ": HTTP status 404",
		bases[1] + files[0].Name + ": truncated",
		bases[2] + files[0].Name + ": server announces 2500 bytes, want 5000",
		bases[3] + files[0].Name + ": corrupt: SHA-256",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if got, _ := os.ReadFile(stale); string(got) != "stale" {
		t.Errorf("destination overwritten by a bad download: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, files[1].Name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("second file created after the first failed: %v", err)
	}
	noLeftovers(t, dir)
}

func TestDownloadChunkedShort(t *testing.T) {
	content, files := testFiles()
	m := newMirror(t, content, chunkedShort)
	dir := t.TempDir()
	_, err := Download(context.Background(), dir, Options{Mirrors: []string{m.base()}, Files: files[:1]})
	if err == nil || !strings.Contains(err.Error(), "truncated: got 2500 of 5000 bytes") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, files[0].Name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial file in place: %v", err)
	}
	noLeftovers(t, dir)
}

func TestDownloadCancelled(t *testing.T) {
	content, files := testFiles()
	m := newMirror(t, content, good)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	if _, err := Download(ctx, dir, Options{Mirrors: []string{m.base(), m.base()}, Files: files}); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("err = %v", err)
	}
	noLeftovers(t, dir)
}

func TestOptionsValidate(t *testing.T) {
	_, files := testFiles()
	ok := files[0]
	for _, tc := range []struct {
		opt  Options
		want string
	}{
		{Options{Mirrors: []string{"ftp://x/"}}, "Mirrors[0]"},
		{Options{Mirrors: []string{"https://ok/", "no-scheme"}}, "Mirrors[1]"},
		{Options{Files: []File{ok, {Name: "../x", Size: 1, SHA256: ok.SHA256}}}, "Files[1].Name"},
		{Options{Files: []File{{Name: "x", Size: 0, SHA256: ok.SHA256}}}, "Files[0].Size"},
		{Options{Files: []File{{Name: "x", Size: 1, SHA256: "abc"}}}, "Files[0].SHA256"},
		{Options{Files: []File{{Name: "x", Size: 1, SHA256: strings.ToUpper(ok.SHA256)}}}, "Files[0].SHA256"},
	} {
		if _, err := Download(context.Background(), t.TempDir(), tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want mention of %s", err, tc.want)
		}
	}
	if err := (Options{Mirrors: DefaultMirrors(), Files: StandardFiles()}).Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
	if _, err := Download(context.Background(), filepath.Join(t.TempDir(), "nope"), Options{Files: files}); err == nil {
		t.Error("no error for a missing destination")
	}
}

// TestStandardSums checks the t10k entries against the real files in
// ../shared/data/mnist.
func TestStandardSums(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "..", "shared", "data", "mnist")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real MNIST t10k not found at %s (../shared/data/mnist beside the repository): %v", dir, err)
	}
	n := 0
	for _, f := range StandardFiles() {
		p := filepath.Join(dir, f.Name)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		n++
		if err := Verify(p, f); err != nil {
			t.Error(err)
		}
	}
	if n < 2 {
		t.Errorf("checked %d files, want the two t10k files", n)
	}
}
