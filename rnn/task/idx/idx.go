package idx

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"strings"
)

// TypeUint8 is the IDX element-type code of unsigned bytes, the only type
// this package reads.
const TypeUint8 = 0x08

// MaxDims is the largest number of dimensions accepted in a header.
const MaxDims = 4

// MaxDeflateRatio bounds the decompressed size of a gzip file: DEFLATE
// cannot expand data by more than about 1032:1, so a header that claims more
// than MaxDeflateRatio times the compressed file size is rejected before
// allocation.
const MaxDeflateRatio = 1032

// Error is a problem with one IDX file.
type Error struct {
	// File is the name of the file (its path when read with ReadFile).
	File string
	// Problem describes what is wrong.
	Problem string
	// Err is the underlying error, if any (an I/O or gzip error).
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return "idx: " + e.File + ": " + e.Problem + ": " + e.Err.Error()
	}
	return "idx: " + e.File + ": " + e.Problem
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func errorf(file string, err error, format string, args ...any) *Error {
	return &Error{File: file, Problem: fmt.Sprintf(format, args...), Err: err}
}

// Array is the content of one IDX file of unsigned bytes.
type Array struct {
	// Dims are the dimensions from the header, outermost first.
	Dims []int
	// Data holds the product of Dims bytes in row-major order.
	Data []byte
}

// ReadFile reads the IDX file at path, raw or gzip-compressed.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errorf(path, err, "cannot open")
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, errorf(path, err, "cannot stat")
	}
	if !st.Mode().IsRegular() {
		return nil, errorf(path, nil, "not a regular file")
	}
	return Decode(path, f, st.Size())
}

// Decode reads one IDX array from r, whose total length is size bytes; name
// is used in error messages. It reads r to its end: bytes after the data
// are an error, and for gzip input the stream's checksum is verified.
func Decode(name string, r io.Reader, size int64) (*Array, error) {
	if size < 0 {
		return nil, errorf(name, nil, "negative file size %d", size)
	}
	if size == 0 {
		return nil, errorf(name, nil, "file is empty")
	}
	br := bufio.NewReader(r)
	var src io.Reader = br
	// maxData is the most data bytes the file can hold after the header.
	var maxData uint64
	compressed := false
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		compressed = true
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errorf(name, err, "bad gzip header")
		}
		defer zr.Close()
		src = zr
		if hi, lo := bits.Mul64(uint64(size), MaxDeflateRatio); hi == 0 {
			maxData = lo
		} else {
			maxData = math.MaxUint64
		}
	}

	var magic [4]byte
	if n, err := io.ReadFull(src, magic[:]); err != nil {
		return nil, readErr(name, compressed, err, "truncated magic number (%d of 4 bytes)", n)
	}
	if magic[0] != 0 || magic[1] != 0 {
		p := fmt.Sprintf("bad magic number 0x%08x: not an IDX file (must start with two zero bytes)", binary.BigEndian.Uint32(magic[:]))
		if !compressed && strings.HasSuffix(strings.ToLower(name), ".gz") {
			p += "; the name ends in .gz but the content is not gzip either"
		}
		return nil, errorf(name, nil, "%s", p)
	}
	if magic[2] != TypeUint8 {
		return nil, errorf(name, nil, "unsupported element type 0x%02x (only unsigned byte 0x08 is read)", magic[2])
	}
	nd := int(magic[3])
	if nd < 1 || nd > MaxDims {
		return nil, errorf(name, nil, "header has %d dimensions, allowed range [1, %d]", nd, MaxDims)
	}
	hdr := make([]byte, 4*nd)
	if n, err := io.ReadFull(src, hdr); err != nil {
		return nil, readErr(name, compressed, err, "truncated header (%d of %d dimension bytes)", n, len(hdr))
	}
	headerLen := uint64(4 + 4*nd)
	if !compressed {
		if uint64(size) < headerLen {
			return nil, errorf(name, nil, "file of %d bytes is shorter than its %d-byte header", size, headerLen)
		}
		maxData = uint64(size) - headerLen
	}
	dims := make([]int, nd)
	total := uint64(1)
	overflow := false
	for i := range dims {
		d := binary.BigEndian.Uint32(hdr[4*i:])
		dims[i] = int(d)
		hi, lo := bits.Mul64(total, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			overflow = true
		}
		total = lo
	}
	if overflow {
		return nil, errorf(name, nil, "dimensions %v overflow: their product does not fit in 64 bits", dims)
	}
	if total > maxData {
		if compressed {
			return nil, errorf(name, nil, "header dimensions %v claim %d data bytes, more than a gzip file of %d bytes can hold (at most %d)", dims, total, size, maxData)
		}
		return nil, errorf(name, nil, "truncated: header dimensions %v claim %d data bytes but the file holds %d after the header", dims, total, maxData)
	}
	if !compressed && total < maxData {
		return nil, errorf(name, nil, "%d trailing bytes after the %d data bytes of dimensions %v", maxData-total, total, dims)
	}

	// Read the data, letting the buffer grow with what actually arrives so
	// that a lying gzip header cannot force a large allocation.
	data, err := io.ReadAll(io.LimitReader(src, int64(total)))
	if err != nil {
		return nil, readErr(name, compressed, err, "reading data (got %d of %d bytes)", len(data), total)
	}
	if uint64(len(data)) < total {
		return nil, errorf(name, nil, "truncated: header dimensions %v claim %d data bytes but only %d are present", dims, total, len(data))
	}
	// The data must be followed by the end of the stream (this also makes
	// gzip verify its checksum and length).
	var one [1]byte
	n, err := io.ReadFull(src, one[:])
	if n > 0 {
		return nil, errorf(name, nil, "trailing bytes after the %d data bytes of dimensions %v", total, dims)
	}
	if err != io.EOF {
		return nil, readErr(name, compressed, err, "reading past the data")
	}
	return &Array{Dims: dims, Data: data}, nil
}

// readErr wraps a read error, calling a premature end "truncated".
func readErr(name string, compressed bool, err error, format string, args ...any) *Error {
	p := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if compressed {
			return errorf(name, err, "truncated or corrupt gzip stream: %s", p)
		}
		return errorf(name, nil, "truncated: %s", p)
	case compressed:
		return errorf(name, err, "corrupt gzip stream: %s", p)
	default:
		return errorf(name, err, "%s", p)
	}
}
