// Package readme holds no code: its test keeps the Go code blocks of the
// repository's README.md equal to the runnable examples (the Example
// functions of the example_test.go files), so that the README's code
// compiles and its printed values are checked by go test.
package readme
