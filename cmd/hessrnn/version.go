package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/klauspost/cpuid/v2"

	"github.com/hessrnn/hessrnn/cmd/internal/results"
	"github.com/hessrnn/hessrnn/kernels"
)

const versionHelp = `Usage: hessrnn version

Prints the module version, the Go version, the SIMD level detected on this
CPU and the level in use (HESSRNN_KERNELS=generic|avx2|avx512 forces a lower
one), and the CPU.

Examples:
  hessrnn version
  HESSRNN_KERNELS=generic hessrnn version
`

func cmdVersion(ctx context.Context, a *app, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(a.stdout, versionHelp)
		return nil
	}
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("version: unexpected argument %q", pos[0])
	}
	v := results.CurrentVersions()
	fmt.Fprintf(a.stdout, "hessrnn %s", v.Module)
	if v.Revision != "" {
		fmt.Fprintf(a.stdout, " (%s)", v.Revision)
	}
	fmt.Fprintf(a.stdout, "\n%s %s/%s\n", v.Go, v.OS, v.Arch)
	fmt.Fprintf(a.stdout, "SIMD: detected %s, active %s\n", kernels.Detected(), kernels.Active())
	fmt.Fprintf(a.stdout, "CPU: %s (%d logical cores)\n", cpuid.CPU.BrandName, cpuid.CPU.LogicalCores)
	return nil
}
