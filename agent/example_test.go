package agent_test

import (
	"fmt"

	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/task/grid"
)

// A planner whose learned goal values the goal cell (and nothing else) plans a
// shortest route around the lava of the AI Safety Gridworlds training map.
func ExamplePlanner() {
	level, err := grid.Make("lava-shift", "train", 0)
	if err != nil {
		panic(err)
	}
	board := agent.NewBoard(level, 2)
	theta := make([]float64, agent.NumFeatures)
	goal, _ := agent.FeatureIndex("cell:goal")
	theta[goal] = 100
	p, err := agent.NewPlanner(theta, 1) // g = 100·[goal] − 1·length
	if err != nil {
		panic(err)
	}
	x := board.Start(0)
	fmt.Println("plan:", p.Act(x), "candidates:", len(p.Candidates(x)))
	var ws agent.Workspace
	out := p.Play(board, 0, &ws, true)
	fmt.Println("return:", out.Return, "steps:", out.Steps)
	// Output:
	// plan: drrrrrur candidates: 35
	// return: 42 steps: 8
}

// A reactive policy maps the egocentric window straight to action probabilities;
// with zero weights they are uniform.
func ExampleSoftmax() {
	level, _ := grid.Make("lava-shift", "train", 0)
	p := agent.NewSoftmax(agent.Window{Radius: 2})
	fmt.Println(p.Probs(agent.NewBoard(level, 2).Start(0)))
	// Output: [0.25 0.25 0.25 0.25]
}
