package irl_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mesalab/mesalab/irl"
	"github.com/mesalab/mesalab/task/mdp"
)

// featureGrid is a 4×4 gridworld with three state features: a goal in the
// bottom-right corner, lava on two cells of the second row, and the right-hand
// column (an "edge" bonus).
func featureGrid(t testing.TB, start []float64) (*mdp.MDP, irl.Basis) {
	t.Helper()
	const w, h = 4, 4
	m := grid(t, w, h, 0.95, start)
	names := []string{"goal", "lava", "edge"}
	phi := make([]float64, m.S*len(names))
	phi[15*3+0] = 1
	phi[5*3+1], phi[6*3+1] = 1, 1
	for r := range h {
		phi[(r*w+w-1)*3+2] = 1
	}
	b, err := irl.StateFeatures(m.S, m.A, names, phi)
	if err != nil {
		t.Fatal(err)
	}
	return m, b
}

// demos samples n trajectories of the soft-optimal policy of r = θ·φ.
func demos(t testing.TB, m *mdp.MDP, b irl.Basis, theta []float64, n, horizon int, seed uint64) []irl.Trajectory {
	t.Helper()
	soft, err := irl.SoftValueIteration(m, b.Reward(theta), horizon, m.Gamma)
	if err != nil {
		t.Fatal(err)
	}
	d, err := irl.Rollouts(m, irl.OfPolicy(soft.Policy, m.S, m.A), n, horizon, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestMaxCausalEntRecoversReward: demonstrations from the soft-optimal policy of
// a known feature reward give back a reward within EPIC 0.05 of it.
func TestMaxCausalEntRecoversReward(t *testing.T) {
	m, b := featureGrid(t, nil)
	truth := []float64{2, -3, 0.5}
	const horizon = 12
	for _, n := range []int{500, 2000} {
		res, err := irl.MaxCausalEnt(m, b, demos(t, m, b, truth, n, horizon, 1), irl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Converged {
			t.Errorf("n=%d: did not converge: gradient %v after %d iterations", n, res.Gradient, res.Iterations)
		}
		d := epic(t, stateActionToSAS(res.Reward, m.S, m.A), stateActionToSAS(b.Reward(truth), m.S, m.A), m.S, m.A, m.Gamma)
		if d > 0.05 {
			t.Errorf("n=%d: EPIC(recovered, true) = %.4f, want ≤ 0.05 (θ̂ = %v, θ* = %v)", n, d, res.Theta, truth)
		}
		// The feature expectations match at the optimum.
		for k := range truth {
			if diff := math.Abs(res.ExpertFeatures[k] - res.ModelFeatures[k]); diff > 1e-5 {
				t.Errorf("n=%d: feature %s: expert %v, model %v", n, b.Names[k], res.ExpertFeatures[k], res.ModelFeatures[k])
			}
		}
		t.Logf("n=%d: θ̂ = %.3f, EPIC = %.4f, %d iterations", n, res.Theta, d, res.Iterations)
	}
}

// TestMaxCausalEntLikelihoodIsMaximal: the fitted θ̂ has a higher log-likelihood
// than the truth and than small perturbations of θ̂ (it is the maximum-likelihood
// estimate of a concave problem).
func TestMaxCausalEntLikelihoodIsMaximal(t *testing.T) {
	m, b := featureGrid(t, nil)
	const horizon = 8
	d := demos(t, m, b, []float64{1, -1, 0.5}, 300, horizon, 7)
	res, err := irl.MaxCausalEnt(m, b, d, irl.Config{Tolerance: 1e-9, Iterations: 20000})
	if err != nil {
		t.Fatal(err)
	}
	loglik := func(theta []float64) float64 {
		soft, err := irl.SoftValueIteration(m, b.Reward(theta), horizon, m.Gamma)
		if err != nil {
			t.Fatal(err)
		}
		var l float64
		for _, tr := range d {
			g := 1.0
			for tt, s := range tr.States {
				l += g * math.Log(soft.Policy[(tt*m.S+s)*m.A+tr.Actions[tt]])
				g *= m.Gamma
			}
		}
		return l / float64(len(d))
	}
	best := loglik(res.Theta)
	if math.Abs(best-res.LogLikelihood) > 1e-9 {
		t.Errorf("reported log-likelihood %v, recomputed %v", res.LogLikelihood, best)
	}
	for k := range res.Theta {
		for _, eps := range []float64{-0.01, 0.01} {
			th := append([]float64(nil), res.Theta...)
			th[k] += eps
			if l := loglik(th); l > best+1e-12 {
				t.Errorf("θ̂ + %v·e_%d has log-likelihood %v > %v at θ̂", eps, k, l, best)
			}
		}
	}
	if l := loglik([]float64{1, -1, 0.5}); l > best {
		t.Errorf("the true θ has log-likelihood %v > %v at θ̂", l, best)
	}
}

// TestMaxCausalEntDeterministic: the same seed gives bit-identical results, another
// seed other demonstrations and another θ̂.
func TestMaxCausalEntDeterministic(t *testing.T) {
	m, b := featureGrid(t, nil)
	fit := func(seed uint64) []float64 {
		res, err := irl.MaxCausalEnt(m, b, demos(t, m, b, []float64{2, -3, 0.5}, 200, 10, seed), irl.Config{Iterations: 300})
		if err != nil {
			t.Fatal(err)
		}
		return res.Theta
	}
	a, again, other := fit(3), fit(3), fit(4)
	for k := range a {
		if math.Float64bits(a[k]) != math.Float64bits(again[k]) {
			t.Fatalf("seed 3 twice: θ̂ = %v and %v", a, again)
		}
	}
	same := true
	for k := range a {
		same = same && a[k] == other[k]
	}
	if same {
		t.Errorf("seeds 3 and 4 gave the same θ̂ %v", a)
	}
}

// TestMaxCausalEntSupportAndIdentifiability: demonstrations confined to the top
// row never see the goal or lava; the class says so. With a feature equal to
// another on every visited state, the report names the pair.
func TestMaxCausalEntSupportAndIdentifiability(t *testing.T) {
	start := make([]float64, 16)
	start[0] = 1
	m := grid(t, 4, 4, 0.9, start)
	// Features: "right" (column 3) and "corner" (cell 3 only) coincide on the
	// top row; "bottom" (row 3) is never reached by a policy that stays on top.
	names := []string{"right", "corner", "bottom"}
	phi := make([]float64, 16*3)
	for r := range 4 {
		phi[(r*4+3)*3+0] = 1
		phi[(12+r)*3+2] = 1
	}
	phi[3*3+1] = 1
	// A state-action basis on the visited states: restrict attention to actions
	// that stay on the top row by only demonstrating "right" moves.
	b, err := irl.StateFeatures(16, 5, names, phi)
	if err != nil {
		t.Fatal(err)
	}
	var d []irl.Trajectory
	for range 10 {
		d = append(d, irl.Trajectory{States: []int{0, 1, 2, 3}, Actions: []int{4, 4, 4, 0}})
	}
	res, err := irl.MaxCausalEnt(m, b, d, irl.Config{Iterations: 50})
	if err != nil {
		t.Fatal(err)
	}
	for s, ok := range res.Class.Support {
		if want := s < 4; ok != want {
			t.Errorf("support[%d] = %v, want %v", s, ok, want)
		}
	}
	if got := res.Class.Unvisited(); len(got) != 12 || got[0] != 4 {
		t.Errorf("unvisited = %v, want states 4 … 15", got)
	}
	if !res.Class.ActionSupport[0*5+4] || res.Class.ActionSupport[0*5+0] {
		t.Errorf("action support at state 0 = %v, want only action 4", res.Class.ActionSupport[:5])
	}
	ev := strings.Join(res.Class.Unidentified.Evidence(), "; ")
	for _, want := range []string{"right ~ corner, ρ = 1.00", "bottom is constant"} {
		if !strings.Contains(ev, want) {
			t.Errorf("identifiability evidence %q, want it to contain %q", ev, want)
		}
	}
	if res.Class.Invariance != irl.PotentialShaping {
		t.Errorf("invariance = %v", res.Class.Invariance)
	}
}

func TestMaxCausalEntErrors(t *testing.T) {
	m, b := featureGrid(t, nil)
	ok := []irl.Trajectory{{States: []int{0, 1}, Actions: []int{4, 4}}}
	small, _ := irl.StateFeatures(2, 5, []string{"x"}, []float64{0, 1})
	for _, tc := range []struct {
		name  string
		basis irl.Basis
		demos []irl.Trajectory
		cfg   irl.Config
		want  string
	}{
		{"basis size", small, ok, irl.Config{}, "basis is for S=2 A=5"},
		{"no demos", b, nil, irl.Config{}, "no demonstrations"},
		{"ragged", b, []irl.Trajectory{{States: []int{0}, Actions: []int{0}}, {States: []int{0, 1}, Actions: []int{0, 0}}}, irl.Config{}, "demonstration 1 has length 2"},
		{"actions", b, []irl.Trajectory{{States: []int{0, 1}, Actions: []int{0}}}, irl.Config{}, "2 states and 1 actions"},
		{"state range", b, []irl.Trajectory{{States: []int{16}, Actions: []int{0}}}, irl.Config{}, "demonstration 0 step 0: state 16"},
		{"action range", b, []irl.Trajectory{{States: []int{0}, Actions: []int{5}}}, irl.Config{}, "action 5"},
		{"learning rate", b, ok, irl.Config{LearningRate: -1}, "learning rate = -1"},
		{"L2", b, ok, irl.Config{L2: math.NaN()}, "L2 = NaN"},
		{"start", b, ok, irl.Config{Start: []float64{1}}, "start distribution has 1 entries"},
	} {
		_, err := irl.MaxCausalEnt(m, tc.basis, tc.demos, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	if _, err := irl.StateFeatures(16, 5, []string{"a", "a"}, make([]float64, 32)); err == nil || !strings.Contains(err.Error(), `"a" appears twice`) {
		t.Errorf("duplicate feature name: error %v", err)
	}
	if _, err := irl.StateFeatures(16, 5, []string{"a"}, make([]float64, 15)); err == nil || !strings.Contains(err.Error(), "15 entries, want 16 rows") {
		t.Errorf("short features: error %v", err)
	}
	if _, err := irl.Rollouts(m, func(int, int, *rand.Rand) int { return 9 }, 1, 3, rand.New(rand.NewPCG(1, 1))); err == nil ||
		!strings.Contains(err.Error(), "episode 0 step 0: the actor chose action 9") {
		t.Errorf("bad actor: error %v", err)
	}
}

// TestNextStateFeatures: φ(s,a) = Σ_s′ T(s,a,s′) φ(s′) on a deterministic grid is
// the feature of the cell moved into.
func TestNextStateFeatures(t *testing.T) {
	m := grid(t, 2, 2, 0.9, nil)
	b, err := irl.NextStateFeatures(m, []string{"cell3"}, []float64{0, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	// From state 1 (top-right), "down" (action 2) enters cell 3; "left" does not.
	if b.Phi[1*5+2] != 1 || b.Phi[1*5+3] != 0 || b.Phi[3*5+0] != 1 {
		t.Errorf("next-state features = %v", b.Phi)
	}
}
