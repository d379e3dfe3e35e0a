package irl_test

import (
	"math"
	"strings"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/irl"
)

// lookup is a reactive policy: a table from state to action. It searches nothing
// and exposes no objective.
type lookup []int

func (l lookup) Act(s int) int { return l[s] }

func actions3(int) []int { return []int{0, 1, 2} }

func TestArgmaxClass(t *testing.T) {
	pol := lookup{2, 0, 1}
	c, err := irl.ArgmaxClass(irl.Observe[int, int](pol, []int{0, 1}), actions3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		task int
		u    []float64
		want bool
	}{
		{0, []float64{0, 0, 1}, true},      // the representative
		{0, []float64{-5, 3, 7}, true},     // any u with action 2 on top
		{0, []float64{1, 1, 1}, true},      // a tie that includes action 2
		{0, []float64{0, 2, 1}, false},     // action 1 preferred
		{1, []float64{10, 9, -1}, true},    // task 1 chose action 0
		{1, []float64{0, 1e-12, 0}, true},  // within tol
		{1, []float64{0, 1e-3, 0}, false},  // beyond tol
		{2, []float64{100, -100, 0}, true}, // unobserved: anything goes
		{0, []float64{0, 1}, false},        // wrong length
		{1, []float64{3, 1, math.Inf(-1)}, true},
	} {
		if got := c.Contains(tc.task, tc.u, 1e-9); got != tc.want {
			t.Errorf("task %d, u=%v: contains = %v, want %v", tc.task, tc.u, got, tc.want)
		}
	}
	if got := c.Utility(0, []int{0, 1, 2}); got[0] != 0 || got[1] != 0 || got[2] != 1 {
		t.Errorf("representative on task 0 = %v, want (0, 0, 1)", got)
	}
	if got := c.Utility(2, []int{0, 1, 2}); !math.IsInf(got[0], -1) {
		t.Errorf("representative on the unobserved task = %v, want −∞ (no evidence)", got)
	}
	if c.Observed(2) || !c.Observed(1) || len(c.Tasks()) != 2 {
		t.Errorf("support = %v", c.Tasks())
	}
	// Non-deterministic behaviour and foreign outputs are errors.
	if _, err := irl.ArgmaxClass([]irl.Choice[int, int]{{0, 1}, {0, 2}}, actions3); err == nil ||
		!strings.Contains(err.Error(), "not deterministic") {
		t.Errorf("two outputs for one task: error %v", err)
	}
	if _, err := irl.ArgmaxClass([]irl.Choice[int, int]{{0, 7}}, actions3); err == nil ||
		!strings.Contains(err.Error(), "output 7 is not among the 3 outputs") {
		t.Errorf("unknown output: error %v", err)
	}
}

func TestBoltzmannClass(t *testing.T) {
	const beta = 2.0
	u := map[int][]float64{0: {1, 0, -1}, 1: {0.5, 0.5, 3}}
	prob := func(x int) []float64 {
		p := make([]float64, 3)
		var z float64
		for k, v := range u[x] {
			p[k] = math.Exp(beta * v)
			z += p[k]
		}
		for k := range p {
			p[k] /= z
		}
		return p
	}
	c, err := irl.BoltzmannClass([]int{0, 1}, actions3, prob, beta)
	if err != nil {
		t.Fatal(err)
	}
	shift := func(v []float64, c float64) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = x + c
		}
		return out
	}
	for _, tc := range []struct {
		task int
		u    []float64
		want bool
	}{
		{0, u[0], true},
		{0, shift(u[0], 42), true},                // per-task constant
		{1, shift(u[1], -3), true},                // another constant on another task
		{0, []float64{2, 0, -2}, false},           // rescaled: β is known, so scale matters
		{0, []float64{1, -1, 0}, false},           // reordered
		{1, shift(u[1], 1e-12), true},             // rounding
		{1, []float64{0.5, 0.5, 3 + 1e-6}, false}, // beyond tol
	} {
		if got := c.Contains(tc.task, tc.u, 1e-9); got != tc.want {
			t.Errorf("task %d, u=%v: contains = %v, want %v", tc.task, tc.u, got, tc.want)
		}
	}
	// The representative is u centred per task.
	rep := c.Utility(1, []int{0, 1, 2})
	for k, want := range []float64{0.5 - 4.0/3, 0.5 - 4.0/3, 3 - 4.0/3} {
		if math.Abs(rep[k]-want) > 1e-12 {
			t.Errorf("representative on task 1 = %v, want centred u", rep)
		}
	}
	if _, err := irl.BoltzmannClass([]int{0}, actions3, func(int) []float64 { return []float64{1, 0, 0} }, beta); err == nil ||
		!strings.Contains(err.Error(), "output 1 has probability 0") {
		t.Errorf("zero probability: error %v", err)
	}
	if _, err := irl.BoltzmannClass([]int{0}, actions3, prob, 0); err == nil || !strings.Contains(err.Error(), "β = 0") {
		t.Errorf("β = 0: error %v", err)
	}
}

