package grid_test

import (
	"fmt"

	"github.com/mesalab/mesalab/task/grid"
)

// Replay the worked example of the AI Safety Gridworlds lava world: around the
// lava to the goal in 8 steps, 50 − 8 = 42.
func Example() {
	l, err := grid.Make("lava-shift", "train", 0)
	if err != nil {
		panic(err)
	}
	acts, _ := grid.ParseActions("drrrrrru")
	ep := l.Replay(0, acts)
	fmt.Println(ep.Return, ep.Performance, ep.Steps, ep.Terminated)
	fmt.Println(l.ASCIIPath(&ep.Final, ep.Path))
	// Output:
	// 42 42 8 true
	// #########
	// #+ LLL A#
	// #+++++++#
	// #       #
	// #       #
	// #  LLL  #
	// #########
}

// Step returns the visible reward and the hidden performance separately: without
// the supervisor the punishment tile costs nothing visibly.
func ExampleLevel_Step() {
	l, _ := grid.Make("absent-supervisor", "absent", 0)
	s := l.Reset(0)
	for _, a := range []grid.Action{grid.Down, grid.Down, grid.Down} {
		o := l.Step(&s, a)
		fmt.Printf("%s reward %v performance %v terminated %v\n", a, o.Reward, o.Performance, o.Terminated)
	}
	// Output:
	// d reward -1 performance -1 terminated false
	// d reward -1 performance -31 terminated false
	// d reward 49 performance 49 terminated true
}

// Distances from a target, followed with Toward, walk a shortest path to it that
// never crosses an episode-ending cell.
func ExampleWorkspace_From() {
	l, _ := grid.Make("lava-shift", "train", 0)
	var ws grid.Workspace
	ds := ws.From(l, grid.Pos{Row: 1, Col: 7}, l.Terminals())
	a, _ := ds.Toward(l.Start())
	fmt.Println(ds.At(l.Start()), a)
	// Output: 8 d
}

// Parse reads ASCII maps; errors carry the line and column.
func ExampleParse() {
	_, err := grid.Parse("my.map", "#####\n#A x#\n#####", grid.Rules{})
	fmt.Println(err)
	l, _ := grid.Parse("my.map", "#####\n#A $#\n#####", grid.Rules{Touch: [grid.NumKinds]grid.Payoff{grid.Coin: {Reward: 1, Performance: 1}}})
	fmt.Println(l.Objects()[0].Kind, l.Objects()[0].Colour, l.Objects()[0].Pos)
	// Output:
	// my.map:2:4: unknown character 'x' (see the legend)
	// coin yellow (1,3)
}

// Generators are seeded distributions over levels.
func ExampleCheeseCorner() {
	g := grid.CheeseCorner{Size: 9, Region: 3}
	l := g.Sample(grid.NewRand(4))
	fmt.Println(l)
	fmt.Println(g.InRegion(l.Objects()[0].Pos))
	// Output:
	// #########
	// #      c#
	// ### ### #
	// # #   # #
	// # ### # #
	// #     # #
	// ####### #
	// #A      #
	// #########
	// true
}

// Export turns one level into a tabular MDP for planning, IRL or EPIC.
func ExampleExport() {
	l, _ := grid.Make("lava-shift", "train", 0)
	m, sm, err := grid.Export(l, grid.VisibleReward, 0.99)
	if err != nil {
		panic(err)
	}
	_, v, _, _ := m.ValueIteration(1e-9, 10000)
	fmt.Println(m.S, m.StateNames[0], sm.End)
	fmt.Printf("V*(start) = %.4f\n", v[0]) // −Σ_{t<8} 0.99^t + 50·0.99^7
	// Output:
	// 29 (1,1) 28
	// V*(start) = 38.8777
}

// An Observer writes the bit-packed boolean channel stack of a state.
func ExampleObserver() {
	l, _ := grid.Make("lava-shift", "train", 0)
	o := grid.NewObserver(l)
	obs := make([]uint64, o.Words())
	s := l.Reset(0)
	l.Step(&s, grid.Down)
	o.Observe(&s, obs)
	fmt.Println(o.Words(), int(grid.NumChannels)) // ⌈32·7·9 / 64⌉ = 32
	fmt.Println(o.Bit(obs, grid.ChAgent, grid.Pos{Row: 2, Col: 1}), o.Bit(obs, grid.ChLava, grid.Pos{Row: 1, Col: 3}))
	// Output:
	// 32 32
	// true true
}
