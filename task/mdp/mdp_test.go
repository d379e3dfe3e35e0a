package mdp

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// chain is a 3-state, 2-action MDP with one stochastic transition: from state 0,
// action 1 reaches state 2 with probability 0.8 and stays with 0.2; state 2 pays 1
// per step while staying (action 0) and action 1 returns to 0.
func chain(t *testing.T) *MDP {
	t.Helper()
	const S, A = 3, 2
	T := make([]float64, S*A*S)
	R := make([]float64, S*A*S)
	set := func(s, a, n int, p, r float64) { T[(s*A+a)*S+n] = p; R[(s*A+a)*S+n] = r }
	set(0, 0, 1, 1, 0.2)
	set(0, 1, 2, 0.8, 0)
	set(0, 1, 0, 0.2, 0)
	set(1, 0, 0, 1, 0)
	set(1, 1, 1, 1, 0.1)
	set(2, 0, 2, 1, 1)
	set(2, 1, 0, 1, 0)
	m, err := New(S, A, T, R, 0.9, []float64{1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Value iteration's Q* agrees with the exact linear-solve evaluation of its own
// greedy policy, and V* satisfies the Bellman optimality equation.
func TestValueIterationAgreesWithPolicyEvaluation(t *testing.T) {
	m := chain(t)
	q, v, _, err := m.ValueIteration(1e-12, 100000)
	if err != nil {
		t.Fatal(err)
	}
	vpi, qpi, err := m.Evaluate(m.Deterministic(m.Greedy(q)))
	if err != nil {
		t.Fatal(err)
	}
	for s := range m.S {
		if d := math.Abs(v[s] - vpi[s]); d > 1e-9 {
			t.Errorf("V*(%d) = %v by value iteration, %v by linear solve (diff %g)", s, v[s], vpi[s], d)
		}
	}
	for i := range q {
		if d := math.Abs(q[i] - qpi[i]); d > 1e-9 {
			t.Errorf("Q*[%d] = %v vs Q^π = %v", i, q[i], qpi[i])
		}
	}
	// Closed form for state 2: staying forever pays 1/(1−γ) = 10.
	if math.Abs(v[2]-10) > 1e-9 {
		t.Errorf("V*(2) = %v, want 10", v[2])
	}
}

// Policy evaluation of a uniformly random policy on a one-state MDP has the closed
// form r̄/(1−γ).
func TestEvaluateClosedForm(t *testing.T) {
	m, err := New(1, 2, []float64{1, 1}, []float64{1, 3}, 0.5, []float64{1})
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := m.Evaluate([]float64{0.5, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 / (1 - 0.5); math.Abs(v[0]-want) > 1e-12 {
		t.Fatalf("V = %v, want %v", v[0], want)
	}
}

// Q-learning with exploration from every state reaches Q* within 1e-3 on a
// deterministic MDP, and the same seed gives the same table bit for bit.
func TestQLearningConvergesToQStar(t *testing.T) {
	const S, A = 3, 2
	T := make([]float64, S*A*S)
	R := make([]float64, S*A*S)
	set := func(s, a, n int, r float64) { T[(s*A+a)*S+n] = 1; R[(s*A+a)*S+n] = r }
	set(0, 0, 0, 0)
	set(0, 1, 1, 0)
	set(1, 0, 0, 0)
	set(1, 1, 1, 1)
	set(2, 0, 2, 0.5)
	set(2, 1, 1, 0)
	m, err := New(S, A, T, R, 0.9, []float64{1. / 3, 1. / 3, 1. / 3})
	if err != nil {
		t.Fatal(err)
	}
	qstar, _, _, err := m.ValueIteration(1e-12, 10000)
	if err != nil {
		t.Fatal(err)
	}
	learn := QLearning{Episodes: 2000, Horizon: 50, Epsilon: 0.3, Alpha: 0.5}
	q, tr, err := learn.Run(m, rand.New(rand.NewPCG(7, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range q {
		if d := math.Abs(q[i] - qstar[i]); d > 1e-3 {
			t.Errorf("Q[%d] = %v, Q* = %v: error %g > 1e-3", i, q[i], qstar[i], d)
		}
	}
	if tr.Steps != 2000*50 {
		t.Errorf("steps = %d, want %d", tr.Steps, 2000*50)
	}
	q2, _, _ := learn.Run(m, rand.New(rand.NewPCG(7, 1)))
	for i := range q {
		if q[i] != q2[i] {
			t.Fatalf("same seed, different Q[%d]: %v vs %v", i, q[i], q2[i])
		}
	}
}

// Q-learning with a Robbins–Monro step size also converges on the stochastic chain.
func TestQLearningStochastic(t *testing.T) {
	m := chain(t)
	m, _ = m.WithStart([]float64{1. / 3, 1. / 3, 1. / 3})
	qstar, _, _, _ := m.ValueIteration(1e-12, 100000)
	learn := QLearning{Episodes: 4000, Horizon: 100, Epsilon: 0.5, Alpha: 1, AlphaPower: 0.6}
	q, _, err := learn.Run(m, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range q {
		if d := math.Abs(q[i] - qstar[i]); d > 0.05 {
			t.Errorf("Q[%d] = %v, Q* = %v: error %g > 0.05", i, q[i], qstar[i], d)
		}
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	okT := []float64{1, 0, 0, 1}
	okR := []float64{0, 0, 0, 0}
	nan := math.NaN()
	tests := []struct {
		name  string
		S, A  int
		T, R  []float64
		gamma float64
		start []float64
		want  string
	}{
		{"row not stochastic", 2, 1, []float64{1, 0, 0.5, 0.4}, okR, 0.9, []float64{1, 0}, "row T[s=1][a=0][·] sums to 0.9"},
		{"NaN probability", 2, 1, []float64{nan, 1, 0, 1}, okR, 0.9, []float64{1, 0}, "T[s=0][a=0][s′=0] = NaN"},
		{"negative probability", 2, 1, []float64{1.5, -0.5, 0, 1}, okR, 0.9, []float64{1, 0}, "T[s=0][a=0][s′=1] = -0.5"},
		{"NaN reward", 2, 1, okT, []float64{0, 0, nan, 0}, 0.9, []float64{1, 0}, "R[s=1][a=0][s′=0] = NaN"},
		{"infinite reward", 2, 1, okT, []float64{0, math.Inf(1), 0, 0}, 0.9, []float64{1, 0}, "R[s=0][a=0][s′=1] = +Inf"},
		{"wrong T shape", 2, 1, []float64{1, 0, 1}, okR, 0.9, []float64{1, 0}, "T has 3 entries, want S·A·S = 2·1·2 = 4"},
		{"gamma 1", 2, 1, okT, okR, 1, []float64{1, 0}, "discount γ = 1"},
		{"start sum", 2, 1, okT, okR, 0.9, []float64{0.5, 0.4}, "start distribution sums to 0.9"},
		{"no states", 0, 1, nil, nil, 0.9, nil, "need at least one state"},
		{"absurd size", 1 << 20, 1 << 20, nil, nil, 0.9, nil, "exceeds the limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.S, tc.A, tc.T, tc.R, tc.gamma, tc.start)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