// TestReactivePolicyBehavioralObjective: a reactive policy has no mesa-objective,
// so comparing it with a decomposed base objective is incomparable; its
// behavioral objective (the argmax class of what it does) is comparable, and the
// comparison's numbers are the closed form.
func TestReactivePolicyBehavioralObjective(t *testing.T) {
	qstar := [][]float64{{8.1, 9}, {8.1, 10}, {8.6, 9}} // td0-3state's Q*
	states := mesalab.Uniform("all-states", []int{0, 1, 2})
	bridge := &mesalab.Decomposition[int, int]{
		Tasks:   states,
		Outputs: func(int) []int { return []int{0, 1} },
		Utility: func(s, a int) float64 { return qstar[s][a] },
	}
	pol := lookup{1, 1, 0} // right, right, left: wrong on "isolated"
	direct := compare.System[int, int](bridge, pol, compare.Options{TaskSpace: 3}, states)[0]
	if direct.Incomparable == nil || !strings.Contains(strings.Join(direct.Incomparable.Missing, ";"), "not a mesa-optimizer") {
		t.Fatalf("direct comparison = %v, want incomparable: not a mesa-optimizer", direct)
	}
	class, err := irl.ArgmaxClass(irl.Observe[int, int](pol, []int{0, 1, 2}), bridge.Outputs)
	if err != nil {
		t.Fatal(err)
	}
	c := compare.System(bridge, class.Induced(pol), compare.Options{TaskSpace: 3}, states)[0]
	if c.Incomparable != nil {
		t.Fatalf("behavioral comparison incomparable: %v", c.Incomparable)
	}
	// Agreement 2/3; regret (0 + 0 + 0.4)/3; normalised regret 1/3.
	if math.Abs(c.Agreement-2.0/3) > 1e-12 || math.Abs(c.Regret-0.4/3) > 1e-12 || math.Abs(c.NormalizedRegret-1.0/3) > 1e-12 {
		t.Errorf("comparison = %v, want agreement 2/3, regret 0.1333, normalised regret 1/3", c)
	}
	// Distance: per-task centred Q* = (∓0.45, ∓0.95, ∓0.2), representative
	// (∓0.5) with the sign flipped on the third task: weighted Pearson by hand.
	x := []float64{-0.45, 0.45, -0.95, 0.95, -0.2, 0.2}
	y := []float64{-0.5, 0.5, -0.5, 0.5, 0.5, -0.5}
	var sxy, sxx, syy float64
	for i := range x {
		sxy += x[i] * y[i]
		sxx += x[i] * x[i]
		syy += y[i] * y[i]
	}
	want := math.Sqrt((1 - sxy/math.Sqrt(sxx*syy)) / 2)
	if math.Abs(c.Distance-want) > 1e-12 {
		t.Errorf("distance = %v, want %v", c.Distance, want)
	}
}
