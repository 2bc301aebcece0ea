// Package results stores the outcome of hessrnn runs: one JSON file per run
// (named by the run ID, written atomically with a temporary file, fsync and
// rename), a loader for a directory tree of such files that merges the
// shards of a sweep, and a tidy CSV export with one row per run and
// checkpoint that pandas and R read directly.
//
// Numbers that may be NaN or infinite (a diverged loss, α for BPTT) use the
// Num type, which encodes them as JSON null or the strings "Inf"/"-Inf".
package results
