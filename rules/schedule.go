package rules

import (
	"fmt"
	"math"
)

// ScheduleKind names a learning-rate schedule.
type ScheduleKind int

const (
	// Constant keeps the rate at LR.
	Constant ScheduleKind = iota
	// StepDecay multiplies the rate by Factor every Every iterations:
	// η_k = LR · Factor^⌊k/Every⌋ (paper Appendix Fig. 5).
	StepDecay
)

// String returns the lower-case name of the kind.
func (k ScheduleKind) String() string {
	switch k {
	case Constant:
		return "constant"
	case StepDecay:
		return "step"
	}
	return fmt.Sprintf("ScheduleKind(%d)", int(k))
}

// ParseScheduleKind returns the kind named s (constant or step).
func ParseScheduleKind(s string) (ScheduleKind, error) {
	return parseName("schedule", s, Constant, StepDecay)
}

// Schedule is a learning-rate schedule. Its zero value is invalid (LR must
// be positive); the other zero fields mean their defaults.
type Schedule struct {
	Kind ScheduleKind
	// LR is the initial (or constant) rate, > 0.
	LR float64
	// Factor is StepDecay's multiplier in (0, 1]; 0 means the default 0.8
	// (paper Fig. 5, d = 20 %).
	Factor float64
	// Every is StepDecay's period in iterations, >= 1. 0 means: Total/30
	// (paper Fig. 5), at least 1, which needs Total.
	Every int
	// Total is the planned number of iterations, used only to derive Every.
	Total int
}

// Fig5Schedule returns the paper's Appendix Fig. 5 remedy for a rule whose
// uniform rate is base and that trains for total iterations: 3·base,
// multiplied by 0.8 every total/30 iterations.
func Fig5Schedule(base float64, total int) Schedule {
	return Schedule{Kind: StepDecay, LR: 3 * base, Factor: 0.8, Total: total}
}

// Validate checks the schedule, naming the field and its allowed range.
func (s Schedule) Validate() error {
	if s.Kind != Constant && s.Kind != StepDecay {
		return fmt.Errorf("rules: Schedule.Kind = %d, allowed constant, step", int(s.Kind))
	}
	if !(s.LR > 0) || math.IsInf(s.LR, 0) {
		return fmt.Errorf("rules: Schedule.LR = %v, allowed range (0, inf)", s.LR)
	}
	if s.Kind == Constant {
		return nil
	}
	if !(s.Factor >= 0 && s.Factor <= 1) {
		return fmt.Errorf("rules: Schedule.Factor = %v, allowed range (0, 1] (0 = default 0.8)", s.Factor)
	}
	if s.Every < 0 {
		return fmt.Errorf("rules: Schedule.Every = %d, allowed >= 1 (0 = Total/30)", s.Every)
	}
	if s.Every == 0 && s.Total <= 0 {
		return fmt.Errorf("rules: Schedule.Every = 0 needs Schedule.Total >= 1, got %d", s.Total)
	}
	return nil
}

// Period returns StepDecay's effective period in iterations.
func (s Schedule) Period() int {
	if s.Every > 0 {
		return s.Every
	}
	return max(1, s.Total/30)
}

// Rate returns the learning rate at iteration k (k counts from 0).
func (s Schedule) Rate(k int) float64 {
	if s.Kind != StepDecay {
		return s.LR
	}
	f := s.Factor
	if f == 0 {
		f = 0.8
	}
	return s.LR * math.Pow(f, float64(max(k, 0)/s.Period()))
}
