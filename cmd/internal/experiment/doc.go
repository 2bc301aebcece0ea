// Package experiment runs hessrnn's training runs and the paper's named
// experiments. Env.Train is the training loop of one run: task batches, the
// rule's update direction, the optimiser and schedule, divergence detection,
// and checkpoints that evaluate the train and test metrics, the leading
// eigenvalue of the W_rec Hessian (Lanczos by default, or the paper's power
// iteration) and the Eq. 6 alignment of the rule's update with the exact
// gradient. The named experiments (fig2 … fig12, table1, theorem1 and the
// default) each define their runs (Spec.Plan) and the parts of the report
// that turn their results into tables, figures and an HTML report named
// after the experiment (Spec.Report, WriteReport). Report parts are data
// (reportParts in parts.go: name, the data each needs, how it draws), as
// are the summary table's columns (summaryQuantities, plus a column per
// extra test set the runs have, such as seqMNIST's clean test set, which
// Env.Train scores at the end of a run); every report has
// the per-rule summary (λ_max as median and interquartile range, the other
// values as mean ± std with bootstrap confidence intervals) and the
// comparison with BPTT on runs paired by seed (same initial weights and
// test noise): λ_max as the geometric mean ratio with a bootstrap interval
// and the Wilcoxon test of the log ratios, the gap as the mean difference
// with its interval and the Wilcoxon test, its variability by the
// Pitman-Morgan test, and the number of pairs lost to diverged runs
// (unpaired Welch and Mann-Whitney tests beside them); each experiment adds
// its own analysis
// (step-length matching, truncation family, spectrum and power law,
// relative flatness, eigenvector alignment, early-stopped BPTT, Theorem 1
// bounds; for "dynamics", DSA and geometric distances between the trained
// networks and their contraction rates, recomputed from the final weights
// it keeps, and κ_min along training). Results of unknown experiments (sweeps) get every part whose
// data is present.
package experiment
