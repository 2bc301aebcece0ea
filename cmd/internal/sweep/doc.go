// Package sweep turns a base run and a sweep specification (a grid and
// zipped lists over any settings) into the list of runs, selects one shard
// of that list (--shard i/n, or from SLURM_ARRAY_TASK_ID and
// SLURM_ARRAY_TASK_COUNT), runs the selected runs on a pool of workers,
// skips runs whose final result already exists (so a killed sweep resumes),
// and writes a Slurm array script for the same sweep.
//
// The run list is a pure function of the configuration, and each run's
// result is a pure function of its run, so the union of the shards' results
// equals the whole sweep's for any number of shards and workers.
package sweep
