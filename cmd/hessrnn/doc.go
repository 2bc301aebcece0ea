// Command hessrnn trains recurrent networks with exact and bio-plausible
// learning rules and measures the curvature of the loss landscape they
// converge to, reproducing Liu et al., "Beyond accuracy: generalization
// properties of bio-plausible temporal credit assignment rules" (NeurIPS
// 2022).
//
// Usage:
//
//	hessrnn                      the default experiment (about 25 s of CPU time, no downloads)
//	hessrnn run EXPERIMENT       one figure or table of the paper (fig2 … fig12, table1, theorem1), or dynamics
//	hessrnn sweep CONFIG.toml    a grid of runs; --jobs, --shard, Slurm arrays, resume
//	hessrnn report DIR           statistics, figures and a report per experiment from results
//	hessrnn data                 where the MNIST data is, check it, download it
//	hessrnn bench                kernel and training-step benchmarks
//	hessrnn version              version, Go, SIMD level, CPU
//
// Run "hessrnn help COMMAND" or "hessrnn COMMAND --help" for details.
package main
