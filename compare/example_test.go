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
