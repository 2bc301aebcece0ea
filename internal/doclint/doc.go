// Package doclint holds no code: its tests keep the repository's
// documentation rules (STYLE.md item 10) from going stale. Every package
// directory has a doc.go that carries the package comment, and every
// exported identifier (function, method of an exported type, type, constant
// and variable) in a non-test, non-generated Go file has a doc comment. The
// tests walk the whole tree, the asm and bench modules included.
package doclint
