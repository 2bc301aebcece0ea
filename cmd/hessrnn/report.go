package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/hessrnn/hessrnn/cmd/internal/experiment"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

const reportHelp = `Usage: hessrnn report DIR [DIR...] [flags]

Reads every result file under DIR (recursively, so the output directories of
many shards can be merged by pointing at their parent, or by naming them all
with --out) and writes, for each experiment EXP the results record (a sweep
without an experiment is "sweep"), a report of that experiment's runs:
  EXP-results.csv   one row per run and checkpoint (pandas, R)
  EXP-figures/      PNG and SVG: λ_max along training, gap histograms, gap vs λ_max, ...
  EXP-report.html   self-contained: tables, tests between rules, figures
A run computed by one experiment and reused by a later one (same
configuration) records both, and is in both reports.

Flags:
%s
Examples:
  hessrnn report hessrnn-out/fig3-patterngen
  hessrnn report cluster-results --out merged
  hessrnn report site-a/res site-b/res --out merged
`

func cmdReport(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	out := fs.String("out", "", "output `dir`ectory (default: DIR)")
	title := fs.String("title", "", "report title (default: from the experiments found)")
	pos, help, err := parseCommand(a, fs, args, reportHelp)
	if help || err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("report: want a results DIR, got no arguments (see hessrnn report --help)")
	}
	for _, d := range pos {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return usagef("report: %s: not a results directory", d)
		}
	}
	dir := pos[0]
	if len(pos) > 1 && *out == "" {
		return usagef("report: several DIRs need --out for the merged report")
	}
	set, err := results.LoadDirs(pos...)
	if err != nil {
		return err
	}
	if len(set.Runs) == 0 {
		where := strings.Join(pos, ", ")
		if len(set.Skipped) > 0 {
			return usagef("report: %s holds no hessrnn result files (%d other JSON files, e.g. %s)", where, len(set.Skipped), set.Skipped[0])
		}
		return usagef("report: %s holds no hessrnn result files", where)
	}
	for _, s := range set.Skipped {
		fmt.Fprintf(a.stderr, "hessrnn: skipped %s\n", s)
	}
	if *out == "" {
		*out = dir
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	byExp := map[string][]*results.Result{}
	var names []string
	for _, r := range set.Runs {
		for _, name := range r.Experiments() {
			if name == "" {
				name = "sweep"
			}
			if _, ok := byExp[name]; !ok {
				names = append(names, name)
			}
			byExp[name] = append(byExp[name], r)
		}
	}
	for _, name := range names {
		if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			return fmt.Errorf("report: results name the experiment %q, which cannot name a file", name)
		}
		rep := experiment.Report{Name: name, Title: *title, Command: shellJoin(a.args)}
		if s, err := experiment.Lookup(name); err == nil {
			rep = s.Report(s.Title, rep.Command)
			if *title != "" {
				rep.Title = *title
			}
		} else if rep.Title == "" {
			rep.Title = "hessrnn report: " + name
		}
		runs := byExp[name]
		an, err := experiment.WriteReport(*out, runs, rep)
		if err != nil {
			return err
		}
		html, _, _ := experiment.ReportFiles(*out, name)
		fmt.Fprint(a.stdout, an.Summary)
		fmt.Fprintf(a.stdout, "%s: %d runs; report: %s\n", name, len(runs), html)
	}
	return nil
}
