package mdp

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// QLearning configures tabular Q-learning, TD(0) control with ε-greedy exploration
// (Watkins & Dayan 1992; Sutton & Barto 2018, §6.5):
//
//	Q(s,a) ← Q(s,a) + α_n (r + γ max_a′ Q(s′,a′) − Q(s,a)).
type QLearning struct {
	Episodes int     // episodes to run
	Horizon  int     // steps per episode
	Epsilon  float64 // exploration rate ε ∈ [0, 1]
	// Alpha and AlphaPower give the step size α_n(s,a) = Alpha / (1+n(s,a))^AlphaPower,
	// n(s,a) the visits so far; AlphaPower = 0 is a constant step size, which
	// converges exactly on deterministic MDPs. Robbins–Monro needs 0.5 < power ≤ 1.
	Alpha, AlphaPower float64
	// InitQ is the value every Q(s,a) starts at. A state never visited keeps it.
	InitQ float64
}

// Trace is what a Q-learning run leaves besides Q: how often each state and each
// state-action pair was visited. It is the training coverage.
type Trace struct {
	StateVisits  []int
	ActionVisits []int // flat S·A
	Steps        int
}

// Validate reports a configuration that cannot run.
func (c QLearning) Validate() error {
	switch {
	case c.Episodes <= 0 || c.Horizon <= 0:
		return fmt.Errorf("q-learning: episodes (%d) and horizon (%d) must be positive", c.Episodes, c.Horizon)
	case !(c.Epsilon >= 0 && c.Epsilon <= 1):
		return fmt.Errorf("q-learning: ε = %v, want 0 ≤ ε ≤ 1", c.Epsilon)
	case !(c.Alpha > 0 && c.Alpha <= 1):
		return fmt.Errorf("q-learning: α = %v, want 0 < α ≤ 1", c.Alpha)
	case !(c.AlphaPower >= 0 && c.AlphaPower <= 1):
		return fmt.Errorf("q-learning: step-size power = %v, want in [0, 1]", c.AlphaPower)
	case math.IsNaN(c.InitQ) || math.IsInf(c.InitQ, 0):
		return fmt.Errorf("q-learning: initial Q = %v, want a finite number", c.InitQ)
	}
	return nil
}

// Run trains a Q-table on m, starting each episode from m.Start, with every random
// draw (start, exploration, transitions) taken from r.
func (c QLearning) Run(m *MDP, r *rand.Rand) ([]float64, Trace, error) {
	if err := c.Validate(); err != nil {
		return nil, Trace{}, err
	}
	q := make([]float64, m.S*m.A)
	for i := range q {
		q[i] = c.InitQ
	}
	tr := Trace{StateVisits: make([]int, m.S), ActionVisits: make([]int, m.S*m.A)}
	for range c.Episodes {
		s := m.SampleStart(r)
		for range c.Horizon {
			tr.StateVisits[s]++
			row := q[s*m.A : (s+1)*m.A]
			a := Argmax(row)
			if c.Epsilon > 0 && r.Float64() < c.Epsilon {
				a = r.IntN(m.A)
			}
			next, reward := m.Step(s, a, r)
			sa := s*m.A + a
			alpha := c.Alpha
			if c.AlphaPower > 0 {
				alpha /= math.Pow(float64(1+tr.ActionVisits[sa]), c.AlphaPower)
			}
			tr.ActionVisits[sa]++
			target := reward + m.Gamma*MaxRow(q[next*m.A:(next+1)*m.A])
			q[sa] += alpha * (target - q[sa])
			tr.Steps++
			s = next
		}
	}
	return q, tr, nil
}
