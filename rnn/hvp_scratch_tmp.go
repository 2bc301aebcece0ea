package rnn

type hvpScratch[T any] struct{}
