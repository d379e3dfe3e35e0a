package irl_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/mesalab/mesalab/irl"
	"github.com/mesalab/mesalab/task/mdp"
)

// corridor3 is a deterministic 3-cell corridor; actions 0 left, 1 right.
func corridor3() *mdp.MDP {
	T := []float64{
		1, 0, 0, 0, 1, 0, // cell 0: left stays, right → 1
		1, 0, 0, 0, 0, 1, // cell 1
		0, 1, 0, 0, 0, 1, // cell 2: right stays
	}
	m, err := mdp.New(3, 2, T, make([]float64, 18), 0.9, []float64{1, 0, 0})
	if err != nil {
		panic(err)
	}
	return m
}

// Recover the behavioral objective of demonstrations in a feature basis: a
// demonstrator that walks right and stays at the right end is explained by a
// positive weight on the "right-end" feature of the state entered.
func ExampleMaxCausalEnt() {
	m := corridor3()
	basis, err := irl.NextStateFeatures(m, []string{"right-end"}, []float64{0, 0, 1})
	if err != nil {
		panic(err)
	}
	var demos []irl.Trajectory
	for range 20 {
		demos = append(demos, irl.Trajectory{States: []int{0, 1, 2, 2}, Actions: []int{1, 1, 1, 1}})
	}
	res, err := irl.MaxCausalEnt(m, basis, demos, irl.Config{L2: 0.1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("θ(right-end) > 0: %v\n", res.Theta[0] > 0)
	fmt.Println("invariance:", res.Class.Invariance)
	fmt.Println("states never visited:", res.Class.Unvisited())
	// Output:
	// θ(right-end) > 0: true
	// invariance: potential-shaping
	// states never visited: []
}

// Goal-directedness of an optimal and of a random policy towards reaching the
// right end of the corridor within 4 steps. The walk right is predicted perfectly
// at its first three decisions (3·log 2 nats); at the last one both actions are
// optimal, so it is predicted no better than uniform.
func ExampleMEG() {
	m := corridor3()
	utility := []float64{0, 0, 0, 0, 1, 1} // acting in cell 2
	right := m.Deterministic([]int{1, 1, 1})
	uniform := []float64{0.5, 0.5, 0.5, 0.5, 0.5, 0.5}
	for _, pi := range [][]float64{right, uniform} {
		g, err := irl.MEG(m, utility, pi, m.Start, 4)
		if err != nil {
			panic(err)
		}
		fmt.Printf("MEG %.3f of %.3f nats, β* = %v\n", g.MEG, g.Max, g.Beta)
	}
	// Output:
	// MEG 2.079 of 2.773 nats, β* = +Inf
	// MEG 0.000 of 2.773 nats, β* = 0
}

// Door and red coincide on the training rows: their weights cannot be told
// apart there.
func ExampleIdentify() {
	rows := [][]float64{{1, 1, 0}, {0, 0, 1}, {0, 0, 0}, {1, 1, 1}}
	rep, err := irl.Identify("train", []string{"door", "red", "key"}, rows, nil)
	if err != nil {
		panic(err)
	}
	for _, e := range rep.Evidence() {
		fmt.Println(e)
	}
	// Output:
	// unidentifiable on train: door ~ red, ρ = 1.00
}

// Rollouts of any system give demonstrations.
func ExampleRollouts() {
	m := corridor3()
	demos, err := irl.Rollouts(m, irl.OfPolicy(m.Deterministic([]int{1, 1, 0}), 3, 2), 1, 5, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	fmt.Println(demos[0].States, demos[0].Actions)
	// Output:
	// [0 1 2 1 2] [1 1 0 1 0]
}
