// Package mdp holds finite (tabular) Markov decision processes and the classic
// algorithms on them: value iteration, exact policy evaluation by a linear solve,
// Q*, and Q-learning (TD(0) control) with ε-greedy exploration.
//
// Arrays are flat and in C order over (s, a, s′): index (s·A + a)·S + s′ for T and R,
// s·A + a for Q and policies. This is the layout of the EPIC reference data
// (shared/reference/epic_gridworld_3x3.json), so arrays move between packages
// without reshaping.
package mdp

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// MaxEntries bounds S·A·S so that a malformed input cannot ask for absurd memory.
const MaxEntries = 1 << 28

// rowTolerance is how far a row of T (or the start distribution) may sum from 1.
const rowTolerance = 1e-9

// MDP is a finite MDP (S, A, T, R, γ, μ0). Construct it with [New], which validates.
type MDP struct {
	S, A  int
	T     []float64 // T(s,a,s′), rows over s′ sum to 1
	R     []float64 // R(s,a,s′)
	Gamma float64   // discount γ ∈ [0, 1)
	Start []float64 // μ0, the start distribution over states

	// StateNames and ActionNames label states and actions in output; optional.
	StateNames, ActionNames []string
}

// New validates and returns an MDP. T and R have S·A·S entries in C order, start has
// S entries. Errors name the offending row or entry.
func New(states, actions int, T, R []float64, gamma float64, start []float64) (*MDP, error) {
	if states <= 0 || actions <= 0 {
		return nil, fmt.Errorf("mdp: need at least one state and one action, got S=%d A=%d", states, actions)
	}
	if n := float64(states) * float64(actions) * float64(states); n > MaxEntries {
		return nil, fmt.Errorf("mdp: S·A·S = %.0f entries exceeds the limit %d", n, MaxEntries)
	}
	n := states * actions * states
	if len(T) != n {
		return nil, fmt.Errorf("mdp: T has %d entries, want S·A·S = %d·%d·%d = %d", len(T), states, actions, states, n)
	}
	if len(R) != n {
		return nil, fmt.Errorf("mdp: R has %d entries, want S·A·S = %d", len(R), n)
	}
	if len(start) != states {
		return nil, fmt.Errorf("mdp: start distribution has %d entries, want S = %d", len(start), states)
	}
	if !(gamma >= 0 && gamma < 1) {
		return nil, fmt.Errorf("mdp: discount γ = %v, want 0 ≤ γ < 1", gamma)
	}
	for s := range states {
		for a := range actions {
			row := T[(s*actions+a)*states : (s*actions+a+1)*states]
			var sum float64
			for s2, p := range row {
				if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
					return nil, fmt.Errorf("mdp: T[s=%d][a=%d][s′=%d] = %v, want a finite probability ≥ 0", s, a, s2, p)
				}
				sum += p
			}
			if math.Abs(sum-1) > rowTolerance {
				return nil, fmt.Errorf("mdp: row T[s=%d][a=%d][·] sums to %v, want 1", s, a, sum)
			}
			for s2 := range states {
				if r := R[(s*actions+a)*states+s2]; math.IsNaN(r) || math.IsInf(r, 0) {
					return nil, fmt.Errorf("mdp: R[s=%d][a=%d][s′=%d] = %v, want a finite number", s, a, s2, r)
				}
			}
		}
	}
	var sum float64
	for s, p := range start {
		if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
			return nil, fmt.Errorf("mdp: start[%d] = %v, want a finite probability ≥ 0", s, p)
		}
		sum += p
	}
	if math.Abs(sum-1) > rowTolerance {
		return nil, fmt.Errorf("mdp: start distribution sums to %v, want 1", sum)
	}
	return &MDP{S: states, A: actions, T: T, R: R, Gamma: gamma, Start: start}, nil
}

// WithStart returns a copy of m (sharing T and R) with another start distribution.
func (m *MDP) WithStart(start []float64) (*MDP, error) {
	c, err := New(m.S, m.A, m.T, m.R, m.Gamma, start)
	if err != nil {
		return nil, err
	}
	c.StateNames, c.ActionNames = m.StateNames, m.ActionNames
	return c, nil
}

func (m *MDP) idx(s, a, s2 int) int { return (s*m.A+a)*m.S + s2 }

// ExpectedReward returns r(s,a) = Σ_s′ T(s,a,s′) R(s,a,s′) as a flat S·A array.
func (m *MDP) ExpectedReward() []float64 {
	r := make([]float64, m.S*m.A)
	for sa := range r {
		base := sa * m.S
		for s2 := range m.S {
			r[sa] += m.T[base+s2] * m.R[base+s2]
		}
	}
	return r
}

// Backup writes the Bellman optimality backup of V into q:
// q(s,a) = Σ_s′ T(s,a,s′)(R(s,a,s′) + γ V(s′)).
func (m *MDP) Backup(v, q []float64) {
	for sa := range q {
		base := sa * m.S
		var x float64
		for s2 := range m.S {
			x += m.T[base+s2] * (m.R[base+s2] + m.Gamma*v[s2])
		}
		q[sa] = x
	}
}

