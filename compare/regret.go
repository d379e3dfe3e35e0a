package compare

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab/task/mdp"
)

// RegretResult is how an optimal policy of reward B fares under reward A.
type RegretResult struct {
	// Regret is J_A(π*_A) − J_A(π*_B): the return under A, from the start
	// distribution, lost by acting optimally for B instead of for A.
	Regret float64 `json:"regret"`
	// Normalized is Regret / (J_A(π*_A) − J_A(π⁻_A)), where π⁻_A minimises A's
	// return: 0 when every policy has the same return under A.
	Normalized float64 `json:"normalized_regret"`
	// Optimal reports whether π*_B picks, in every state, an action optimal
	// under A (within 1e-9 of the range of Q*_A).
	Optimal bool `json:"optimal"`
}

// Regret compares rewards a and b on the MDP with transitions T, discount γ < 1 and
// start distribution start (nil: uniform): it finds an optimal deterministic
// policy π*_B of b by policy iteration (ties broken towards the lowest action, as
// [mdp.Argmax]) and reports the return it loses under a, normalised by a's range
// of returns, J_A(π*_A) − J_A(π⁻_A). This is the quantity the reward distances
// exist to bound: Gleave et al. (2021) bound it by EPIC, Skalse et al. (2024) by
// any STARC metric.
//
// Each of PositiveAffine, PotentialShaping and ShapingRedistribution changes
// every policy's return by the same positive affine map and keeps the optimal
// policies, so the normalised regret honours them all. Under [ArgmaxSets] only
// the optimal policies matter and the magnitude of regret is not defined (it
// depends on a's representative); Regret and Normalized are then the indicator
// 1 − Optimal: 0 if π*_B is optimal under a, else 1.
func Regret(a, b Reward, gamma float64, T, start []float64, inv Invariance) (RegretResult, error) {
	if err := within("regret", inv, []Invariance{PositiveAffine, PotentialShaping, ShapingRedistribution, ArgmaxSets}, ""); err != nil {
		return RegretResult{}, err
	}
	if err := validatePair(a, b); err != nil {
		return RegretResult{}, err
	}
	if T == nil {
		return RegretResult{}, fmt.Errorf("regret: needs the transition model T")
	}
	if start == nil {
		start = uniformOr(nil, a.S)
	}
	ma, err := mdp.New(a.S, a.A, T, a.R, gamma, start)
	if err != nil {
		return RegretResult{}, fmt.Errorf("regret: %w", err)
	}
	neg := a.Affine(-1, 0)
	mneg := *ma
	mneg.R = neg.R
	mb := *ma
	mb.R = b.R

	_, vA, qA, err := OptimalPolicy(ma)
	if err != nil {
		return RegretResult{}, err
	}
	piB, _, _, err := OptimalPolicy(&mb)
	if err != nil {
		return RegretResult{}, err
	}
	piMin, _, _, err := OptimalPolicy(&mneg)
	if err != nil {
		return RegretResult{}, err
	}
	jOf := func(pi []int) (float64, error) {
		v, _, err := ma.Evaluate(ma.Deterministic(pi))
		if err != nil {
			return 0, err
		}
		return dotVec(start, v), nil
	}
	jMax := dotVec(start, vA)
	jB, err := jOf(piB)
	if err != nil {
		return RegretResult{}, fmt.Errorf("regret: %w", err)
	}
	jMin, err := jOf(piMin)
	if err != nil {
		return RegretResult{}, fmt.Errorf("regret: %w", err)
	}
	res := RegretResult{Optimal: true}
	tol := 1e-9 * (spread(qA) + math.Abs(jMax) + 1e-300)
	for s, act := range piB {
		if qA[s*a.A+act] < vA[s]-tol {
			res.Optimal = false
			break
		}
	}
	if inv == ArgmaxSets {
		if !res.Optimal {
			res.Regret, res.Normalized = 1, 1
		}
		return res, nil
	}
	res.Regret = math.Max(0, jMax-jB)
	if res.Optimal || res.Regret <= tol {
		res.Regret = 0
	}
	if rng := jMax - jMin; rng > tol {
		res.Normalized = math.Min(1, res.Regret/rng)
	}
	return res, nil
}

// OptimalPolicy returns an optimal deterministic policy of m by policy iteration
// with exact policy evaluation, with its V* and Q*. A state's action changes only
// when another is better by more than 1e-12 of the Q range, and ties go to the
// lowest action, so the result is deterministic.
func OptimalPolicy(m *mdp.MDP) (pi []int, v, q []float64, err error) {
	pi = make([]int, m.S)
	r := m.ExpectedReward()
	for s := range pi {
		pi[s] = mdp.Argmax(r[s*m.A : (s+1)*m.A])
	}
	for range 10 * (m.S + 10) {
		v, q, err = m.Evaluate(m.Deterministic(pi))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("policy iteration: %w", err)
		}
		tol := 1e-12 * (spread(q) + 1e-300)
		changed := false
		for s := range pi {
			row := q[s*m.A : (s+1)*m.A]
			best := mdp.Argmax(row)
			if row[best] > row[pi[s]]+tol {
				pi[s] = best
				changed = true
			}
		}
		if !changed {
			// Settle ties towards the lowest action among the optimal ones.
			for s := range pi {
				row := q[s*m.A : (s+1)*m.A]
				for act := range pi[s] {
					if row[act] >= row[pi[s]]-tol {
						pi[s] = act
						break
					}
				}
			}
			return pi, v, q, nil
		}
	}
	return nil, nil, nil, fmt.Errorf("policy iteration did not converge in %d iterations", 10*(m.S+10))
}

func spread(x []float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if hi < lo {
		return 0
	}
	return math.Max(hi-lo, math.Max(math.Abs(hi), math.Abs(lo)))
}

func dotVec(x, y []float64) float64 {
	var s float64
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}
