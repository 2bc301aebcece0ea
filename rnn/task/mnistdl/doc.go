// Package mnistdl downloads the four standard MNIST files
// (train-images-idx3-ubyte.gz and friends) from a list of mirrors.
//
// Each file is streamed into a temporary file in the destination directory
// while its SHA-256 is computed; only a copy of the expected size and hash
// is synced and atomically renamed into place, so a failed, truncated or
// corrupted transfer never replaces or creates the destination file. Files
// already present with the right hash are left alone. Mirrors are tried in
// order until one gives a valid copy.
package mnistdl
