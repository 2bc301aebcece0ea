package sweep

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// SlurmOptions describes the sbatch array script for a sweep.
type SlurmOptions struct {
	// Binary is the path of the hessrnn binary on the cluster.
	Binary string
	// Args are the arguments after the binary, e.g. ["sweep", "cfg.toml", "--out", "res"].
	// The script adds nothing: the shard comes from the Slurm array variables.
	Args []string
	// Tasks is the number of array tasks (shards).
	Tasks int
	// CPUs per task (GOMAXPROCS is set to it).
	CPUs int
	// Time limit per task, e.g. "04:00:00".
	Time string
	// Mem per task, e.g. "4G"; empty for the cluster default.
	Mem string
	// Partition and Account, empty for the cluster defaults.
	Partition, Account string
	// JobName names the job.
	JobName string
	// LogDir receives one log file per array task.
	LogDir string
	// Dir is the working directory of each task (the directory the script
	// was written from, so that relative paths in Args mean the same);
	// empty leaves the submission directory.
	Dir string
	// JobsFromCPUs appends --jobs "$GOMAXPROCS" to Args, so that the
	// number of runs at once follows --cpus-per-task when the script is
	// edited.
	JobsFromCPUs bool
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// slurmTime matches Slurm's time formats: MM, MM:SS, HH:MM:SS, D-HH,
// D-HH:MM and D-HH:MM:SS.
var slurmTime = regexp.MustCompile(`^(?:(\d+)-(\d+)(?::(\d+)(?::(\d+))?)?|(\d+)(?::(\d+)(?::(\d+))?)?)$`)

// CheckTime checks a time limit for --time: one of Slurm's formats (MM,
// MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or UNLIMITED/INFINITE), with
// minutes and seconds below 60 after the first field, hours below 24 after
// days, and not zero.
func CheckTime(s string) error {
	if u := strings.ToUpper(s); u == "UNLIMITED" || u == "INFINITE" {
		return nil
	}
	m := slurmTime.FindStringSubmatch(s)
	bad := func(why string) error {
		return fmt.Errorf("time limit %q: %s; allowed forms MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS (e.g. 90, 08:00:00, 2-00:00:00) or UNLIMITED", s, why)
	}
	if m == nil {
		return bad("not a Slurm time")
	}
	num := func(i int) int {
		if m[i] == "" {
			return 0
		}
		n, err := strconv.Atoi(m[i])
		if err != nil || n > 1_000_000 {
			return -1
		}
		return n
	}
	var fields []int
	var limits []int // upper bounds (exclusive) of the fields after the first
	if m[1] != "" {  // D-HH[:MM[:SS]]
		fields = []int{num(1), num(2), num(3), num(4)}
		limits = []int{24, 60, 60}
	} else {
		fields = []int{num(5), num(6), num(7)}
		switch {
		case m[7] != "": // HH:MM:SS
			limits = []int{60, 60}
		case m[6] != "": // MM:SS
			limits = []int{60}
		}
	}
	total := 0
	for i, f := range fields {
		if f < 0 {
			return bad("a field is too large")
		}
		if i > 0 && i-1 < len(limits) && f >= limits[i-1] {
			return bad(fmt.Sprintf("field %d is %d, allowed below %d", i+1, f, limits[i-1]))
		}
		total += f
	}
	if total == 0 {
		return bad("zero")
	}
	return nil
}

// slurmMem matches Slurm's memory sizes: a positive integer with an
// optional K, M, G or T suffix (megabytes without one).
var slurmMem = regexp.MustCompile(`^[1-9][0-9]{0,11}[KMGTkmgt]?$`)

// CheckMem checks a memory size for --mem: a positive integer with an
// optional K, M, G or T suffix (Slurm's default unit is megabytes).
func CheckMem(s string) error {
	if !slurmMem.MatchString(s) {
		return fmt.Errorf("memory %q: allowed a positive integer with an optional K, M, G or T suffix (megabytes without one), e.g. 4G or 4000", s)
	}
	return nil
}

// sbatchValue double-quotes s for an #SBATCH line unless it is a plain word.
func sbatchValue(s string) string {
	if shellQuote(s) == s {
		return s
	}
	return `"` + s + `"`
}

// WriteSlurm writes an sbatch script that runs the sweep as an array of
// opts.Tasks tasks; each task runs the shard given by the array variables
// (hessrnn reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT itself).
// Resubmitting the script resumes: finished runs are skipped.
func WriteSlurm(w io.Writer, opts SlurmOptions) error {
	if opts.Tasks < 1 {
		return fmt.Errorf("slurm: need at least 1 array task, got %d", opts.Tasks)
	}
	if opts.CPUs < 1 {
		opts.CPUs = 1
	}
	if opts.JobName == "" {
		opts.JobName = "hessrnn"
	}
	if opts.Time == "" {
		opts.Time = "24:00:00"
	}
	if opts.LogDir == "" {
		opts.LogDir = "."
	}
	if err := CheckTime(opts.Time); err != nil {
		return fmt.Errorf("slurm: %v", err)
	}
	if opts.Mem != "" {
		if err := CheckMem(opts.Mem); err != nil {
			return fmt.Errorf("slurm: %v", err)
		}
	}
	// sbatch reads #SBATCH values with its own tokenizer, which takes a
	// double-quoted value but has no escapes.
	for _, v := range []struct{ name, val string }{{"log directory", opts.LogDir}, {"job name", opts.JobName}, {"partition", opts.Partition}, {"account", opts.Account}} {
		if strings.ContainsAny(v.val, "\"\n\r") {
			return fmt.Errorf("slurm: %s %q contains a double quote or a line break, which an #SBATCH line cannot hold", v.name, v.val)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n")
	fmt.Fprintf(&b, "# Generated by hessrnn. Submit with: sbatch <this file>\n")
	fmt.Fprintf(&b, "# Each array task runs one shard of the sweep; finished runs are skipped, so\n")
	fmt.Fprintf(&b, "# resubmitting resumes. Merge and analyse with: hessrnn report <out dir>\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", sbatchValue(opts.JobName))
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", opts.Tasks-1)
	fmt.Fprintf(&b, "#SBATCH --ntasks=1\n")
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", opts.CPUs)
	fmt.Fprintf(&b, "#SBATCH --time=%s\n", opts.Time)
	if opts.Mem != "" {
		fmt.Fprintf(&b, "#SBATCH --mem=%s\n", opts.Mem)
	}
	if opts.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", sbatchValue(opts.Partition))
	}
	if opts.Account != "" {
		fmt.Fprintf(&b, "#SBATCH --account=%s\n", sbatchValue(opts.Account))
	}
	fmt.Fprintf(&b, "#SBATCH --output=\"%s/%s-%%A_%%a.log\"\n", strings.TrimRight(opts.LogDir, "/"), opts.JobName)
	fmt.Fprintf(&b, "\nset -euo pipefail\n")
	fmt.Fprintf(&b, "export GOMAXPROCS=\"${SLURM_CPUS_PER_TASK:-%d}\"\n", opts.CPUs)
	fmt.Fprintf(&b, "mkdir -p %s\n", shellQuote(opts.LogDir))
	if opts.Dir != "" {
		fmt.Fprintf(&b, "cd %s\n", shellQuote(opts.Dir))
	}
	cmd := []string{shellQuote(opts.Binary)}
	for _, a := range opts.Args {
		cmd = append(cmd, shellQuote(a))
	}
	if opts.JobsFromCPUs {
		cmd = append(cmd, "--jobs", `"$GOMAXPROCS"`)
	}
	fmt.Fprintf(&b, "exec %s\n", strings.Join(cmd, " "))
	_, err := io.WriteString(w, b.String())
	return err
}
