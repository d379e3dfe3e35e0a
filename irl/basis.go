package irl

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/task/mdp"
)

// Basis is a feature basis for rewards linear in features, r_θ(s,a) = θ · φ(s,a).
// Phi holds φ(s,a) as an S·A × F matrix in C order: entry (s·A + a)·F + k. Build it
// with [StateFeatures], [NextStateFeatures] or [StateActionFeatures], which
// validate.
type Basis struct {
	S, A  int
	Names []string // one per feature; they name θ's entries in results
	Phi   []float64
}

// F is the number of features.
func (b Basis) F() int { return len(b.Names) }

// Reward returns r_θ(s,a) = θ · φ(s,a) as a flat S·A array.
func (b Basis) Reward(theta []float64) []float64 {
	r := make([]float64, b.S*b.A)
	b.rewardInto(theta, r)
	return r
}

func (b Basis) rewardInto(theta, r []float64) {
	F := b.F()
	for sa := range r {
		row := b.Phi[sa*F : (sa+1)*F]
		var x float64
		for k, p := range row {
			x += theta[k] * p
		}
		r[sa] = x
	}
}

// StateFeatures makes a basis from state features φ(s) (S × F, C order): the reward
// of acting in s is θ · φ(s), whatever the action.
func StateFeatures(states, actions int, names []string, phi []float64) (Basis, error) {
	if err := checkShape("state features", states, actions, names, phi, states); err != nil {
		return Basis{}, err
	}
	F := len(names)
	b := Basis{S: states, A: actions, Names: names, Phi: make([]float64, states*actions*F)}
	for s := range states {
		for a := range actions {
			copy(b.Phi[(s*actions+a)*F:(s*actions+a+1)*F], phi[s*F:(s+1)*F])
		}
	}
	return b, nil
}

// NextStateFeatures makes a basis from features of the state entered: the reward of
// taking a in s is θ · E[φ(S′) | s, a] = θ · Σ_s′ T(s,a,s′) φ(s′). This is the
// basis of a reward R(s,a,s′) = θ · φ(s′) ("reach the goal").
func NextStateFeatures(m *mdp.MDP, names []string, phi []float64) (Basis, error) {
	if m == nil {
		return Basis{}, fmt.Errorf("irl: MDP is nil")
	}
	if err := checkShape("next-state features", m.S, m.A, names, phi, m.S); err != nil {
		return Basis{}, err
	}
	F := len(names)
	b := Basis{S: m.S, A: m.A, Names: names, Phi: make([]float64, m.S*m.A*F)}
	for sa := range m.S * m.A {
		row := b.Phi[sa*F : (sa+1)*F]
		for s2, p := range m.T[sa*m.S : (sa+1)*m.S] {
			if p == 0 {
				continue
			}
			for k := range F {
				row[k] += p * phi[s2*F+k]
			}
		}
	}
	return b, nil
}

// StateActionFeatures makes a basis from state-action features φ(s,a)
// (S·A × F, C order).
func StateActionFeatures(states, actions int, names []string, phi []float64) (Basis, error) {
	if err := checkShape("state-action features", states, actions, names, phi, states*actions); err != nil {
		return Basis{}, err
	}
	return Basis{S: states, A: actions, Names: names, Phi: append([]float64(nil), phi...)}, nil
}

func checkShape(what string, states, actions int, names []string, phi []float64, rows int) error {
	if states <= 0 || actions <= 0 {
		return fmt.Errorf("irl: %s: need S ≥ 1 and A ≥ 1, got S=%d A=%d", what, states, actions)
	}
	if len(names) == 0 {
		return fmt.Errorf("irl: %s: no feature names", what)
	}
	seen := make(map[string]bool, len(names))
	for k, n := range names {
		if n == "" {
			return fmt.Errorf("irl: %s: feature %d has an empty name", what, k)
		}
		if seen[n] {
			return fmt.Errorf("irl: %s: feature name %q appears twice", what, n)
		}
		seen[n] = true
	}
	if len(phi) != rows*len(names) {
		return fmt.Errorf("irl: %s: %d entries, want %d rows × %d features = %d", what, len(phi), rows, len(names), rows*len(names))
	}
	for i, x := range phi {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("irl: %s: row %d feature %q = %v, want a finite number", what, i/len(names), names[i%len(names)], x)
		}
	}
	return nil
}

