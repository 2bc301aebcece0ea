package kernels

// Panic messages for programmer errors. They are constants so that tests and
// callers can compare them.
const (
	errLength     = "kernels: slice lengths do not match"
	errShortSlice = "kernels: slice too short for the given shape"
	errBadLd      = "kernels: leading dimension smaller than the number of columns"
	errNegDim     = "kernels: negative dimension"
)
