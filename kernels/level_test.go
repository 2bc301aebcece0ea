package kernels

import (
	"os"
	"strings"
	"testing"
)

func TestParseLevelRoundTrip(t *testing.T) {
	for _, l := range Levels() {
		for _, s := range []string{l.String(), strings.ToUpper(l.String()), " " + l.String() + "\n"} {
			got, err := ParseLevel(s)
			if err != nil || got != l {
				t.Errorf("ParseLevel(%q) = %v, %v; want %v", s, got, err, l)
			}
		}
	}
	for _, s := range []string{"", "avx", "sse", "avx-512", "3", "bogus"} {
		if _, err := ParseLevel(s); err == nil {
			t.Errorf("ParseLevel(%q) succeeded", s)
		} else if !strings.Contains(err.Error(), "generic, avx2, avx512") {
			t.Errorf("ParseLevel(%q) error %q does not list the allowed values", s, err)
		}
	}
	if s := Level(7).String(); s != "Level(7)" {
		t.Errorf("Level(7).String() = %q", s)
	}
	if got := Levels(); len(got) != int(numLevels) || got[0] != Generic || got[len(got)-1] != AVX512 {
		t.Errorf("Levels() = %v", got)
	}
}

func TestSetLevel(t *testing.T) {
	start := Active()
	for _, l := range Levels() {
		restore, err := SetLevel(l)
		if l > Detected() {
			if err == nil {
				t.Errorf("SetLevel(%s) above Detected() %s succeeded", l, Detected())
			}
			if Active() != start {
				t.Errorf("failed SetLevel(%s) changed Active() to %s", l, Active())
			}
			restore() // must be safe to call
			continue
		}
		if err != nil {
			t.Fatalf("SetLevel(%s): %v", l, err)
		}
		if Active() != l || state.table != &tables[l] {
			t.Errorf("after SetLevel(%s): Active() = %s", l, Active())
		}
		// Nested changes restore in order.
		inner, err := SetLevel(Generic)
		if err != nil {
			t.Fatal(err)
		}
		inner()
		if Active() != l {
			t.Errorf("inner restore gave %s, want %s", Active(), l)
		}
		restore()
		if Active() != start || state.table != &tables[start] {
			t.Errorf("restore gave %s, want %s", Active(), start)
		}
	}
	for _, bad := range []Level{-1, numLevels, 99} {
		if _, err := SetLevel(bad); err == nil {
			t.Errorf("SetLevel(%d) succeeded", int(bad))
		}
	}
}

func TestNewDispatchEnv(t *testing.T) {
	det := detectLevel()
	// fits is the outcome for a valid level: itself when the CPU has it,
	// else generic with an error.
	fits := func(l Level) (Level, bool) {
		if l > det {
			return Generic, true
		}
		return l, false
	}
	a2, a2err := fits(AVX2)
	a5, a5err := fits(AVX512)
	cases := []struct {
		env     string
		want    Level
		wantErr bool
	}{
		{"", det, false},
		{"generic", Generic, false},
		{"GENERIC", Generic, false},
		{"bogus", Generic, true},
		{"avx", Generic, true},
		{"avx2", a2, a2err},
		{"avx512", a5, a5err},
	}
	for _, c := range cases {
		d := newDispatch(c.env)
		if d.active != c.want || d.detected != det || d.table != &tables[d.active] {
			t.Errorf("newDispatch(%q): active %s detected %s, want %s and %s", c.env, d.active, d.detected, c.want, det)
		}
		if (d.configErr != nil) != c.wantErr {
			t.Errorf("newDispatch(%q): configErr = %v, want error %v", c.env, d.configErr, c.wantErr)
		}
		if d.configErr != nil {
			msg := d.configErr.Error()
			if !strings.Contains(msg, EnvVar) || !strings.Contains(msg, c.env) {
				t.Errorf("newDispatch(%q): error %q does not name the variable and value", c.env, msg)
			}
		}
	}
}

// TestActive logs the active level, so that
//
//	HESSRNN_KERNELS=avx2 go test ./kernels -run Active -v
//
// reports avx2, and checks it against the environment.
func TestActive(t *testing.T) {
	t.Logf("Active() = %s, Detected() = %s, ConfigError() = %v", Active(), Detected(), ConfigError())
	env := os.Getenv(EnvVar)
	want := Detected()
	if env != "" {
		l, err := ParseLevel(env)
		switch {
		case err != nil || l > Detected():
			want = Generic
			if ConfigError() == nil {
				t.Errorf("%s=%q gave no ConfigError", EnvVar, env)
			}
		default:
			want = l
		}
	}
	if Active() != want {
		t.Errorf("Active() = %s, want %s (%s=%q)", Active(), want, EnvVar, env)
	}
	if env == "" && ConfigError() != nil {
		t.Errorf("ConfigError() = %v without %s", ConfigError(), EnvVar)
	}
}

func TestDetectedFeatures(t *testing.T) {
	if !asmAvailable && Detected() != Generic {
		t.Errorf("Detected() = %s in a build without assembly", Detected())
	}
	if levelFeatures(Generic) != nil {
		t.Errorf("levelFeatures(Generic) = %v, want none", levelFeatures(Generic))
	}
	// Each level's features include the level below's.
	for l := AVX2 + 1; l < numLevels; l++ {
		for _, f := range levelFeatures(l - 1) {
			found := false
			for _, g := range levelFeatures(l) {
				found = found || f == g
			}
			if !found {
				t.Errorf("levelFeatures(%s) lacks %s of %s", l, f, l-1)
			}
		}
	}
}
