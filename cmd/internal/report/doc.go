// Package report writes hessrnn's self-contained report.html: a title, the
// exact command that produced it, sections of text, tables and figures
// embedded as data URIs (no external files or network access needed to
// view it), and the list of runs.
package report
