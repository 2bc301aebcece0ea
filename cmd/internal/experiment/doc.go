// Package experiment runs hessrnn's training runs and the paper's named
// experiments. Env.Train is the training loop of one run: task batches, the
// rule's update direction, the optimiser and schedule, divergence detection,
// and checkpoints that evaluate the train and test metrics, the leading
// eigenvalue of the W_rec Hessian (Lanczos by default, or the paper's power
// iteration) and the Eq. 6 alignment of the rule's update with the exact
// gradient. The named experiments (fig2 … fig12, table1, theorem1 and the
// default) each define their runs and the analysis that turns a results
// directory into tables, figures and a report.
package experiment
