// Package rules implements the temporal credit assignment rules compared by
// Liu et al. (NeurIPS 2022) on top of package rnn: exact BPTT, truncated
// BPTT with a window of K steps, exact real-time recurrent learning (RTRL,
// a reference for small networks), symmetric e-prop ("Three-factor"), RFLO
// ("RF Three-factor", fixed random feedback) and MDGL (e-prop plus the
// one-connection-step non-local term), together with step-length matched
// BPTT ("Three-factor theory", paper Fig. 4).
//
// A Rule turns a network and a batch into an update direction for every
// parameter, laid out as one flat vector with the named blocks W_in, W_rec,
// W_out and b_out, plus the loss. Output weights and bias always get the
// exact gradient. Each approximate rule has an online form, with
// per-synapse eligibility traces advanced every step by kernels.Trace
// (memory O(B·N²), nothing stored over time), and a batched form (a masked
// backward pass); tests check both against an RTRL with the rule's named
// terms removed.
//
// The package also provides the optimisers (SGD, SGD with momentum, Adam),
// learning-rate schedules (constant, step decay), gradient-norm clipping
// and the alignment diagnostics of paper Eq. 6 (relative step length α,
// angle, orthogonal error, and the condition number of the best metric).
// The equations are those of METHOD.md §2 and §3 (at the repository root).
package rules