// ValueIteration iterates the Bellman optimality operator from V = 0 until the
// sup-norm change is below tol·(1−γ)/γ, which bounds the error of V by tol
// (Puterman 1994, Thm 6.3.1). It returns Q* and V* and the number of sweeps.
func (m *MDP) ValueIteration(tol float64, maxSweeps int) (q, v []float64, sweeps int, err error) {
	q = make([]float64, m.S*m.A)
	v = make([]float64, m.S)
	stop := tol
	if m.Gamma > 0 {
		stop = tol * (1 - m.Gamma) / m.Gamma
	}
	for sweeps = 1; sweeps <= maxSweeps; sweeps++ {
		m.Backup(v, q)
		var delta float64
		for s := range m.S {
			best := MaxRow(q[s*m.A : (s+1)*m.A])
			delta = math.Max(delta, math.Abs(best-v[s]))
			v[s] = best
		}
		if delta <= stop {
			m.Backup(v, q)
			return q, v, sweeps, nil
		}
	}
	return q, v, maxSweeps, fmt.Errorf("mdp: value iteration did not reach tolerance %g in %d sweeps", tol, maxSweeps)
}

// MaxRow returns the largest entry of a non-empty row.
func MaxRow(row []float64) float64 {
	best := row[0]
	for _, x := range row[1:] {
		best = math.Max(best, x)
	}
	return best
}

// Argmax returns the index of the largest entry, the lowest index on ties: the
// deterministic tie-break every greedy agent in mesalab uses.
func Argmax(row []float64) int {
	best := 0
	for i, x := range row {
		if x > row[best] {
			best = i
		}
	}
	return best
}

// Greedy returns the deterministic greedy policy of Q (lowest action on ties).
func (m *MDP) Greedy(q []float64) []int {
	pi := make([]int, m.S)
	for s := range pi {
		pi[s] = Argmax(q[s*m.A : (s+1)*m.A])
	}
	return pi
}

// Deterministic turns an action per state into a stochastic policy matrix π(a|s).
func (m *MDP) Deterministic(actions []int) []float64 {
	pi := make([]float64, m.S*m.A)
	for s, a := range actions {
		pi[s*m.A+a] = 1
	}
	return pi
}

// Evaluate computes V^π exactly by solving (I − γ P_π) V = r_π, where π(a|s) is a
// flat S·A matrix, and returns V^π and Q^π. The solve is dense (LU with partial
// pivoting), so it suits S up to a few thousand.
func (m *MDP) Evaluate(pi []float64) (v, q []float64, err error) {
	if len(pi) != m.S*m.A {
		return nil, nil, fmt.Errorf("mdp: policy has %d entries, want S·A = %d", len(pi), m.S*m.A)
	}
	a := mat.NewDense(m.S, m.S, nil)
	b := mat.NewVecDense(m.S, nil)
	r := m.ExpectedReward()
	for s := range m.S {
		a.Set(s, s, 1)
		var rs float64
		for act := range m.A {
			p := pi[s*m.A+act]
			if p == 0 {
				continue
			}
			rs += p * r[s*m.A+act]
			for s2 := range m.S {
				a.Set(s, s2, a.At(s, s2)-m.Gamma*p*m.T[m.idx(s, act, s2)])
			}
		}
		b.SetVec(s, rs)
	}
	var x mat.VecDense
	if err := x.SolveVec(a, b); err != nil {
		var cond mat.Condition
		if !errors.As(err, &cond) {
			return nil, nil, fmt.Errorf("mdp: policy evaluation: %w", err)
		}
	}
	v = make([]float64, m.S)
	for s := range v {
		v[s] = x.AtVec(s)
	}
	q = make([]float64, m.S*m.A)
	m.Backup(v, q)
	return v, q, nil
}

// Step samples s′ ∼ T(s,a,·) from r and returns it with the reward R(s,a,s′).
func (m *MDP) Step(s, a int, r *rand.Rand) (next int, reward float64) {
	base := m.idx(s, a, 0)
	u := r.Float64()
	next = m.S - 1
	for s2 := range m.S {
		u -= m.T[base+s2]
		if u < 0 {
			next = s2
			break
		}
	}
	// A zero-probability tail can be reached by rounding; walk back to support.
	for m.T[base+next] == 0 && next > 0 {
		next--
	}
	return next, m.R[base+next]
}

// SampleStart draws s0 ∼ μ0.
func (m *MDP) SampleStart(r *rand.Rand) int {
	u := r.Float64()
	for s, p := range m.Start {
		u -= p
		if u < 0 {
			return s
		}
	}
	for s := m.S - 1; s > 0; s-- {
		if m.Start[s] > 0 {
			return s
		}
	}
	return 0
}
