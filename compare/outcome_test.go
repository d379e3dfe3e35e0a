package compare

import (
	"math"
	"strings"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/agent"
)

// A two-task bandit: u*(x)(a) given by a table; the mesa's Q-table disagrees on
// task 1 only.
func bandit() (*mesalab.Decomposition[int, int], agent.GreedyQ, *mesalab.Enumerated[int]) {
	ustar := [][]float64{{0, 1, 3}, {2, 0, 1}}
	nu := mesalab.Uniform("nu", []int{0, 1})
	d := &mesalab.Decomposition[int, int]{
		Tasks:   nu,
		Outputs: func(int) []int { return []int{0, 1, 2} },
		Utility: func(x, a int) float64 { return ustar[x][a] },
	}
	// Task 0: Q ranks like u* (scaled and shifted). Task 1: Q prefers action 2.
	q := agent.GreedyQ{Q: []float64{10, 12, 16, 0, 0, 5}, Actions: 3}
	return d, q, nu
}

func TestMesaComparisonByHand(t *testing.T) {
	d, q, nu := bandit()
	c := Mesa(d, q, Options{TaskSpace: 2}, nu)[0]
	if c.Incomparable != nil {
		t.Fatal(c.Incomparable)
	}
	// Task 0 agrees; task 1 picks action 2: regret 2 − 1 = 1, range 2.
	if c.Agreement != 0.5 || c.Regret != 0.5 || c.NormalizedRegret != 0.25 || c.Coverage != 1 || c.Tasks != 2 {
		t.Fatalf("got %v, want agreement 0.5, regret 0.5, normalized 0.25, coverage 1, tasks 2", c)
	}
	// Distance by an independent computation: centre each task, pool with equal
	// weights, Pearson.
	u := []float64{0, 1, 3, 2, 0, 1}
	v := []float64{10, 12, 16, 0, 0, 5}
	var xs, ys []float64
	for task := range 2 {
		mu := (u[3*task] + u[3*task+1] + u[3*task+2]) / 3
		mv := (v[3*task] + v[3*task+1] + v[3*task+2]) / 3
		for k := range 3 {
			xs = append(xs, u[3*task+k]-mu)
			ys = append(ys, v[3*task+k]-mv)
		}
	}
	var sxy, sxx, syy float64
	for i := range xs {
		sxy += xs[i] * ys[i]
		sxx += xs[i] * xs[i]
		syy += ys[i] * ys[i]
	}
	want := math.Sqrt((1 - sxy/math.Sqrt(sxx*syy)) / 2)
	if math.Abs(c.Distance-want) > 1e-12 {
		t.Fatalf("distance = %v, want %v", c.Distance, want)
	}
}

// Per-task shifts and one positive scale of the mesa-objective leave the distance
// at 0 (EPIC with γ = 0 is invariant to them; a scale that differs per task is not
// an invariance of the pooled correlation).
func TestDistanceInvariantToPositiveAffinePerTask(t *testing.T) {
	d, _, nu := bandit()
	q := agent.GreedyQ{Q: []float64{5, 7, 11, 2*2 - 9, 2*0 - 9, 2*1 - 9}, Actions: 3}
	c := Mesa(d, q, Options{}, nu)[0]
	if c.Distance > 1e-7 || c.Agreement != 1 || c.Regret != 0 {
		t.Fatalf("affinely transformed utility: %v, want distance 0 and full agreement", c)
	}
}

// Without a decomposition the comparison is incomparable and says which bridge is
// missing; a reactive system has no mesa-objective to compare.
func TestIncomparable(t *testing.T) {
	_, q, nu := bandit()
	c := Mesa[int, int, int](nil, q, Options{}, nu)[0]
	if c.Incomparable == nil || !strings.Contains(strings.Join(c.Incomparable.Missing, ";"), "decomposition of the base objective") {
		t.Fatalf("no decomposition: got %v, want incomparable naming the decomposition", c)
	}
	d, _, _ := bandit()
	c = System[int, int](d, reactive{}, Options{}, nu)[0]
	if c.Incomparable == nil || !strings.Contains(c.Incomparable.Missing[0], "not a mesa-optimizer") {
		t.Fatalf("reactive system: got %v, want incomparable naming the missing mesa-objective", c)
	}
}

type reactive struct{}

func (reactive) Act(int) int { return 0 }

func TestPearsonDegenerateCases(t *testing.T) {
	tests := []struct {
		name string
		u, v []float64
		want float64
	}{
		{"both constant", []float64{1, 1, 1}, []float64{2, 2, 2}, 0},
		{"one constant", []float64{1, 1, 1}, []float64{0, 1, 2}, math.Sqrt(0.5)},
		{"opposite", []float64{0, 1, 2}, []float64{2, 1, 0}, 1},
		{"equal", []float64{0, 1, 5}, []float64{0, 1, 5}, 0},
		{"undecodable output left out", []float64{0, 1, 2}, []float64{0, 1, math.Inf(-1)}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a Accumulator
			a.AddCentred(tc.u, tc.v, 1)
			if got := a.Distance(); math.IsNaN(got) || math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("distance = %v, want %v", got, tc.want)
			}
		})
	}
}
