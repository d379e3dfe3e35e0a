// Package irl recovers behavioral objectives: the reward (or per-task utility) that
// best explains what a system does, together with the class of rewards that explain
// it equally well and the states the evidence never reached.
//
// The behavioral objective of Hubinger et al. (2019, §1.1) is "the objective that
// perfect inverse reinforcement learning would recover from behaviour". Behaviour
// never pins down one reward: it determines an equivalence class. Every result here
// therefore comes in three parts: a representative, its invariance class, and a
// support mask of the states (or tasks) on which the evidence says anything at all.
//
// The package holds
//
//   - finite-horizon soft value iteration and state-action visitation
//     ([SoftValueIteration], [Visitation]);
//   - maximum causal entropy IRL on a tabular MDP over a feature basis
//     ([MaxCausalEnt]; Ziebart, Bagnell & Dey, "Modeling interaction via the
//     principle of maximum causal entropy", ICML 2010; Ziebart 2010, PhD thesis,
//     CMU; in the discounted finite-horizon form of Gleave & Toyer, "A Primer on
//     Maximum Causal Entropy Inverse Reinforcement Learning", 2022);
//   - closed-form classes for one-step tasks: argmax sets for deterministic
//     behaviour and per-task additive constants for Boltzmann behaviour ([OneStep]);
//   - identifiability on a training distribution: constant, perfectly correlated
//     and collinear features, and unvisited states ([Identify], [UnvisitedStates]);
//   - maximum entropy goal-directedness ([MEG]; MacDermott, Fox, Belardinelli &
//     Everitt, "Measuring Goal-Directedness", NeurIPS 2024).
//
// Arrays follow task/mdp: flat, C order, s·A + a for state-action arrays, and
// (t·S + s)·A + a for time-indexed ones.
package irl

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab/task/mdp"
)

// MaxHorizon bounds the horizon of soft value iteration, so that malformed input
// cannot ask for absurd memory (H·S·A entries are stored).
const MaxHorizon = 1 << 16

// Soft is the result of finite-horizon soft value iteration for a reward r(s,a)
// over H steps with discount γ (Ziebart 2010; Gleave & Toyer 2022):
//
//	V_H(s)    = 0
//	Q_t(s,a)  = r(s,a) + γ Σ_s′ T(s,a,s′) V_{t+1}(s′)
//	V_t(s)    = log Σ_a exp Q_t(s,a)
//	π_t(a|s)  = exp(Q_t(s,a) − V_t(s))
//
// π is the maximum causal entropy policy of r: among all policies with the same
// expected discounted reward it has the largest discounted causal entropy
// Σ_t γ^t H(A_t | S_t).
type Soft struct {
	S, A, H int
	// Q holds Q_t(s,a) at index (t·S + s)·A + a.
	Q []float64
	// V holds V_t(s) at index t·S + s, for t = 0, …, H (V_H = 0).
	V []float64
	// Policy holds π_t(a|s) at index (t·S + s)·A + a.
	Policy []float64
}

// SoftValueIteration runs finite-horizon soft value iteration on m's transitions for
// the expected reward r (S·A entries, r(s,a)), horizon H ≥ 1 and discount
// 0 ≤ γ ≤ 1 (m.Gamma is not used, so an undiscounted sum is possible). m.R is
// ignored.
func SoftValueIteration(m *mdp.MDP, r []float64, horizon int, discount float64) (*Soft, error) {
	sv, err := newSolver(m)
	if err != nil {
		return nil, err
	}
	if err := checkHorizon(horizon, discount); err != nil {
		return nil, err
	}
	if err := checkVector("reward", r, m.S*m.A); err != nil {
		return nil, err
	}
	out := &Soft{S: m.S, A: m.A, H: horizon,
		Q: make([]float64, horizon*m.S*m.A), V: make([]float64, (horizon+1)*m.S),
		Policy: make([]float64, horizon*m.S*m.A)}
	sv.soft(r, horizon, discount, out.Q, out.V, out.Policy)
	return out, nil
}

// Visitation returns the time-indexed state-action visitation probabilities of a
// policy started from μ0 = start: ρ_t(s,a) = P(S_t = s, A_t = a) at index
// (t·S + s)·A + a, t < H. The policy is either stationary (S·A entries, π(a|s)) or
// time-indexed (H·S·A entries, π_t(a|s)); each row must be a distribution.
func Visitation(m *mdp.MDP, policy, start []float64, horizon int) ([]float64, error) {
	sv, err := newSolver(m)
	if err != nil {
		return nil, err
	}
	if err := checkHorizon(horizon, 1); err != nil {
		return nil, err
	}
	if err := checkPolicy(policy, m.S, m.A, horizon); err != nil {
		return nil, err
	}
	if err := checkDistribution("start distribution", start, m.S); err != nil {
		return nil, err
	}
	rho := make([]float64, horizon*m.S*m.A)
	sv.forward(policy, start, horizon, rho, make([]float64, 2*m.S))
	return rho, nil
}

// solver caches m's transitions as sparse rows, so that backups and forward passes
// cost O(H·S·A·b) for branching factor b, and allocate nothing.
type solver struct {
	S, A int
	off  []int     // row (s,a) holds entries off[sa] … off[sa+1]−1
	next []int     // successor s′ of each entry
	prob []float64 // T(s,a,s′) of each entry
}

