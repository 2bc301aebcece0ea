// Package idx reads the IDX files of MNIST and Fashion-MNIST
// (train-images-idx3-ubyte and friends), raw or gzip-compressed.
//
// Compression is detected from the content (the gzip magic bytes 1f 8b),
// never from the file name. Files are streamed; the header is checked
// against the real size of the file before anything is allocated, so memory
// stays bounded by what the file can actually hold: for a raw file the
// header must describe exactly the bytes present, and for a gzip file it
// may claim at most [MaxDeflateRatio] times the compressed size. Only the
// unsigned-byte element type (0x08) is accepted, as used by every MNIST-style
// file.
//
// Every problem is reported as an [*Error] naming the file and the problem;
// nothing in this package panics on bad input.
package idx
