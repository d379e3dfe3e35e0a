package irl_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mesalab/mesalab/irl"
	"github.com/mesalab/mesalab/task/mdp"
)

// bandit is a one-state MDP with A actions (a one-step task when H = 1).
func bandit(t testing.TB, A int) *mdp.MDP {
	t.Helper()
	T := make([]float64, A)
	for a := range T {
		T[a] = 1
	}
	m, err := mdp.New(1, A, T, make([]float64, A), 0.9, []float64{1})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func softmax(beta float64, u []float64) []float64 {
	p := make([]float64, len(u))
	var z float64
	for i, x := range u {
		p[i] = math.Exp(beta * x)
		z += p[i]
	}
	for i := range p {
		p[i] /= z
	}
	return p
}

func entropy(p []float64) float64 {
	var h float64
	for _, x := range p {
		if x > 0 {
			h -= x * math.Log(x)
		}
	}
	return h
}

// TestMEGClosedForms checks the one-step closed forms: MEG of a uniform policy is
// 0; of the unique optimal deterministic policy log|A| (β* = +∞); of a Boltzmann
// policy softmax(β0·u) it is log|A| − H(π) with β* = β0; of the anti-optimal
// policy log|A| with β* = −∞.
func TestMEGClosedForms(t *testing.T) {
	u := []float64{1, 0.2, -0.5, 0}
	m := bandit(t, 4)
	logA := math.Log(4)
	for _, tc := range []struct {
		name     string
		policy   []float64
		meg      float64
		beta     float64
		tolBeta  float64
		towards  bool
		normUnit bool
	}{
		{"uniform", []float64{0.25, 0.25, 0.25, 0.25}, 0, 0, 0, false, false},
		{"optimal", []float64{1, 0, 0, 0}, logA, math.Inf(1), 0, true, true},
		{"anti-optimal", []float64{0, 0, 1, 0}, logA, math.Inf(-1), 0, false, true},
		{"boltzmann β=2", softmax(2, u), logA - entropy(softmax(2, u)), 2, 1e-8, true, false},
		{"boltzmann β=-0.7", softmax(-0.7, u), logA - entropy(softmax(-0.7, u)), -0.7, 1e-8, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := irl.MEG(m, u, tc.policy, []float64{1}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(g.MEG-tc.meg) > 1e-9 {
				t.Errorf("MEG = %.12f, want %.12f", g.MEG, tc.meg)
			}
			switch {
			case math.IsInf(tc.beta, 0):
				if g.Beta != tc.beta {
					t.Errorf("β* = %v, want %v", g.Beta, tc.beta)
				}
			case math.Abs(g.Beta-tc.beta) > tc.tolBeta+1e-12:
				t.Errorf("β* = %.12f, want %v", g.Beta, tc.beta)
			}
			if g.Towards() != tc.towards {
				t.Errorf("towards = %v, want %v", g.Towards(), tc.towards)
			}
			if g.Max != logA || (tc.normUnit && math.Abs(g.Normalized-1) > 1e-12) {
				t.Errorf("max = %v, normalised = %v", g.Max, g.Normalized)
			}
		})
	}
}

// TestMEGAffineInvariance: MEG_{aU+b}(π) = MEG_U(π) for a ≠ 0 (MacDermott et al.
// 2024: translation and scale invariance), with β* scaled by 1/a.
func TestMEGAffineInvariance(t *testing.T) {
	m := grid(t, 3, 3, 0.9, nil)
	u := make([]float64, m.S*m.A)
	for a := range m.A {
		u[8*m.A+a] = 1
		u[4*m.A+a] = -0.5
	}
	const H = 5
	soft, err := irl.SoftValueIteration(m, scale(u, 1.5, 0), H, 1)
	if err != nil {
		t.Fatal(err)
	}
	base, err := irl.MEG(m, u, soft.Policy, m.Start, H)
	if err != nil {
		t.Fatal(err)
	}
	// The policy is exactly soft-optimal at β = 1.5: β* recovers it and MEG is
	// its expected log-likelihood ratio against uniform.
	if math.Abs(base.Beta-1.5) > 1e-6 {
		t.Errorf("β* = %v, want 1.5", base.Beta)
	}
	for _, ab := range [][2]float64{{2, 0}, {0.3, -7}, {-1, 0}, {-4, 2}} {
		g, err := irl.MEG(m, scale(u, ab[0], ab[1]), soft.Policy, m.Start, H)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(g.MEG-base.MEG) > 1e-7 {
			t.Errorf("MEG(%v·U + %v) = %.10f, want %.10f", ab[0], ab[1], g.MEG, base.MEG)
		}
		if math.Abs(g.Beta*ab[0]-base.Beta) > 1e-5 {
			t.Errorf("β*(%v·U + %v) = %v, want %v", ab[0], ab[1], g.Beta, base.Beta/ab[0])
		}
	}
}

func scale(u []float64, a, b float64) []float64 {
	out := make([]float64, len(u))
	for i, x := range u {
		out[i] = a*x + b
	}
	return out
}

// TestMEGSequential: on a gridworld the optimal deterministic policy towards a
// goal is highly goal-directed towards it, the uniform policy not at all, and a
// policy heading for a decoy is more goal-directed towards the decoy than towards
// the goal. Every value respects 0 ≤ MEG ≤ H log|A|.
func TestMEGSequential(t *testing.T) {
	m := grid(t, 4, 4, 0.9, nil)
	const H = 6
	goal, decoy := make([]float64, m.S*m.A), make([]float64, m.S*m.A)
	for a := range m.A {
		goal[15*m.A+a] = 1
		decoy[12*m.A+a] = 1
	}
	greedyTo := func(target int) []float64 {
		pi := make([]float64, m.S*m.A)
		tr, tc := target/4, target%4
		for s := range m.S {
			r, c := s/4, s%4
			a := 0
			switch {
			case r < tr:
				a = 2
			case r > tr:
				a = 1
			case c < tc:
				a = 4
			case c > tc:
				a = 3
			}
			pi[s*m.A+a] = 1
		}
		return pi
	}
	uniform := make([]float64, m.S*m.A)
	for i := range uniform {
		uniform[i] = 1.0 / float64(m.A)
	}
	toGoal, err := irl.MEG(m, goal, greedyTo(15), m.Start, H)
	if err != nil {
		t.Fatal(err)
	}
	// Not 1: several shortest paths and the actions that keep the agent on the
	// goal are equally optimal, and from the far corner the goal is out of reach
	// within H, so those decisions are not predicted better than uniform.
	if toGoal.Normalized < 0.4 || !toGoal.Towards() {
		t.Errorf("optimal policy: normalised MEG %v (β* %v), want high and towards", toGoal.Normalized, toGoal.Beta)
	}
	rnd, err := irl.MEG(m, goal, uniform, m.Start, H)
	if err != nil {
		t.Fatal(err)
	}
	if rnd.MEG > 1e-9 {
		t.Errorf("uniform policy: MEG %v, want 0", rnd.MEG)
	}
	gs, err := irl.MEGOver(m, []irl.NamedUtility{{"goal", goal}, {"decoy", decoy}}, greedyTo(12), m.Start, H)
	if err != nil {
		t.Fatal(err)
	}
	if !(gs[1].MEG > gs[0].MEG) || !gs[1].Towards() {
		t.Errorf("decoy-seeking policy: MEG towards goal %v, towards decoy %v (β* %v)", gs[0].MEG, gs[1].MEG, gs[1].Beta)
	}
	// Bounds on random stochastic policies.
	r := rand.New(rand.NewPCG(5, 5))
	for range 20 {
		pi := make([]float64, m.S*m.A)
		for s := range m.S {
			var z float64
			for a := range m.A {
				pi[s*m.A+a] = r.ExpFloat64()
				z += pi[s*m.A+a]
			}
			for a := range m.A {
				pi[s*m.A+a] /= z
			}
		}
		g, err := irl.MEG(m, goal, pi, m.Start, H)
		if err != nil {
			t.Fatal(err)
		}
		if g.MEG < 0 || g.MEG > g.Max+1e-12 || math.IsNaN(g.MEG) {
			t.Errorf("MEG %v outside [0, %v]", g.MEG, g.Max)
		}
	}
	// A utility constant on everything: nothing to be directed towards.
	c, err := irl.MEG(m, scale(goal, 0, 3), greedyTo(15), m.Start, H)
	if err != nil || c.MEG != 0 {
		t.Errorf("constant utility: MEG %v, err %v", c.MEG, err)
	}
}

func TestMEGJSONAndErrors(t *testing.T) {
	m := bandit(t, 2)
	g, err := irl.MEG(m, []float64{1, 0}, []float64{1, 0}, []float64{1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(g)
	if err != nil || !strings.Contains(string(b), `"beta":"+Inf"`) {
		t.Errorf("JSON %s, err %v", b, err)
	}
	for _, tc := range []struct {
		name         string
		u, pi, start []float64
		horizon      int
		want         string
	}{
		{"utility", []float64{1}, []float64{1, 0}, []float64{1}, 1, "utility has 1 entries"},
		{"policy", []float64{1, 0}, []float64{0.5, 0.6}, []float64{1}, 1, "sums to 1.1"},
		{"start", []float64{1, 0}, []float64{1, 0}, []float64{2}, 1, "start distribution sums to 2"},
		{"horizon", []float64{1, 0}, []float64{1, 0}, []float64{1}, 0, "horizon 0"},
		{"inf", []float64{math.Inf(1), 0}, []float64{1, 0}, []float64{1}, 1, "utility[0] = +Inf"},
	} {
		if _, err := irl.MEG(m, tc.u, tc.pi, tc.start, tc.horizon); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}
