package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/hessrnn/hessrnn/cmd/internal/experiment"
	"github.com/hessrnn/hessrnn/cmd/internal/progress"
	"github.com/hessrnn/hessrnn/kernels"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1   // runs failed, I/O errors
	exitUsage       = 2   // bad flags, configuration, environment or data
	exitInterrupted = 130 // 128 + SIGINT
	exitTerminated  = 143 // 128 + SIGTERM (what Slurm and timeout send)
)

// stopSignal is the signal that stopped the command, if any: it chooses
// the exit code of an interruption (130 for SIGINT, 143 for SIGTERM).
var stopSignal atomic.Value // os.Signal

// usageError is a problem with the user's input: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// interruptedError reports a clean stop on a signal.
type interruptedError struct{ msg string }

func (e *interruptedError) Error() string { return e.msg }

func main() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		sig := <-sigs
		stopSignal.Store(sig)
		// Restore the default handling so that a second signal ends the
		// process at once, then stop cleanly.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		if sig == os.Interrupt {
			fmt.Fprintln(os.Stderr, "hessrnn: stopping: finished runs are saved, runs in progress are dropped (Ctrl-C again to quit at once)")
		} else {
			fmt.Fprintf(os.Stderr, "hessrnn: stopping on %s: finished runs are saved, runs in progress are dropped (a second signal quits at once)\n", signalName(sig))
		}
		cancel()
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// app carries the standard streams.
type app struct {
	stdout, stderr io.Writer
	// terminal reports whether stderr is a terminal (progress bars).
	terminal bool
	// args is the full command line, for reports.
	args []string
	// getenv reads the environment (os.Getenv; tests replace it).
	getenv func(string) string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

func commands() []command {
	return []command{
		{"run", "run one named experiment (a figure or table of the paper)", cmdRun},
		{"sweep", "run a grid of configurations from a TOML file (parallel, sharded, resumable)", cmdSweep},
		{"report", "statistics, figures and a report per experiment from a results directory", cmdReport},
		{"data", "locate, check or download the MNIST-format data", cmdData},
		{"bench", "kernel and training-step benchmarks at the detected SIMD level", cmdBench},
		{"version", "print the version, Go version, SIMD level and CPU", cmdVersion},
	}
}

const mainHelp = `hessrnn trains recurrent networks with exact (BPTT) and bio-plausible learning
rules (Three-factor/e-prop, RF Three-factor/RFLO, MDGL) and measures the
curvature of the minima they reach (Liu et al., NeurIPS 2022).

Usage:
  hessrnn [flags]                 run the default experiment: pattern generation,
                                  BPTT vs Three-factor vs RF Three-factor vs MDGL,
                                  5 seeds, λ_max along training (about 25 s of
                                  CPU time: seconds on 2 free cores; the first
                                  "go run" also compiles, 1-2 minutes on 2 cores)
  hessrnn <command> [arguments]

Commands:
%s
Examples:
  hessrnn
  hessrnn run fig3 --task dms --seeds 5
  hessrnn sweep grid.toml --jobs 2
  hessrnn report results/

The no-argument form accepts the flags of "hessrnn run" (e.g. --out, --jobs).
Run "hessrnn <command> --help" for a command's flags and examples.
`

func printMainHelp(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(&b, "  %-8s %s\n", "help", "show help for a command")
	fmt.Fprintf(w, mainHelp, b.String())
}

// run executes the command line and returns the exit code. It never
// panics on user input: every error becomes one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr, args: append([]string{"hessrnn"}, args...), getenv: os.Getenv}
	if f, ok := stderr.(*os.File); ok {
		a.terminal = progress.IsTerminal(f)
	}
	if err := kernels.ConfigError(); err != nil {
		fmt.Fprintf(stderr, "hessrnn: %v\n", strings.TrimSuffix(strings.TrimSuffix(err.Error(), "; using generic"), "."))
		return exitUsage
	}
	// The kernels implement gonum's BLAS interfaces; route gonum's mat
	// (used by eig) through them.
	blas64.Use(kernels.Implementation{})
	blas32.Use(kernels.Implementation{})

	var err error
	switch {
	case len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]):
		err = runExperiment(ctx, a, "default", args, true)
	case isHelp(args[0]):
		printMainHelp(stdout)
		return exitOK
	case args[0] == "help":
		if len(args) == 1 {
			printMainHelp(stdout)
			return exitOK
		}
		for _, c := range commands() {
			if c.name == args[1] {
				return report(stderr, c.run(ctx, a, []string{"--help"}))
			}
		}
		err = usagef("help: unknown command %q (commands: %s)", args[1], commandNames())
	default:
		found := false
		for _, c := range commands() {
			if c.name == args[0] {
				found = true
				err = c.run(ctx, a, args[1:])
				break
			}
		}
		if !found {
			if _, e := experiment.Lookup(args[0]); e == nil {
				err = usagef("unknown command %q (did you mean \"hessrnn run %s\"?)", args[0], args[0])
			} else {
				err = usagef("unknown command %q (commands: %s; run \"hessrnn help\")", args[0], commandNames())
			}
		}
	}
	return report(stderr, err)
}

func commandNames() string {
	var n []string
	for _, c := range commands() {
		n = append(n, c.name)
	}
	return strings.Join(n, ", ")
}

func isHelp(s string) bool { return s == "-h" || s == "-help" || s == "--help" }

// report prints err as one line and maps it to an exit code.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	fmt.Fprintf(stderr, "hessrnn: %s\n", msg)
	var u *usageError
	var in *interruptedError
	switch {
	case errors.As(err, &u):
		return exitUsage
	case errors.As(err, &in):
		if sig, _ := stopSignal.Load().(os.Signal); sig == syscall.SIGTERM {
			return exitTerminated
		}
		return exitInterrupted
	}
	return exitFailure
}

// signalName names a stop signal as the user knows it.
func signalName(sig os.Signal) string {
	if sig == syscall.SIGTERM {
		return "SIGTERM"
	}
	return sig.String()
}