// Trajectory is one demonstration: the state and the action taken at each step,
// States[t] and Actions[t] for t = 0, …, len−1.
type Trajectory struct {
	States  []int `json:"states"`
	Actions []int `json:"actions"`
}

// Actor chooses the action at step t in state s; stochastic actors draw from r.
type Actor func(t, s int, r *rand.Rand) int

// OfSystem turns any deterministic system over states into an Actor: a reactive
// policy, a greedy-Q table or a planner alike. Behaviour is all IRL looks at.
func OfSystem(sys mesalab.System[int, int]) Actor {
	return func(_, s int, _ *rand.Rand) int { return sys.Act(s) }
}

// OfPolicy turns a stochastic policy into an Actor: stationary (S·A entries) or
// time-indexed (H·S·A entries, the last step repeated beyond H).
func OfPolicy(policy []float64, states, actions int) Actor {
	return func(t, s int, r *rand.Rand) int {
		off := s * actions
		if len(policy) > states*actions {
			h := len(policy) / (states * actions)
			off = (min(t, h-1)*states + s) * actions
		}
		u := r.Float64()
		last := 0
		for a := range actions {
			p := policy[off+a]
			if p > 0 {
				last = a
			}
			u -= p
			if u < 0 {
				return a // u first drops below 0 at an action of positive probability
			}
		}
		return last
	}
}

// MaxEpisodes bounds the number of rollouts one call may ask for.
const MaxEpisodes = 1 << 24

// Rollouts runs episodes of the given horizon on m, each from a start state drawn
// from m.Start, with every draw (start, actor, transitions) taken from r.
func Rollouts(m *mdp.MDP, act Actor, episodes, horizon int, r *rand.Rand) ([]Trajectory, error) {
	if m == nil {
		return nil, fmt.Errorf("irl: MDP is nil")
	}
	if episodes < 1 || episodes > MaxEpisodes {
		return nil, fmt.Errorf("irl: %d episodes, want 1 … %d", episodes, MaxEpisodes)
	}
	if err := checkHorizon(horizon, 1); err != nil {
		return nil, err
	}
	out := make([]Trajectory, episodes)
	for i := range out {
		tr := Trajectory{States: make([]int, horizon), Actions: make([]int, horizon)}
		s := m.SampleStart(r)
		for t := range horizon {
			a := act(t, s, r)
			if a < 0 || a >= m.A {
				return nil, fmt.Errorf("irl: episode %d step %d: the actor chose action %d in state %d, want 0 … %d", i, t, a, s, m.A-1)
			}
			tr.States[t], tr.Actions[t] = s, a
			s, _ = m.Step(s, a, r)
		}
		out[i] = tr
	}
	return out, nil
}

// checkDemos validates demonstrations against S, A and a common length, returned.
func checkDemos(demos []Trajectory, states, actions int) (int, error) {
	if len(demos) == 0 {
		return 0, fmt.Errorf("irl: no demonstrations")
	}
	h := len(demos[0].States)
	for i, d := range demos {
		if len(d.States) != len(d.Actions) {
			return 0, fmt.Errorf("irl: demonstration %d has %d states and %d actions, want one action per state", i, len(d.States), len(d.Actions))
		}
		if len(d.States) == 0 {
			return 0, fmt.Errorf("irl: demonstration %d is empty", i)
		}
		if len(d.States) != h {
			return 0, fmt.Errorf("irl: demonstration %d has length %d, demonstration 0 has %d: the finite-horizon model needs one horizon", i, len(d.States), h)
		}
		for t, s := range d.States {
			if s < 0 || s >= states {
				return 0, fmt.Errorf("irl: demonstration %d step %d: state %d, want 0 … %d", i, t, s, states-1)
			}
			if a := d.Actions[t]; a < 0 || a >= actions {
				return 0, fmt.Errorf("irl: demonstration %d step %d: action %d, want 0 … %d", i, t, a, actions-1)
			}
		}
	}
	return h, nil
}
