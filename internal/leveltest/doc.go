// Package leveltest holds the loop over kernel levels that the tests of
// rnn and rules share: it imports only kernels, so the packages above
// kernels can use it from their tests without a new dependency direction.
package leveltest
