// Package stats holds the statistics of hessrnn's reports: mean ± std,
// Pearson and Spearman correlations with two-sided p-values, Welch's t-test,
// the Mann-Whitney U test and the Wilcoxon signed-rank test (exact for small
// samples without ties, normal approximation with tie and continuity
// corrections otherwise), Levene's and the Brown-Forsythe test for equal
// variances (the paper's "more variable"), and percentile bootstrap
// confidence intervals from an explicit seed. Distributions come from
// gonum's stat/distuv.
package stats
