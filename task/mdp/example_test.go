package mdp_test

import (
	"fmt"

	"github.com/mesalab/mesalab/task/mdp"
)

// A two-state MDP: staying in state 1 pays 1 per step; with γ = 0.5, V*(1) = 2 and
// V*(0) = γ·V*(1) = 1.
func ExampleMDP_ValueIteration() {
	T := []float64{
		1, 0, 0, 1, // s=0: a=0 stays, a=1 moves to 1
		0, 1, 1, 0, // s=1: a=0 stays, a=1 moves to 0
	}
	R := []float64{0, 0, 0, 0, 0, 1, 0, 0}
	m, err := mdp.New(2, 2, T, R, 0.5, []float64{1, 0})
	if err != nil {
		panic(err)
	}
	q, v, _, _ := m.ValueIteration(1e-12, 1000)
	fmt.Printf("V* = %.3f, greedy policy %v, Q*(0,·) = %.3f\n", v, m.Greedy(q), q[:2])
	// Output: V* = [1.000 2.000], greedy policy [1 0], Q*(0,·) = [0.500 1.000]
}
