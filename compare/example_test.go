package compare_test

import (
	"fmt"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/compare"
)

// A greedy-Q agent is a mesa-optimizer (Σ_x = actions, g_x = Q(x,·), φ = id). With
// the bridge u*(x)(a) = Q*(x,a) its learned objective becomes comparable with the
// base objective, task by task.
func ExampleMesa() {
	qstar := []float64{1, 0, 0, 1} // two states, two actions: the right action differs
	learned := agent.GreedyQ{Q: []float64{5, 1, 4, 2}, Actions: 2}
	tasks := mesalab.Uniform("states", []int{0, 1})
	bridge := &mesalab.Decomposition[int, int]{
		Tasks:   tasks,
		Outputs: func(int) []int { return []int{0, 1} },
		Utility: func(s, a int) float64 { return qstar[s*2+a] },
	}
	fmt.Println(compare.Mesa(bridge, learned, compare.Options{TaskSpace: 2}, tasks)[0])

	// Without the decomposition there is no number to give.
	fmt.Println(compare.Mesa[int, int, int](nil, learned, compare.Options{}, tasks)[0])
	// Output:
	// states: agreement=0.5 regret=0.5 normalized_regret=0.5 distance=0.5847 coverage=1
	// states: incomparable: missing decomposition of the base objective over tasks (bridge a: ν and u*)
}

// A system that decides several times per episode is compared decision by
// decision, with u* valuing each choice by the base return it leaves possible:
// on a chain where advancing three times pays 10 and exiting pays 1, a greedy-Q
// agent that exits at the last state loses 9 in that episode.
func ExampleSequential() {
	d := &mesalab.Decomposition[int, int]{
		Outputs: func(int) []int { return []int{0, 1} },                    // advance, exit
		Utility: func(_ int, a int) float64 { return []float64{10, 1}[a] }, // Q* = u*
	}
	q := agent.GreedyQ{Q: []float64{5, 1, 5, 1, 0, 3}, Actions: 2} // exits in state 2
	c := compare.Sequential(d, q, "chain", []compare.Episode[int]{
		{Decisions: []int{0, 1, 2}, Weight: 0.5}, // advance, advance, exit: return 1
		{Decisions: []int{1, 2}, Weight: 0.5},    // advance, exit: return 1
	})
	fmt.Printf("agreement %.2g, regret %.3g (return lost per episode)\n", c.Agreement, c.Regret)
	// Output:
	// agreement 0, regret 9 (return lost per episode)
}