func newSolver(m *mdp.MDP) (*solver, error) {
	if m == nil {
		return nil, fmt.Errorf("irl: MDP is nil")
	}
	sv := &solver{S: m.S, A: m.A, off: make([]int, m.S*m.A+1)}
	for sa := range m.S * m.A {
		for s2, p := range m.T[sa*m.S : (sa+1)*m.S] {
			if p > 0 {
				sv.next = append(sv.next, s2)
				sv.prob = append(sv.prob, p)
			}
		}
		sv.off[sa+1] = len(sv.next)
	}
	return sv, nil
}

// expect returns Σ_s′ T(s,a,s′) v(s′) for the flat pair sa.
func (sv *solver) expect(sa int, v []float64) float64 {
	var x float64
	for k := sv.off[sa]; k < sv.off[sa+1]; k++ {
		x += sv.prob[k] * v[sv.next[k]]
	}
	return x
}

// soft fills q (H·S·A), v ((H+1)·S) and pi (H·S·A) by soft value iteration.
func (sv *solver) soft(r []float64, horizon int, discount float64, q, v, pi []float64) {
	S, A := sv.S, sv.A
	clear(v[horizon*S:])
	for t := horizon - 1; t >= 0; t-- {
		vNext := v[(t+1)*S : (t+2)*S]
		for s := range S {
			row := q[(t*S+s)*A : (t*S+s+1)*A]
			best := math.Inf(-1)
			for a := range A {
				sa := s*A + a
				row[a] = r[sa] + discount*sv.expect(sa, vNext)
				best = math.Max(best, row[a])
			}
			prow := pi[(t*S+s)*A : (t*S+s+1)*A]
			var z float64
			for a := range A {
				prow[a] = math.Exp(row[a] - best)
				z += prow[a]
			}
			v[t*S+s] = best + math.Log(z)
			for a := range A {
				prow[a] /= z
			}
		}
	}
}

// forward fills rho (H·S·A) with the visitation of policy (S·A or H·S·A) from
// start; buf holds 2·S scratch entries.
func (sv *solver) forward(policy, start []float64, horizon int, rho, buf []float64) {
	S, A := sv.S, sv.A
	d, dNext := buf[:S], buf[S:2*S]
	copy(d, start)
	stationary := len(policy) == S*A
	for t := range horizon {
		pt := policy
		if !stationary {
			pt = policy[t*S*A : (t+1)*S*A]
		}
		clear(dNext)
		rt := rho[t*S*A : (t+1)*S*A]
		for s := range S {
			ds := d[s]
			for a := range A {
				sa := s*A + a
				x := ds * pt[sa]
				rt[sa] = x
				if x == 0 {
					continue
				}
				for k := sv.off[sa]; k < sv.off[sa+1]; k++ {
					dNext[sv.next[k]] += x * sv.prob[k]
				}
			}
		}
		d, dNext = dNext, d
	}
}

func checkHorizon(horizon int, discount float64) error {
	if horizon < 1 || horizon > MaxHorizon {
		return fmt.Errorf("irl: horizon %d, want 1 ≤ H ≤ %d", horizon, MaxHorizon)
	}
	if !(discount >= 0 && discount <= 1) {
		return fmt.Errorf("irl: discount %v, want 0 ≤ γ ≤ 1", discount)
	}
	return nil
}

func checkVector(name string, x []float64, n int) error {
	if len(x) != n {
		return fmt.Errorf("irl: %s has %d entries, want %d", name, len(x), n)
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("irl: %s[%d] = %v, want a finite number", name, i, v)
		}
	}
	return nil
}

func checkDistribution(name string, p []float64, n int) error {
	if len(p) != n {
		return fmt.Errorf("irl: %s has %d entries, want %d", name, len(p), n)
	}
	var sum float64
	for i, x := range p {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return fmt.Errorf("irl: %s[%d] = %v, want a finite probability ≥ 0", name, i, x)
		}
		sum += x
	}
	if math.Abs(sum-1) > 1e-9 {
		return fmt.Errorf("irl: %s sums to %v, want 1", name, sum)
	}
	return nil
}

// checkPolicy accepts a stationary (S·A) or time-indexed (H·S·A) policy whose rows
// are distributions.
func checkPolicy(policy []float64, S, A, horizon int) error {
	if len(policy) != S*A && len(policy) != horizon*S*A {
		return fmt.Errorf("irl: policy has %d entries, want S·A = %d (stationary) or H·S·A = %d (time-indexed)",
			len(policy), S*A, horizon*S*A)
	}
	for row := range len(policy) / A {
		var sum float64
		for a := range A {
			p := policy[row*A+a]
			if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
				return fmt.Errorf("irl: policy row %d (t=%d, s=%d) action %d = %v, want a probability ≥ 0",
					row, row/S, row%S, a, p)
			}
			sum += p
		}
		if math.Abs(sum-1) > 1e-9 {
			return fmt.Errorf("irl: policy row %d (t=%d, s=%d) sums to %v, want 1", row, row/S, row%S, sum)
		}
	}
	return nil
}
