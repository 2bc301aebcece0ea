// Package stats holds the statistics of hessrnn's reports: mean ± std, the
// median and interquartile range (type-7 quantiles) for quantities that span
// orders of magnitude such as λ_max, Pearson and Spearman correlations with
// two-sided p-values, Welch's t-test, the Mann-Whitney U test and the
// Wilcoxon signed-rank test (exact for small samples without ties, normal
// approximation with tie and continuity corrections otherwise), Levene's and
// the Brown-Forsythe test for equal variances, and percentile bootstrap
// confidence intervals from an explicit seed.
//
// Runs of different rules with the same seed share initial weights, task and
// test noise, so they are compared as pairs: LogRatio (the geometric mean
// ratio with its bootstrap interval and the Wilcoxon test of the log
// ratios, for λ_max), PairedDiff (the mean difference with its interval and
// the Wilcoxon test, for the generalisation gap) and PitmanMorgan (equal
// variances of paired samples, for "more variable"). Each reports how many
// pairs were lost to missing values (diverged runs). Distributions come from
// gonum's stat/distuv.
package stats
