package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"

	"github.com/hessrnn/hessrnn/rnn/task"
	"github.com/hessrnn/hessrnn/rnn/task/mnistdl"
)

const dataHelp = `Usage: hessrnn data [where|check|download] [flags]

Sequential MNIST reads MNIST-format IDX files (raw or .gz) from, in order:
  --dir DIR, else $HESSRNN_DATA, else /usr/share/datasets/fashion-mnist
(the last is installed by Debian's dataset-fashion-mnist package). The other
two tasks need no data.

  where      print the data directory that would be used (default action)
  check      load the files and print their sizes
  download   fetch the standard MNIST files into --dir (SHA-256 verified,
             written atomically; files already present and valid are kept)

Flags:
%s
Examples:
  hessrnn data
  hessrnn data check --dir ~/mnist
  hessrnn data download --dir ~/mnist && export HESSRNN_DATA=~/mnist
  hessrnn data download --dir ~/mnist --mirror https://mirror.example.org/mnist/
`

func cmdData(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("data", flag.ContinueOnError)
	dir := fs.String("dir", "", "data `dir`ectory (default: $HESSRNN_DATA, then "+task.DefaultDataDir+")")
	var mirrors multiFlag
	fs.Var(&mirrors, "mirror", "download: base `URL` of a mirror, tried in order (repeatable; default: the standard MNIST mirrors)")
	pos, help, err := parseCommand(a, fs, args, dataHelp)
	if help || err != nil {
		return err
	}
	action := "where"
	if len(pos) > 1 {
		return usagef("data: one action expected (where, check or download), got %q", pos)
	}
	if len(pos) == 1 {
		action = pos[0]
	}
	switch action {
	case "where":
		d, err := task.ResolveDataDir(*dir)
		if err != nil {
			return usagef("%v (here: --dir DIR)", err)
		}
		fmt.Fprintln(a.stdout, d)
		return nil
	case "check":
		d, err := task.ResolveDataDir(*dir)
		if err != nil {
			return usagef("%v (here: --dir DIR)", err)
		}
		data, err := task.LoadMNIST(d)
		if err != nil {
			return usagef("%v", err)
		}
		fmt.Fprintf(a.stdout, "%s:\n", d)
		if data.Train != nil {
			fmt.Fprintf(a.stdout, "  train: %d images (%s)\n", data.Train.Len(), data.Train.ImagesFile)
		}
		if data.Test != nil {
			fmt.Fprintf(a.stdout, "  test:  %d images (%s)\n", data.Test.Len(), data.Test.ImagesFile)
		}
		return nil
	case "download":
		if *dir == "" {
			return usagef("data download: --dir is required (the directory to download into)")
		}
		for _, m := range mirrors {
			if u, err := url.Parse(m); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usagef("--mirror %q: want an http:// or https:// base URL", m)
			}
		}
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			return usagef("data download: --dir: %v", err)
		}
		res, err := mnistdl.Download(ctx, *dir, mnistdl.Options{Mirrors: mirrors})
		for _, r := range res {
			src := r.Source
			if src == "" {
				src = "already present, verified"
			}
			fmt.Fprintf(a.stdout, "%s  (%s)\n", r.Path, src)
		}
		if err != nil {
			if ctx.Err() != nil {
				return &interruptedError{"interrupted: download stopped; files already verified are kept, run the same command again to resume"}
			}
			return err
		}
		fmt.Fprintf(a.stdout, "done; use it with \"hessrnn run ... --data %s\" or HESSRNN_DATA=%s\n", *dir, *dir)
		return nil
	}
	return usagef("data: unknown action %q (allowed: where, check, download)", action)
}
