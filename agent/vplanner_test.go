package agent_test

import (
	"math"
	"strings"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/task/mdp"
)

// corridor is a deterministic 5-cell corridor: actions 0 left, 1 right (walls
// keep the agent in place).
func corridor(t *testing.T) *mdp.MDP {
	t.Helper()
	const S, A = 5, 2
	T := make([]float64, S*A*S)
	for s := range S {
		T[(s*A+0)*S+max(s-1, 0)] = 1
		T[(s*A+1)*S+min(s+1, S-1)] = 1
	}
	m, err := mdp.New(S, A, T, make([]float64, S*A*S), 0.9, []float64{0, 0, 1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Features: "left-end" (cell 0) and "right-end" (cell 4).
var corridorFeatures = []float64{1, 0, 0, 0, 0, 0, 0, 0, 0, 1}

func TestVPlannerMatchesValueIteration(t *testing.T) {
	m := corridor(t)
	theta := []float64{0.4, 1}
	p, err := agent.NewVPlanner(m, []string{"left-end", "right-end"}, corridorFeatures, theta, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Independent computation: an MDP whose R(s,a,s′) = θ·φ(s′), solved by
	// mdp.ValueIteration.
	R := make([]float64, len(m.T))
	for i := range R {
		s2 := i % m.S
		R[i] = theta[0]*corridorFeatures[2*s2] + theta[1]*corridorFeatures[2*s2+1]
	}
	ref, err := mdp.New(m.S, m.A, m.T, R, m.Gamma, m.Start)
	if err != nil {
		t.Fatal(err)
	}
	qstar, _, _, err := ref.ValueIteration(1e-12, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range qstar {
		if math.Abs(p.Q()[i]-q) > 1e-9 {
			t.Fatalf("Q_θ = %v, value iteration gives %v", p.Q(), qstar)
		}
	}
	// From the middle the right end (weight 1) beats the left end (0.4).
	if a := p.Act(2); a != 1 {
		t.Errorf("Act(2) = %d, want right", a)
	}
	// As a Mesa: g_x = Q_θ(x, ·), φ = id, and the induced utility is Q_θ.
	u := mesalab.Induce[int, int, int](p).InducedUtility(2, []int{0, 1})
	if u[0] != p.Objective(2, 0) || u[1] != p.Objective(2, 1) {
		t.Errorf("induced utility %v, Q_θ(2,·) = %v", u, p.Q()[4:6])
	}
}

func TestVPlannerSwapAndDepth(t *testing.T) {
	m := corridor(t)
	p, err := agent.NewVPlanner(m, []string{"left-end", "right-end"}, corridorFeatures, []float64{0.4, 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var _ compare.Swappable[int, int, int] = p // VPlanner plugs into compare.Swap
	left, err := p.WithObjective([]float64{1, 0})
	if err != nil {
		t.Fatal(err)
	}
	if a := left.Act(2); a != 0 {
		t.Errorf("swapped to left-end: Act(2) = %d, want left", a)
	}
	if got := p.ObjectiveParams(); got[0] != 0.4 || got[1] != 1 {
		t.Errorf("the swap changed the original: θ = %v", got)
	}
	// Depth 1 from cell 2: neither end is within one step, Q ties at 0 and the
	// lowest action (left) wins; depth 2 sees the right end.
	shallow, err := p.WithDepth(1)
	if err != nil {
		t.Fatal(err)
	}
	if a := shallow.Act(2); a != 0 || shallow.Objective(2, 0) != 0 || shallow.Objective(2, 1) != 0 {
		t.Errorf("depth 1: Act(2) = %d, Q = %v, want left on a tie at 0", a, shallow.Q()[4:6])
	}
	deeper, err := p.WithDepth(2)
	if err != nil {
		t.Fatal(err)
	}
	if a := deeper.Act(2); a != 1 || math.Abs(deeper.Objective(2, 1)-0.9) > 1e-12 {
		t.Errorf("depth 2: Act(2) = %d, Q(2,right) = %v, want right with 0.9", a, deeper.Objective(2, 1))
	}
	if deeper.Depth() != 2 || len(deeper.Policy()) != 5 {
		t.Errorf("depth %d, policy %v", deeper.Depth(), deeper.Policy())
	}
}

func TestVPlannerErrors(t *testing.T) {
	m := corridor(t)
	names := []string{"left-end", "right-end"}
	for _, tc := range []struct {
		name  string
		m     *mdp.MDP
		phi   []float64
		theta []float64
		depth int
		want  string
	}{
		{"nil", nil, corridorFeatures, []float64{1, 1}, 0, "MDP is nil"},
		{"features", m, corridorFeatures[:9], []float64{1, 1}, 0, "features have 9 entries, want S·F = 5·2 = 10"},
		{"theta", m, corridorFeatures, []float64{1}, 0, "1 goal weights, want one per feature (2"},
		{"NaN", m, corridorFeatures, []float64{1, math.NaN()}, 0, `weight of "right-end" = NaN`},
		{"depth", m, corridorFeatures, []float64{1, 1}, -1, "depth -1"},
	} {
		_, err := agent.NewVPlanner(tc.m, names, tc.phi, tc.theta, tc.depth)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

// BenchmarkVPlannerPlan13x13 plans to convergence (γ = 0.9) on a 13×13 open
// gridworld with five actions: one WithTheta, the work of every swap.
func BenchmarkVPlannerPlan13x13(b *testing.B) {
	const w, S, A = 13, 169, 5
	T := make([]float64, S*A*S)
	moves := [5][2]int{{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}}
	for s := range S {
		for a, mv := range moves {
			r, c := s/w+mv[0], s%w+mv[1]
			if r < 0 || r >= w || c < 0 || c >= w {
				r, c = s/w, s%w
			}
			T[(s*A+a)*S+r*w+c] = 1
		}
	}
	start := make([]float64, S)
	start[0] = 1
	m, err := mdp.New(S, A, T, make([]float64, len(T)), 0.9, start)
	if err != nil {
		b.Fatal(err)
	}
	phi := make([]float64, S*2)
	phi[(S-1)*2] = 1
	phi[(S/2)*2+1] = 1
	p, err := agent.NewVPlanner(m, []string{"goal", "lava"}, phi, []float64{1, -1}, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.WithTheta([]float64{1, -1}); err != nil {
			b.Fatal(err)
		}
	}
}
