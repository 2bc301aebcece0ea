package rules

import (
	"strings"
	"testing"
)

// TestParseNames checks every named enum: each value's String parses back
// to it, and an unknown name is an error listing all the allowed names.
func TestParseNames(t *testing.T) {
	str := func(v interface{ String() string }, err error) (string, error) { return v.String(), err }
	for _, tc := range []struct {
		what  string
		names []string
		parse func(string) (string, error)
	}{
		{"rule", []string{"bptt", "tbptt", "rtrl", "three-factor", "rf-three-factor", "mdgl", "three-factor-theory"},
			func(s string) (string, error) { return str(ParseKind(s)) }},
		{"form", []string{"auto", "online", "batched"}, func(s string) (string, error) { return str(ParseForm(s)) }},
		{"optimizer", []string{"sgd", "momentum", "adam"}, func(s string) (string, error) { return str(ParseOptimizerKind(s)) }},
		{"feedback distribution", []string{"w-out", "glorot", "normal-out", "normal-n", "murray"},
			func(s string) (string, error) { return str(ParseFeedbackDist(s)) }},
		{"schedule", []string{"constant", "step"}, func(s string) (string, error) { return str(ParseScheduleKind(s)) }},
	} {
		for _, n := range tc.names {
			if got, err := tc.parse(n); err != nil || got != n {
				t.Errorf("%s %q parses to %q, %v", tc.what, n, got, err)
			}
		}
		_, err := tc.parse("nonesuch")
		want := `unknown ` + tc.what + ` "nonesuch" (allowed: ` + strings.Join(tc.names, ", ") + ")"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", tc.what, err, want)
		}
	}
}
