// Package agent holds learned systems: mesa-optimizers that search an internal
// space by a learned objective (greedy-Q, planners, linear self-attention) and
// reactive policies that do not.
package agent

import "github.com/mesalab/mesalab/task/mdp"

// GreedyQ acts greedily on a learned Q-table. It is a mesa-optimizer in the sense
// of Hubinger et al. (2019, §1.1): on task x (a state) it searches Σ_x = the actions
// by the mesa-objective g_x(a) = Q(x, a) and outputs the winner unchanged (φ = id).
// Ties go to the lowest action, as in [mdp.Argmax].
type GreedyQ struct {
	Q       []float64 // flat S·A, C order
	Actions int
}

// Act returns argmax_a Q(x, a).
func (g GreedyQ) Act(x int) int { return mdp.Argmax(g.Q[x*g.Actions : (x+1)*g.Actions]) }

// Candidates returns Σ_x = {0, …, A−1}.
func (g GreedyQ) Candidates(int) []int {
	c := make([]int, g.Actions)
	for i := range c {
		c[i] = i
	}
	return c
}

// Objective returns g_x(a) = Q(x, a).
func (g GreedyQ) Objective(x, a int) float64 { return g.Q[x*g.Actions+a] }

// Decode is φ = id: the candidate action is the output.
func (g GreedyQ) Decode(_, a int) int { return a }
