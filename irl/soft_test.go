package irl_test

import (
	"math"
	"strings"
	"testing"

	"github.com/mesalab/mesalab/irl"
	"github.com/mesalab/mesalab/task/mdp"
)

// twoState is a deterministic 2-state MDP: action 0 stays, action 1 switches.
func twoState(t testing.TB) *mdp.MDP {
	t.Helper()
	T := []float64{
		1, 0, 0, 1, // s=0: stay→0, switch→1
		0, 1, 1, 0, // s=1: stay→1, switch→0
	}
	m, err := mdp.New(2, 2, T, make([]float64, 8), 0.9, []float64{1, 0})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func lse(xs ...float64) float64 {
	hi := math.Inf(-1)
	for _, x := range xs {
		hi = math.Max(hi, x)
	}
	var z float64
	for _, x := range xs {
		z += math.Exp(x - hi)
	}
	return hi + math.Log(z)
}

// TestSoftValueIterationOneStep: with H = 1, V_0(s) = log Σ_a exp r(s,a) and π is
// the softmax of r.
func TestSoftValueIterationOneStep(t *testing.T) {
	m := twoState(t)
	for _, r := range [][]float64{{0, 0, 0, 0}, {1, 2, -3, 0.5}, {100, 101, -50, -49}} {
		soft, err := irl.SoftValueIteration(m, r, 1, 0.9)
		if err != nil {
			t.Fatal(err)
		}
		for s := range 2 {
			want := lse(r[2*s], r[2*s+1])
			if got := soft.V[s]; math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("r=%v: V_0(%d) = %v, want log Σ exp = %v", r, s, got, want)
			}
			for a := range 2 {
				want := math.Exp(r[2*s+a] - lse(r[2*s], r[2*s+1]))
				if got := soft.Policy[2*s+a]; math.Abs(got-want) > 1e-12 {
					t.Errorf("r=%v: π_0(%d|%d) = %v, want %v", r, a, s, got, want)
				}
			}
		}
	}
}

// TestSoftValueIterationTwoStep checks H = 2 on the 2-state MDP against the
// closed form written out by hand:
//
//	V_1(s)   = log(e^{r(s,stay)} + e^{r(s,switch)})
//	Q_0(s,a) = r(s,a) + γ V_1(next(s,a)),   V_0(s) = log Σ_a e^{Q_0(s,a)}.
func TestSoftValueIterationTwoStep(t *testing.T) {
	m := twoState(t)
	r := []float64{0.3, -1, 2, 0.1} // r(0,stay), r(0,switch), r(1,stay), r(1,switch)
	for _, gamma := range []float64{0, 0.5, 1} {
		soft, err := irl.SoftValueIteration(m, r, 2, gamma)
		if err != nil {
			t.Fatal(err)
		}
		v1 := []float64{lse(0.3, -1), lse(2, 0.1)}
		q0 := []float64{0.3 + gamma*v1[0], -1 + gamma*v1[1], 2 + gamma*v1[1], 0.1 + gamma*v1[0]}
		v0 := []float64{lse(q0[0], q0[1]), lse(q0[2], q0[3])}
		for s := range 2 {
			if got := soft.V[s]; math.Abs(got-v0[s]) > 1e-12 {
				t.Errorf("γ=%v: V_0(%d) = %.15f, want %.15f", gamma, s, got, v0[s])
			}
			if got := soft.V[2+s]; math.Abs(got-v1[s]) > 1e-12 {
				t.Errorf("γ=%v: V_1(%d) = %.15f, want %.15f", gamma, s, got, v1[s])
			}
			if got := soft.V[4+s]; got != 0 {
				t.Errorf("γ=%v: V_2(%d) = %v, want 0", gamma, s, got)
			}
			for a := range 2 {
				if got := soft.Q[2*s+a]; math.Abs(got-q0[2*s+a]) > 1e-12 {
					t.Errorf("γ=%v: Q_0(%d,%d) = %v, want %v", gamma, s, a, got, q0[2*s+a])
				}
			}
		}
	}
}

// TestSoftValueIterationLowTemperature: scaling the reward by a large β makes soft
// value iteration approach hard value iteration, V_0/β → V*_0 (finite horizon).
func TestSoftValueIterationLowTemperature(t *testing.T) {
	m := grid(t, 3, 3, 0.9, nil)
	r := make([]float64, m.S*m.A)
	for a := range m.A {
		r[8*m.A+a] = 1 // reward for acting in the corner
	}
	const H, beta = 6, 1e5
	scaled := make([]float64, len(r))
	for i, x := range r {
		scaled[i] = beta * x
	}
	soft, err := irl.SoftValueIteration(m, scaled, H, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	// Hard finite-horizon values: from s at Manhattan distance d to the corner the
	// agent collects Σ_{k=d}^{H−1} 0.9^k.
	for s := range m.S {
		d := (2 - s/3) + (2 - s%3)
		var want float64
		for k := d; k < H; k++ {
			want += math.Pow(0.9, float64(k))
		}
		if got := soft.V[s] / beta; math.Abs(got-want) > 1e-3 {
			t.Errorf("V_0(%d)/β = %v, want V*_0 = %v", s, got, want)
		}
	}
}

func TestVisitation(t *testing.T) {
	m := twoState(t)
	// Always switch: the walk alternates 0, 1, 0, …
	pi := []float64{0, 1, 0, 1}
	rho, err := irl.Visitation(m, pi, []float64{1, 0}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0}
	for i := range want {
		if rho[i] != want[i] {
			t.Fatalf("visitation = %v, want %v", rho, want)
		}
	}
	// A time-indexed soft policy: each step's visitation sums to 1.
	soft, err := irl.SoftValueIteration(grid(t, 3, 3, 0.9, nil), make([]float64, 45), 4, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	g := grid(t, 3, 3, 0.9, nil)
	rho, err = irl.Visitation(g, soft.Policy, g.Start, 4)
	if err != nil {
		t.Fatal(err)
	}
	for tt := range 4 {
		var sum float64
		for _, p := range rho[tt*45 : (tt+1)*45] {
			sum += p
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("step %d: visitation sums to %v, want 1", tt, sum)
		}
	}
}

func TestSoftErrors(t *testing.T) {
	m := twoState(t)
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"horizon", func() error { _, err := irl.SoftValueIteration(m, make([]float64, 4), 0, 0.9); return err }, "horizon 0"},
		{"discount", func() error { _, err := irl.SoftValueIteration(m, make([]float64, 4), 2, 1.5); return err }, "discount 1.5"},
		{"reward length", func() error { _, err := irl.SoftValueIteration(m, make([]float64, 3), 2, 0.9); return err }, "reward has 3 entries"},
		{"reward NaN", func() error {
			_, err := irl.SoftValueIteration(m, []float64{0, math.NaN(), 0, 0}, 2, 0.9)
			return err
		}, "reward[1] = NaN"},
		{"nil MDP", func() error { _, err := irl.SoftValueIteration(nil, nil, 2, 0.9); return err }, "MDP is nil"},
		{"policy row", func() error {
			_, err := irl.Visitation(m, []float64{0.5, 0.4, 0, 1}, []float64{1, 0}, 2)
			return err
		}, "policy row 0 (t=0, s=0) sums to 0.9"},
		{"policy size", func() error { _, err := irl.Visitation(m, []float64{1, 0}, []float64{1, 0}, 2); return err }, "policy has 2 entries"},
		{"start", func() error { _, err := irl.Visitation(m, []float64{1, 0, 1, 0}, []float64{0.5, 0}, 2); return err }, "start distribution sums to 0.5"},
	} {
		err := tc.run()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}
