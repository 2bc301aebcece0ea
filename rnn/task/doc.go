// Package task provides the three tasks of Liu et al. (NeurIPS 2022) with
// their generalisation tests (METHOD.md §5): sequential MNIST, pattern
// generation and delayed match-to-sample (DMS).
//
// Every task implements [Task]: it describes the network it needs
// ([Shape]), its [rnn.Loss] and [Metric], hands out training batches by
// iteration number, and offers evaluation sets for the training condition
// ([Task.TrainEval]) and the generalisation condition ([Task.Tests]). A
// trainer uses it like this:
//
//	for it := 0; it < iters; it++ {
//		b, err := tk.TrainBatch(it) // epoch it/TrainBatchesPerEpoch(), seeded shuffle
//		... one training step on b ...
//	}
//	rep, err := task.Generalization(model, tk) // model implements Predictor
//	// rep.Train.Metric, rep.Test.Metric, rep.Gap
//
// Evaluation needs only the readouts of a model, through the small
// [Predictor] interface, so this package does not depend on the network
// code. Metrics and the generalisation gap follow the paper: accuracy and
// gap = train − test for seqMNIST and DMS, mean squared error and
// gap = test − train for pattern generation.
//
// Each task has a Config struct whose zero value means the documented
// defaults; every value the paper does not give (METHOD.md §5) is a field there.
// Everything is a pure function of the Config and the seed passed to the
// constructor (math/rand/v2 PCG streams, no global state).
//
// Sequential MNIST reads MNIST-format IDX files (package idx) from a
// directory chosen by [ResolveDataDir]; package mnistdl downloads the
// standard MNIST files.
package task
