package rules

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/hessrnn/hessrnn/rnn"
)

const tol = 1e-10

// checkForms checks the W_rec and W_in directions of both forms of rule k
// on net and b against wantW and wantIn (relative error at most tol).
func checkForms(t *testing.T, k Kind, net *rnn.Network[float64], b *rnn.Batch[float64], wantW, wantIn []float64) {
	t.Helper()
	for _, form := range []Form{Online, Batched} {
		dir, _ := direction(t, Settings{Kind: k, Form: form}, net, b)
		l := net.Layout
		if e := relErr(block(dir, l, rnn.WRec), wantW); e > tol {
			t.Errorf("%v W_rec: %.3g", form, e)
		}
		if e := relErr(block(dir, l, rnn.WIn), wantIn); e > tol {
			t.Errorf("%v W_in: %.3g", form, e)
		}
	}
}

func direction(t *testing.T, s Settings, net *rnn.Network[float64], b *rnn.Batch[float64]) ([]float64, Rule[float64]) {
	t.Helper()
	r, err := New[float64](s, net.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := make([]float64, net.NumParams())
	if _, err := r.Direction(net, b, dir); err != nil {
		t.Fatal(err)
	}
	return dir, r
}

// TestReferenceForward checks the test's own forward pass against rnn's
// loss, so that the references below describe the same network.
func TestReferenceForward(t *testing.T) {
	for _, c := range testCases() {
		net, b := testNet(c)
		var ws rnn.Workspace[float64]
		loss, err := net.Forward(&ws, b)
		if err != nil {
			t.Fatal(err)
		}
		tr := refForward(net, b)
		l2 := 0.0
		for _, w := range [][]float64{net.WInM, net.WRecM, net.WOutM} {
			for _, v := range w {
				l2 += v * v
			}
		}
		want := tr.loss + net.Cfg.L2/2*l2
		if math.Abs(loss-want) > 1e-12*math.Abs(want) {
			t.Errorf("%s: rnn loss %v, reference %v", c.name, loss, want)
		}
		active, total := 0, 0
		for tt := 1; tt <= tr.T; tt++ {
			for bb := range tr.psi[tt] {
				for _, p := range tr.psi[tt][bb] {
					active += int(p)
					total++
				}
			}
		}
		if active == 0 || active == total {
			t.Errorf("%s: %d of %d units active; the test needs both regimes", c.name, active, total)
		}
	}
}

// TestRTRLEqualsBPTT: exact forward mode equals reverse mode, and the test's
// unmasked reference equals both.
func TestRTRLEqualsBPTT(t *testing.T) {
	for _, c := range testCases() {
		t.Run(c.name, func(t *testing.T) {
			net, b := testNet(c)
			g, _ := direction(t, Settings{Kind: BPTT}, net, b)
			rt, _ := direction(t, Settings{Kind: RTRL}, net, b)
			if e := relErr(rt, g); e > tol {
				t.Errorf("RTRL vs BPTT: relative error %.3g", e)
			}
			ref := refMaskedRTRL(net, b, maskNone, 0, nil, nil)
			if e := relErr(ref, g); e > tol {
				t.Errorf("reference RTRL vs BPTT: relative error %.3g", e)
			}
		})
	}
}

// TestRulesEqualMaskedRTRL compares every approximate rule, in both forms,
// with RTRL that has exactly the rule's terms removed.
func TestRulesEqualMaskedRTRL(t *testing.T) {
	for _, c := range testCases() {
		t.Run(c.name, func(t *testing.T) {
			net, b := testNet(c)
			type check struct {
				name string
				s    Settings
				ref  []float64
			}
			eprop := refMaskedRTRL(net, b, maskEProp, 0, nil, nil)
			mdgl := refMaskedRTRL(net, b, maskMDGL, 0, nil, nil)
			checks := []check{
				{"eprop/online", Settings{Kind: EProp, Form: Online}, eprop},
				{"eprop/batched", Settings{Kind: EProp, Form: Batched}, eprop},
				{"mdgl/online", Settings{Kind: MDGL, Form: Online}, mdgl},
				{"mdgl/batched", Settings{Kind: MDGL, Form: Batched}, mdgl},
				{"mdgl/celltypes=N", Settings{Kind: MDGL, CellTypes: ContiguousCellTypes(c.cfg.N, c.cfg.N)}, mdgl},
			}
			// Every window that truncates (K >= T delegates to BPTT, see
			// TestTBPTTLimits).
			for k := 1; k < c.T; k++ {
				checks = append(checks, check{"tbptt/K=" + strconv.Itoa(k), Settings{Kind: TBPTT, Window: k}, refMaskedRTRL(net, b, maskTBPTT, k, nil, nil)})
			}
			for _, ch := range checks {
				got, _ := direction(t, ch.s, net, b)
				if e := relErr(got, ch.ref); e > tol {
					t.Errorf("%s: relative error %.3g vs masked RTRL", ch.name, e)
				}
			}
			// The masks must matter: e-prop and MDGL differ from BPTT and from
			// each other (guards against a reference that ignores its mode).
			g := refMaskedRTRL(net, b, maskNone, 0, nil, nil)
			if relErr(eprop, g) < 1e-3 || relErr(mdgl, eprop) < 1e-6 {
				t.Errorf("masks have no effect: eprop-vs-bptt %.3g, mdgl-vs-eprop %.3g", relErr(eprop, g), relErr(mdgl, eprop))
			}
		})
	}
}

// TestRFLO checks both forms against the reference of Eq. 19, and that with
// B = W_out (symmetric feedback) RFLO equals e-prop at leak 0.
func TestRFLO(t *testing.T) {
	for _, c := range testCases() {
		t.Run(c.name, func(t *testing.T) {
			net, b := testNet(c)
			for _, form := range []Form{Online, Batched} {
				r, err := New[float64](Settings{Kind: RFLO, Form: form, FeedbackSeed: 3}, net.Cfg)
				if err != nil {
					t.Fatal(err)
				}
				fb := r.(*trunc[float64]).Feedback()
				dir := make([]float64, net.NumParams())
				if _, err := r.Direction(net, b, dir); err != nil {
					t.Fatal(err)
				}
				if e := relErr(dir, refRFLO(net, b, fb)); e > tol {
					t.Errorf("%v: relative error %.3g vs reference", form, e)
				}
				// Where RFLO's trace is the e-prop trace (leak 0, or ALIF
				// units only) it is the masked RTRL of e-prop with the
				// learning signal through B.
				allALIF := c.cfg.Beta != nil && !slices.Contains(c.cfg.Beta, 0)
				if c.cfg.Leak == 0 || allALIF {
					if e := relErr(dir, refMaskedRTRL(net, b, maskEProp, 0, fb, nil)); e > tol {
						t.Errorf("%v: relative error %.3g vs masked RTRL with feedback B", form, e)
					}
				}
				r.(*trunc[float64]).setFeedback(append([]float64(nil), net.WOutM...))
				if _, err := r.Direction(net, b, dir); err != nil {
					t.Fatal(err)
				}
				ep, _ := direction(t, Settings{Kind: EProp, Form: form}, net, b)
				e := relErr(dir, ep)
				if c.cfg.Leak == 0 && e > tol {
					t.Errorf("%v: RFLO with B = W_outᵀ vs e-prop at leak 0: %.3g", form, e)
				}
				if c.cfg.Leak != 0 && c.cfg.Beta == nil && e < 1e-6 {
					t.Errorf("%v: RFLO equals e-prop at leak %v; the traces should differ", form, c.cfg.Leak)
				}
			}
		})
	}
}

// TestEPropLastStepOuterProduct: at leak 0 with the loss at T only, e-prop
// is the single outer product (ψ^T⊙L^T) r^{T-1}ᵀ (METHOD.md §2.8).
func TestEPropLastStepOuterProduct(t *testing.T) {
	c := testCase{cfg: rnn.Config{In: 4, N: 7, Out: 3, Seed: 2, Loss: rnn.Loss{Kind: rnn.CrossEntropy}}, B: 5, T: 6}
	net, b := testNet(c)
	tr := refForward(net, b)
	N, In := c.cfg.N, c.cfg.In
	wantW := make([]float64, N*N)
	wantIn := make([]float64, N*In)
	for bb := 0; bb < c.B; bb++ {
		for i := 0; i < N; i++ {
			L := 0.0
			for o := 0; o < c.cfg.Out; o++ {
				L += net.WOutM[o*N+i] * tr.dy[c.T][bb][o]
			}
			L *= tr.psi[c.T][bb][i]
			for j := 0; j < N; j++ {
				if j != i {
					wantW[i*N+j] += L * tr.r[c.T-1][bb][j]
				}
			}
			for k := 0; k < In; k++ {
				wantIn[i*In+k] += L * tr.x[c.T][bb][k]
			}
		}
	}
	checkForms(t, EProp, net, b, wantW, wantIn)
}

// TestTBPTTLimits: K >= T is BPTT; K = 1 is e-prop for plain units at leak 0.
func TestTBPTTLimits(t *testing.T) {
	for _, c := range testCases() {
		net, b := testNet(c)
		g, _ := direction(t, Settings{Kind: BPTT}, net, b)
		full, _ := direction(t, Settings{Kind: TBPTT, Window: c.T}, net, b)
		if e := relErr(full, g); e > tol {
			t.Errorf("%s: TBPTT(T) vs BPTT %.3g", c.name, e)
		}
		if c.cfg.Leak == 0 && c.cfg.Beta == nil {
			k1, _ := direction(t, Settings{Kind: TBPTT, Window: 1}, net, b)
			ep, _ := direction(t, Settings{Kind: EProp}, net, b)
			if e := relErr(k1, ep); e > tol {
				t.Errorf("%s: TBPTT(1) vs e-prop %.3g", c.name, e)
			}
		}
	}
}

// TestMDGLCellTypes: with K = 1 type the non-local term uses the mean
// off-diagonal weight; online and batched forms agree.
func TestMDGLCellTypes(t *testing.T) {
	c := testCases()[4]
	net, b := testNet(c)
	types := ContiguousCellTypes(c.cfg.N, 2)
	on, _ := direction(t, Settings{Kind: MDGL, Form: Online, CellTypes: types}, net, b)
	ba, _ := direction(t, Settings{Kind: MDGL, Form: Batched, CellTypes: types}, net, b)
	if e := relErr(on, ba); e > tol {
		t.Errorf("online vs batched with cell types: %.3g", e)
	}
	tru, _ := direction(t, Settings{Kind: MDGL}, net, b)
	if relErr(ba, tru) < 1e-8 {
		t.Error("cell-type averaging had no effect")
	}
	// Reference: the masked RTRL with the averaged W in the one-step term.
	N := c.cfg.N
	avg := make([]float64, N*N)
	sum := map[[2]int]float64{}
	cnt := map[[2]int]float64{}
	for l := 0; l < N; l++ {
		for i := 0; i < N; i++ {
			if l != i {
				k := [2]int{types[l], types[i]}
				sum[k] += net.WRecM[l*N+i]
				cnt[k]++
			}
		}
	}
	for l := 0; l < N; l++ {
		for i := 0; i < N; i++ {
			if l != i {
				k := [2]int{types[l], types[i]}
				avg[l*N+i] = sum[k] / cnt[k]
			}
		}
	}
	if e := relErr(ba, refMaskedRTRL(net, b, maskMDGL, 0, nil, avg)); e > tol {
		t.Errorf("cell types vs masked RTRL with averaged W: %.3g", e)
	}
}

func TestMatchedBPTT(t *testing.T) {
	for _, c := range testCases()[:6] {
		net, b := testNet(c)
		g, _ := direction(t, Settings{Kind: BPTT}, net, b)
		ep, _ := direction(t, Settings{Kind: EProp}, net, b)
		l := net.Layout
		alpha := Align(block(ep, l, rnn.WRec), block(g, l, rnn.WRec)).Alpha
		got, r := direction(t, Settings{Kind: MatchedBPTT}, net, b)
		if a := r.(AlphaReporter).LastAlpha(); math.Abs(a-alpha) > 1e-12*math.Abs(alpha) {
			t.Errorf("%s: alpha %v, want %v", c.name, a, alpha)
		}
		for i := range g {
			if math.Abs(got[i]-alpha*g[i]) > 1e-14*(1+math.Abs(g[i])) {
				t.Fatalf("%s: dir[%d] = %v, want alpha*g = %v", c.name, i, got[i], alpha*g[i])
			}
		}
		got, _ = direction(t, Settings{Kind: MatchedBPTT, MatchedAlpha: 0.25}, net, b)
		for i := range g {
			if got[i] != 0.25*g[i] {
				t.Fatalf("%s: constant alpha: dir[%d] = %v, want %v", c.name, i, got[i], 0.25*g[i])
			}
		}
	}
}

func TestDiverged(t *testing.T) {
	c := testCases()[0]
	for _, k := range []Kind{BPTT, TBPTT, RTRL, EProp, RFLO, MDGL, MatchedBPTT} {
		net, b := testNet(c)
		b.X[(2*c.B+1)*c.cfg.In] = math.NaN() // step 3, item 1
		r, err := New[float64](Settings{Kind: k, Window: 2}, net.Cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Direction(net, b, make([]float64, net.NumParams()))
		var d *rnn.ErrDiverged
		if !errors.As(err, &d) || d.Step != 3 {
			t.Errorf("%v: err = %v, want *rnn.ErrDiverged at step 3", k, err)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	cfg := rnn.Config{In: 2, N: 40, Out: 1}
	for _, tc := range []struct {
		s  Settings
		ok bool
	}{
		{Settings{}, true},
		{Settings{Kind: TBPTT}, false},
		{Settings{Kind: TBPTT, Window: 3}, true},
		{Settings{Kind: RTRL}, false},
		{Settings{Kind: RFLO, Feedback: 9}, false},
		{Settings{Kind: MDGL, CellTypes: []int{0}}, false},
		{Settings{Kind: MatchedBPTT, MatchedAlpha: -1}, false},
		{Settings{Kind: 99}, false},
		{Settings{Form: 5}, false},
	} {
		if err := tc.s.Validate(&cfg); (err == nil) != tc.ok {
			t.Errorf("%+v: %v, want ok=%v", tc.s, err, tc.ok)
		}
	}
	for _, n := range kindNames {
		if k, err := ParseKind(n); err != nil || k.String() != n {
			t.Errorf("ParseKind(%q) = %v, %v", n, k, err)
		}
	}
	if _, err := ParseKind("hebb"); err == nil {
		t.Error("ParseKind accepted hebb")
	}
}
