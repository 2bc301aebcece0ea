// Package config holds the configuration of one training run of hessrnn and
// of a sweep over many runs: the paper's defaults (METHOD.md §5 and §6), strict
// TOML loading, dotted-path overrides from flags, validation with errors that
// name the file, the field and the allowed range, and a canonical encoding
// whose hash is the run's stable ID.
//
// A Run is complete: Default returns every field filled in, TOML files and
// overrides change fields on top of it, and Resolve fills the fields whose
// default depends on the task (network size, iterations, batch size and
// checkpoint interval). The run ID is the SHA-256 of the canonical JSON of
// the resolved run, so two runs with the same ID compute the same result.
package config
