package rnn

import (
	"slices"
	"strings"
	"testing"
)

func TestLossSteps(t *testing.T) {
	for _, tc := range []struct {
		name  string
		l     Loss
		steps int
		want  []int
		err   string
	}{
		{"last", Loss{Timing: LastStep}, 4, []int{3}, ""},
		{"last-empty", Loss{Timing: LastStep}, 0, []int{}, ""},
		{"every", Loss{Timing: EveryStep}, 3, []int{0, 1, 2}, ""},
		{"masked", Loss{Timing: MaskedSteps, StepMask: []bool{true, false, false, true}}, 4, []int{0, 3}, ""},
		{"mask-length", Loss{Timing: MaskedSteps, StepMask: []bool{true}}, 2, nil, "Loss.StepMask has length 1, want Steps = 2"},
		{"bad-timing", Loss{Timing: 7}, 2, nil, "Loss.Timing = 7, allowed values"},
	} {
		got, err := tc.l.Steps(tc.steps)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: Steps(%d) = %v, %v, want %v", tc.name, tc.steps, got, err, tc.want)
		}
	}
}
