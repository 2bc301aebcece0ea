package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// SweepSpec is the [sweep] table of a configuration file: a grid whose keys
// are dotted setting paths with lists of values (every combination is run),
// and zipped groups whose lists vary together (all lists of one group have
// the same length). The zipped groups multiply the grid.
//
//	[sweep.grid]
//	rule = ["bptt", "three-factor"]
//	seed = [1, 2, 3]
//	[[sweep.zip]]
//	"train.lr" = [0.01, 0.03]
//	"train.schedule" = ["constant", "step"]
type SweepSpec struct {
	Grid map[string][]any   `toml:"grid"`
	Zip  []map[string][]any `toml:"zip"`
}

// Empty reports whether the spec varies nothing.
func (s SweepSpec) Empty() bool { return len(s.Grid) == 0 && len(s.Zip) == 0 }

// File is a parsed configuration file: the base run (the file's top-level
// keys and tables applied on top of Default), an optional experiment name
// and an optional sweep.
type File struct {
	// Path is the file name, used in error messages.
	Path string
	// Experiment is the top-level "experiment" key (e.g. "fig3"), or "".
	Experiment string
	// Run is the base run.
	Run Run
	// Sweep is the [sweep] table.
	Sweep SweepSpec
}

type fileDoc struct {
	Experiment string    `toml:"experiment"`
	Sweep      SweepSpec `toml:"sweep"`
	Run
}

// Load reads and validates a configuration file.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, Default())
}

// Parse decodes TOML data on top of base. Unknown keys, values of the wrong
// type and values out of range are errors naming name, the key and the
// allowed values. All problems are reported, joined on one line.
func Parse(name string, data []byte, base Run) (*File, error) {
	doc := fileDoc{Run: base}
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "toml: "))
	}
	var errs []string
	for _, k := range md.Undecoded() {
		key := strings.Join(k, ".")
		errs = append(errs, fmt.Sprintf("%s: %v", name, &UnknownKeyError{Key: key, Allowed: allowedAt(key)}))
	}
	for _, e := range explicitZeros(md, doc.Run) {
		errs = append(errs, fmt.Sprintf("%s: %v", name, e))
	}
	f := &File{Path: name, Experiment: doc.Experiment, Run: doc.Run, Sweep: doc.Sweep}
	if err := f.Sweep.check(f.Run); err != nil {
		errs = append(errs, prefixAll(name, err)...)
	}
	if len(errs) == 0 {
		if err := f.Run.Validate(); err != nil {
			errs = append(errs, prefixAll(name, err)...)
		}
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "; "))
	}
	return f, nil
}

// prefixAll splits a joined error and prefixes each part with name.
func prefixAll(name string, err error) []string {
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, prefixAll(name, e)...)
		}
		return out
	}
	return []string{name + ": " + err.Error()}
}

// OneLine formats a possibly joined error on a single line.
func OneLine(err error) string {
	if err == nil {
		return ""
	}
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// check verifies that every sweep key names a setting, every list is
// non-empty, every value has the setting's type and zipped lists have equal
// lengths.
func (s SweepSpec) check(base Run) error {
	var errs []error
	checkList := func(where, key string, vals []any) {
		if len(vals) == 0 {
			errs = append(errs, fmt.Errorf("%s.%q: empty list", where, key))
			return
		}
		if FieldKind(key) == "" {
			errs = append(errs, fmt.Errorf("%s.%q: %v", where, key, &UnknownKeyError{Key: key, Allowed: allowedAt(key)}))
			return
		}
		for i, val := range vals {
			r := base
			if err := r.Set(key, val); err != nil {
				errs = append(errs, fmt.Errorf("%s.%q[%d]: %v", where, key, i, err))
				return
			}
		}
	}
	for _, k := range sortedKeys(s.Grid) {
		checkList("sweep.grid", k, s.Grid[k])
	}
	for g, group := range s.Zip {
		where := fmt.Sprintf("sweep.zip[%d]", g)
		if len(group) == 0 {
			errs = append(errs, fmt.Errorf("%s: empty group", where))
			continue
		}
		n := -1
		for _, k := range sortedKeys(group) {
			checkList(where, k, group[k])
			if _, dup := s.Grid[k]; dup {
				errs = append(errs, fmt.Errorf("%s.%q: also in sweep.grid; a key may vary in one place only", where, k))
			}
			if n >= 0 && len(group[k]) != n {
				errs = append(errs, fmt.Errorf("%s.%q: has %d values, the group's other lists have %d (zipped lists need equal lengths)", where, k, len(group[k]), n))
			}
			n = len(group[k])
		}
	}
	return errors.Join(errs...)
}
