package compare

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab/task/mdp"
)

// MaxEntries bounds S·A·S for a reward or a distribution over transitions, so a
// malformed input cannot ask for absurd memory. It is the bound of task/mdp.
const MaxEntries = mdp.MaxEntries

// probTolerance is how far a distribution may sum from 1.
const probTolerance = 1e-9

// Reward is a tabular reward R(s, a, s′) over S states and A actions, stored flat in
// C order: R[(s·A + a)·S + s′]. This is the layout of [mdp.MDP] and of the EPIC
// reference data, so a level's MDP and a planner's reward meet without reshaping.
//
// The successor s′ ranges over the same S states as s: every comparison here
// evaluates R(s′, ·, ·) on a successor, which is only defined when s′ is a state.
//
// Rewards of lower rank broadcast: a state reward R(s) is the reward for leaving s,
// whatever the action and successor (R(s, a, s′) = R(s)), and a state-action reward
// R(s, a) ignores the successor. Build them with [Broadcast].
type Reward struct {
	S, A int
	R    []float64
}

// NewReward validates a full R(s, a, s′) array of S·A·S finite entries in C order.
// The Reward shares r.
func NewReward(states, actions int, r []float64) (Reward, error) {
	if err := checkShape(states, actions); err != nil {
		return Reward{}, err
	}
	if n := states * actions * states; len(r) != n {
		return Reward{}, fmt.Errorf("reward has %d entries, want S·A·S = %d·%d·%d = %d", len(r), states, actions, states, n)
	}
	rw := Reward{S: states, A: actions, R: r}
	if err := rw.Validate(); err != nil {
		return Reward{}, err
	}
	return rw, nil
}

// Broadcast expands an array of shape (S), (S, A) or (S, A, S) in C order to a full
// R(s, a, s′) over the given S states and A actions (see [Reward] for the meaning of
// each rank). The shape must agree with states and actions; entries must be finite.
// The result is a new array except for rank 3, which is shared.
func Broadcast(shape []int, data []float64, states, actions int) (Reward, error) {
	if err := checkShape(states, actions); err != nil {
		return Reward{}, err
	}
	want := [][]int{{states}, {states, actions}, {states, actions, states}}
	if len(shape) < 1 || len(shape) > 3 {
		return Reward{}, fmt.Errorf("reward has shape %v, want (S)=(%d), (S,A)=(%d,%d) or (S,A,S)=(%d,%d,%d)",
			shape, states, states, actions, states, actions, states)
	}
	w := want[len(shape)-1]
	n := 1
	for i := range shape {
		if shape[i] != w[i] {
			return Reward{}, fmt.Errorf("reward has shape %v, want %v (S=%d states, A=%d actions)", shape, w, states, actions)
		}
		n *= shape[i]
	}
	if len(data) != n {
		return Reward{}, fmt.Errorf("reward of shape %v has %d entries, want %d", shape, len(data), n)
	}
	for i, x := range data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return Reward{}, fmt.Errorf("reward entry %v = %v, want a finite number", unravel(i, shape), x)
		}
	}
	if len(shape) == 3 {
		return Reward{S: states, A: actions, R: data}, nil
	}
	r := make([]float64, states*actions*states)
	for s := range states {
		for a := range actions {
			v := data[s]
			if len(shape) == 2 {
				v = data[s*actions+a]
			}
			row := r[(s*actions+a)*states : (s*actions+a+1)*states]
			for k := range row {
				row[k] = v
			}
		}
	}
	return Reward{S: states, A: actions, R: r}, nil
}

// RewardOf returns the reward of an MDP (sharing its array).
func RewardOf(m *mdp.MDP) Reward { return Reward{S: m.S, A: m.A, R: m.R} }

// At returns R(s, a, s′).
func (r Reward) At(s, a, s2 int) float64 { return r.R[(s*r.A+a)*r.S+s2] }

