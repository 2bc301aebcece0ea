package eig_test

import (
	"errors"
	"math"
	"testing"

	"github.com/hessrnn/hessrnn/eig"
)

// TestErrorSentinels checks that each typed error matches its own sentinel
// and no other, so that callers can tell a diverging operator
// (ErrNotFinite) from bad input data (ErrValue).
func TestErrorSentinels(t *testing.T) {
	sentinels := []error{eig.ErrNotFinite, eig.ErrDim, eig.ErrSettings, eig.ErrValue,
		eig.ErrOperator, eig.ErrFactorize, eig.ErrTooFew}
	opErr := errors.New("operator failed")
	for _, tc := range []struct {
		name string
		err  error
		is   []error
	}{
		{"NotFiniteError", &eig.NotFiniteError{Method: eig.MethodPower, Apply: 2, Index: 1, Value: math.Inf(1)}, []error{eig.ErrNotFinite}},
		{"DimError", &eig.DimError{What: "x", Got: 1, Want: 2}, []error{eig.ErrDim}},
		{"SettingsError", &eig.SettingsError{Field: "K", Value: -1, Allowed: "≥ 1"}, []error{eig.ErrSettings}},
		{"ValueError finite", &eig.ValueError{What: "x", Value: 0, Reason: "zero"}, []error{eig.ErrValue}},
		{"ValueError NaN", &eig.ValueError{What: "x", Value: math.NaN(), Reason: "not finite"}, []error{eig.ErrValue}},
		{"ValueError Inf", &eig.ValueError{What: "x", Value: math.Inf(-1), Reason: "not finite"}, []error{eig.ErrValue}},
		{"OperatorError", &eig.OperatorError{Method: eig.MethodLanczos, Apply: 1, Err: opErr}, []error{eig.ErrOperator, opErr}},
		{"RecorderError", &eig.RecorderError{Method: eig.MethodPower, Err: opErr}, []error{opErr}},
		{"TooFewError", &eig.TooFewError{What: "fit", Got: 1, Need: 3}, []error{eig.ErrTooFew}},
	} {
		want := map[error]bool{}
		for _, e := range tc.is {
			want[e] = true
		}
		for _, s := range append(sentinels, opErr) {
			if got := errors.Is(tc.err, s); got != want[s] {
				t.Errorf("%s: errors.Is(%v, %v) = %v, want %v", tc.name, tc.err, s, got, want[s])
			}
		}
		if tc.err.Error() == "" {
			t.Errorf("%s: empty message", tc.name)
		}
	}
}
