package eig

import (
	"errors"
	"fmt"
)

// Sentinel errors. The typed errors below wrap them, so callers can test with
// errors.Is.
var (
	// ErrNotFinite reports a NaN or Inf in an operator product. A non-finite
	// input value is reported as a *ValueError (ErrValue) instead, so that a
	// caller can tell a diverging operator from bad data.
	ErrNotFinite = errors.New("eig: non-finite value")
	// ErrDim reports mismatched dimensions.
	ErrDim = errors.New("eig: dimension mismatch")
	// ErrSettings reports an invalid setting.
	ErrSettings = errors.New("eig: invalid setting")
	// ErrValue reports an invalid data value, such as a zero eigenvalue in a
	// log-log fit.
	ErrValue = errors.New("eig: invalid value")
	// ErrOperator reports that a FallibleOperator failed.
	ErrOperator = errors.New("eig: operator failed")
	// ErrFactorize reports that a dense eigendecomposition of a projected
	// matrix failed (mat.EigenSym returned !ok).
	ErrFactorize = errors.New("eig: eigendecomposition of projected matrix failed")
	// ErrTooFew reports too few data points for a fit.
	ErrTooFew = errors.New("eig: too few data points")
)

// NotFiniteError reports a NaN or Inf at Index of the Apply-th operator
// product (1-based) computed by Method.
type NotFiniteError struct {
	Method Method
	Apply  int
	Index  int
	Value  float64
}

// Error implements the error interface.
func (e *NotFiniteError) Error() string {
	return fmt.Sprintf("eig: %v: operator product %d has non-finite value %v at index %d", e.Method, e.Apply, e.Value, e.Index)
}

// Is reports whether target is ErrNotFinite.
func (e *NotFiniteError) Is(target error) bool { return target == ErrNotFinite }

// DimError reports that What has length or dimension Got where Want was
// required.
type DimError struct {
	What      string
	Got, Want int
}

// Error implements the error interface.
func (e *DimError) Error() string {
	return fmt.Sprintf("eig: %s has dimension %d, want %d", e.What, e.Got, e.Want)
}

// Is reports whether target is ErrDim.
func (e *DimError) Is(target error) bool { return target == ErrDim }

// SettingsError reports a setting Field holding Value outside Allowed.
type SettingsError struct {
	Field   string
	Value   any
	Allowed string
}

// Error implements the error interface.
func (e *SettingsError) Error() string {
	return fmt.Sprintf("eig: setting %s = %v is invalid; allowed: %s", e.Field, e.Value, e.Allowed)
}

// Is reports whether target is ErrSettings.
func (e *SettingsError) Is(target error) bool { return target == ErrSettings }

// ValueError reports an invalid data value at Index of What.
type ValueError struct {
	What   string
	Index  int
	Value  float64
	Reason string
}

// Error implements the error interface.
func (e *ValueError) Error() string {
	return fmt.Sprintf("eig: %s[%d] = %v: %s", e.What, e.Index, e.Value, e.Reason)
}

// Is reports whether target is ErrValue. It does not match ErrNotFinite,
// even for a NaN or Inf Value: that sentinel is kept for operator products.
func (e *ValueError) Is(target error) bool {
	return target == ErrValue
}

// OperatorError wraps the error returned by a FallibleOperator at its
// Apply-th product (1-based) during Method.
type OperatorError struct {
	Method Method
	Apply  int
	Err    error
}

// Error implements the error interface.
func (e *OperatorError) Error() string {
	return fmt.Sprintf("eig: %v: operator product %d failed: %v", e.Method, e.Apply, e.Err)
}

// Unwrap returns the operator's error.
func (e *OperatorError) Unwrap() error { return e.Err }

// Is reports whether target is ErrOperator.
func (e *OperatorError) Is(target error) bool { return target == ErrOperator }

// TooFewError reports that a fit had Got usable points where it needs Need.
type TooFewError struct {
	What      string
	Got, Need int
}

// Error implements the error interface.
func (e *TooFewError) Error() string {
	return fmt.Sprintf("eig: %s: %d usable points, need at least %d", e.What, e.Got, e.Need)
}

// Is reports whether target is ErrTooFew.
func (e *TooFewError) Is(target error) bool { return target == ErrTooFew }

// RecorderError wraps an error returned by a Recorder, which stops the
// method.
type RecorderError struct {
	Method Method
	Err    error
}

// Error implements the error interface.
func (e *RecorderError) Error() string {
	return fmt.Sprintf("eig: %v: recorder stopped the run: %v", e.Method, e.Err)
}

// Unwrap returns the recorder's error.
func (e *RecorderError) Unwrap() error { return e.Err }