// Validate checks the shape and that every entry is finite; errors name the entry.
func (r Reward) Validate() error {
	if err := checkShape(r.S, r.A); err != nil {
		return err
	}
	if n := r.S * r.A * r.S; len(r.R) != n {
		return fmt.Errorf("reward has %d entries, want S·A·S = %d", len(r.R), n)
	}
	for i, x := range r.R {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("reward R[s=%d][a=%d][s′=%d] = %v, want a finite number", i/(r.A*r.S), i/r.S%r.A, i%r.S, x)
		}
	}
	return nil
}

// Affine returns c·R + shift as a new reward.
func (r Reward) Affine(c, shift float64) Reward {
	out := make([]float64, len(r.R))
	for i, x := range r.R {
		out[i] = c*x + shift
	}
	return Reward{S: r.S, A: r.A, R: out}
}

// Shaped returns R + γΦ(s′) − Φ(s), the potential shaping of Ng, Harada and Russell
// (ICML 1999), as a new reward. phi has S entries.
func (r Reward) Shaped(gamma float64, phi []float64) Reward {
	out := make([]float64, len(r.R))
	for s := range r.S {
		for a := range r.A {
			base := (s*r.A + a) * r.S
			for s2 := range r.S {
				out[base+s2] = r.R[base+s2] + gamma*phi[s2] - phi[s]
			}
		}
	}
	return Reward{S: r.S, A: r.A, R: out}
}

func sameShape(a, b Reward) error {
	if a.S != b.S || a.A != b.A || len(a.R) != len(b.R) {
		return fmt.Errorf("rewards differ in shape: (S=%d, A=%d) and (S=%d, A=%d)", a.S, a.A, b.S, b.A)
	}
	if len(a.R) != a.S*a.A*a.S {
		return fmt.Errorf("reward has %d entries, want S·A·S = %d", len(a.R), a.S*a.A*a.S)
	}
	return nil
}

func checkShape(states, actions int) error {
	if states <= 0 || actions <= 0 {
		return fmt.Errorf("need at least one state and one action, got S=%d A=%d", states, actions)
	}
	if n := float64(states) * float64(actions) * float64(states); n > MaxEntries {
		return fmt.Errorf("S·A·S = %.0f entries exceeds the limit %d", n, MaxEntries)
	}
	return nil
}

// unravel turns a flat C-order index into a multi-index.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = i % shape[k]
		i /= shape[k]
	}
	return idx
}

// Dists are the distributions a reward comparison averages over. A nil slice
// stands for the uniform distribution. Validate them with [Dists.Validate].
type Dists struct {
	// States is D_S over the S states: EPIC draws both S and S′ from it.
	States []float64
	// Actions is D_A over the A actions.
	Actions []float64
	// Coverage is D over transitions (s, a, s′), S·A·S entries in C order: the
	// distribution under which canonical rewards are correlated or normed.
	Coverage []float64
}

// Validate checks each given distribution: its length, entries finite and ≥ 0,
// and a sum within 1e-9 of 1.
func (d Dists) Validate(states, actions int) error {
	if err := checkDist("state distribution D_S", d.States, states); err != nil {
		return err
	}
	if err := checkDist("action distribution D_A", d.Actions, actions); err != nil {
		return err
	}
	return checkDist("coverage distribution D", d.Coverage, states*actions*states)
}

// CheckDistribution reports whether p (length n, nil for uniform) is a probability
// vector; name is the distribution's name in the error.
func CheckDistribution(name string, p []float64, n int) error { return checkDist(name, p, n) }

func checkDist(name string, p []float64, n int) error {
	if p == nil {
		return nil
	}
	if len(p) != n {
		return fmt.Errorf("%s has %d entries, want %d", name, len(p), n)
	}
	var sum float64
	for i, x := range p {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return fmt.Errorf("%s entry %d = %v, want a finite probability ≥ 0", name, i, x)
		}
		sum += x
	}
	if math.Abs(sum-1) > probTolerance {
		return fmt.Errorf("%s sums to %.15g, want 1 (within %g)", name, sum, probTolerance)
	}
	return nil
}

// uniformOr returns p, or the uniform distribution over n when p is nil.
func uniformOr(p []float64, n int) []float64 {
	if p != nil {
		return p
	}
	u := make([]float64, n)
	for i := range u {
		u[i] = 1 / float64(n)
	}
	return u
}
