package agent

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/task/mdp"
)

// VPlanner is an explicit planning mesa-optimizer on a tabular MDP with a
// parameterised objective. Its goal is a reward over the features of the state
// entered,
//
//	r_θ(s, a, s′) = θ · φ(s′),
//
// the mesa-objective whose weights θ a base optimizer selects. On every task (a
// state x) it plans by value iteration for r_θ on the MDP's transitions and
// discount (m.R is ignored: the planner does not see the base reward), then acts
// greedily: Σ_x = the actions, g_x(a) = Q_θ(x, a), φ = id, ties to the lowest
// action as in [mdp.Argmax].
//
// Depth limits the search: Depth = k plans k steps ahead (k sweeps of value
// iteration from V = 0, i.e. the k-step optimal Q); Depth = 0 plans to
// convergence. Plans are computed once, when the planner is made.
type VPlanner struct {
	m     *mdp.MDP
	names []string
	phi   []float64 // S × F
	theta []float64
	depth int
	q     []float64 // Q_θ, flat S·A
	// The transitions as sparse rows, shared by every copy: row sa holds
	// entries off[sa] … off[sa+1]−1 of next and prob.
	off  []int
	next []int
	prob []float64
}

// MaxPlanningSweeps bounds value iteration to convergence (Depth = 0).
const MaxPlanningSweeps = 100000

// NewVPlanner makes a planner on m with state features phi (S × F, C order, named
// by names), goal weights theta (F entries) and planning depth (0: to
// convergence).
func NewVPlanner(m *mdp.MDP, names []string, phi, theta []float64, depth int) (*VPlanner, error) {
	if m == nil {
		return nil, fmt.Errorf("vplanner: MDP is nil")
	}
	F := len(names)
	if F == 0 {
		return nil, fmt.Errorf("vplanner: no features")
	}
	if len(phi) != m.S*F {
		return nil, fmt.Errorf("vplanner: features have %d entries, want S·F = %d·%d = %d", len(phi), m.S, F, m.S*F)
	}
	for i, x := range phi {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("vplanner: feature %q of state %d = %v, want a finite number", names[i%F], i/F, x)
		}
	}
	if depth < 0 || depth > MaxPlanningSweeps {
		return nil, fmt.Errorf("vplanner: depth %d, want 0 (to convergence) … %d", depth, MaxPlanningSweeps)
	}
	p := &VPlanner{m: m, names: names, phi: phi, depth: depth, off: make([]int, m.S*m.A+1)}
	for sa := range m.S * m.A {
		for s2, pr := range m.T[sa*m.S : (sa+1)*m.S] {
			if pr > 0 {
				p.next = append(p.next, s2)
				p.prob = append(p.prob, pr)
			}
		}
		p.off[sa+1] = len(p.next)
	}
	return p.WithTheta(theta)
}

// WithTheta returns a planner identical to p but for the goal weights theta, with
// its plans recomputed.
func (p *VPlanner) WithTheta(theta []float64) (*VPlanner, error) {
	if len(theta) != len(p.names) {
		return nil, fmt.Errorf("vplanner: %d goal weights, want one per feature (%d: %v)", len(theta), len(p.names), p.names)
	}
	for k, x := range theta {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("vplanner: weight of %q = %v, want a finite number", p.names[k], x)
		}
	}
	c := *p
	c.theta = append([]float64(nil), theta...)
	q, err := c.plan()
	if err != nil {
		return nil, err
	}
	c.q = q
	return &c, nil
}

// WithDepth returns the planner with another planning depth (0: to convergence).
func (p *VPlanner) WithDepth(depth int) (*VPlanner, error) {
	if depth < 0 || depth > MaxPlanningSweeps {
		return nil, fmt.Errorf("vplanner: depth %d, want 0 (to convergence) … %d", depth, MaxPlanningSweeps)
	}
	c := *p
	c.depth = depth
	return c.WithTheta(p.theta)
}

// plan runs value iteration for r_θ: depth sweeps, or to convergence (sup-norm
// change below 1e-12·(1−γ)/γ, which bounds the error of V by 1e-12).
func (p *VPlanner) plan() ([]float64, error) {
	m, F := p.m, len(p.names)
	reward := make([]float64, m.S) // θ · φ(s′)
	for s := range m.S {
		for k := range F {
			reward[s] += p.theta[k] * p.phi[s*F+k]
		}
	}
	// Q(s,a) = Σ_s′ T(s,a,s′) (θ·φ(s′) + γ V(s′)).
	q := make([]float64, m.S*m.A)
	v := make([]float64, m.S)
	backup := func() float64 {
		for sa := range q {
			var x float64
			for k := p.off[sa]; k < p.off[sa+1]; k++ {
				s2 := p.next[k]
				x += p.prob[k] * (reward[s2] + m.Gamma*v[s2])
			}
			q[sa] = x
		}
		var delta float64
		for s := range m.S {
			best := mdp.MaxRow(q[s*m.A : (s+1)*m.A])
			delta = math.Max(delta, math.Abs(best-v[s]))
			v[s] = best
		}
		return delta
	}
	if p.depth > 0 {
		for range p.depth {
			backup()
		}
		return q, nil
	}
	stop := 1e-12
	if m.Gamma > 0 {
		stop *= (1 - m.Gamma) / m.Gamma
	}
	for range MaxPlanningSweeps {
		if backup() <= stop {
			backup()
			return q, nil
		}
	}
	return nil, fmt.Errorf("vplanner: value iteration did not converge in %d sweeps", MaxPlanningSweeps)
}

// Act returns argmax_a Q_θ(x, a), the lowest action on ties.
func (p *VPlanner) Act(x int) int { return mdp.Argmax(p.q[x*p.m.A : (x+1)*p.m.A]) }

// Candidates returns Σ_x = {0, …, A−1}.
func (p *VPlanner) Candidates(int) []int {
	c := make([]int, p.m.A)
	for i := range c {
		c[i] = i
	}
	return c
}

// Objective returns g_x(a) = Q_θ(x, a).
func (p *VPlanner) Objective(x, a int) float64 { return p.q[x*p.m.A+a] }

// Decode is φ = id.
func (p *VPlanner) Decode(_, a int) int { return a }

// Q returns the planned Q_θ (flat S·A); callers must not modify it.
func (p *VPlanner) Q() []float64 { return p.q }

// Policy returns the deterministic policy the planner follows, one action per
// state.
func (p *VPlanner) Policy() []int { return p.m.Greedy(p.q) }

// Features returns the feature names, in the order of θ.
func (p *VPlanner) Features() []string { return p.names }

// Depth returns the planning depth (0: to convergence).
func (p *VPlanner) Depth() int { return p.depth }

// ObjectiveParams returns a copy of θ, the parameters of the mesa-objective.
func (p *VPlanner) ObjectiveParams() []float64 { return append([]float64(nil), p.theta...) }

// WithObjective swaps the mesa-objective: the same planner (dynamics, features,
// depth) pursuing θ′ = params. It is the counterfactual m_g′ of a swap
// (compare.Swap).
func (p *VPlanner) WithObjective(params []float64) (mesalab.Mesa[int, int, int], error) {
	return p.WithTheta(params)
}
