package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hessrnn/hessrnn/cmd/internal/experiment"
	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

const reportHelp = `Usage: hessrnn report DIR [DIR...] [flags]

Reads every result file under DIR (recursively, so the output directories of
many shards can be merged by pointing at their parent, or by naming them all
with --out) and writes:
  results.csv    one row per run and checkpoint (pandas, R)
  figures/       PNG and SVG: λ_max along training, gap histograms, gap vs λ_max, ...
  report.html    self-contained: tables with mean ± std, tests between rules, figures

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
	t := *title
	if t == "" {
		exps := map[string]bool{}
		var names []string
		for _, r := range set.Runs {
			if !exps[r.Experiment] {
				exps[r.Experiment] = true
				names = append(names, r.Experiment)
			}
		}
		t = "hessrnn report"
		if len(names) == 1 {
			if s, err := experiment.Lookup(names[0]); err == nil {
				t = s.Title
			}
		}
	}
	an, err := experiment.WriteReport(*out, set.Runs, t, shellJoin(a.args))
	if err != nil {
		return err
	}
	fmt.Fprint(a.stdout, an.Summary)
	fmt.Fprintf(a.stdout, "%d runs; report: %s\n", len(set.Runs), filepath.Join(*out, "report.html"))
	return nil
}
