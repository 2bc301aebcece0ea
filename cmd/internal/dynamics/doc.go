// Package dynamics analyses the dynamics of trained networks for the
// "dynamics" experiment: it runs each network on a common set of probe
// inputs, fits the DSA operator of its rate trajectories (package dsa),
// measures the contraction of its state Jacobians (rnn.ContractionOf),
// compares every pair of networks by the DSA Procrustes distance and by two
// geometric baselines on the states themselves (the angular Procrustes
// shape distance and 1 − linear CKA), and tests whether the distances
// separate the groups (rules): mean within- against between-group distance
// with a label-permutation test, and average-linkage hierarchical
// clustering cut at k = number of groups scored by the adjusted Rand index
// with its permutation p-value.
package dynamics
