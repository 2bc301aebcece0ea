package rnn

import "testing"

func TestParseInit(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want Init
		err  string
	}{
		{"code", InitCode, ""},
		{"murray", InitMurray, ""},
		{"", InitCode, `rnn: unknown init "" (allowed: code, murray)`},
		{"Murray", InitCode, `rnn: unknown init "Murray" (allowed: code, murray)`},
	} {
		got, err := ParseInit(tc.s)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("ParseInit(%q) = %v, %v; want %v, %q", tc.s, got, err, tc.want, tc.err)
		}
	}
	for _, i := range Inits() {
		if got, err := ParseInit(i.String()); got != i || err != nil {
			t.Errorf("ParseInit(%v.String()) = %v, %v", i, got, err)
		}
	}
	if s := Init(7).String(); s != "Init(7)" {
		t.Errorf("Init(7).String() = %q", s)
	}
}
