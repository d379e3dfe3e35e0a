package compare_test

import (
	"errors"
	"fmt"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/compare"
)

// Two rewards on a 3-state chain (action 0 stays, action 1 moves right, the
// last state absorbs): a goal reward and the same goal with potential shaping
// and a rescaling. EPIC and STARC see no difference, and the goal's optimal
// policy loses nothing under the shaped one; the opposite goal is as far as can be.
func ExampleEPICDistance() {
	const S, A, gamma = 3, 2, 0.9
	goal, _ := compare.Broadcast([]int{S}, []float64{0, 0, 1}, S, A)
	shaped := goal.Shaped(gamma, []float64{-2, -1, 0}).Affine(10, 0)
	opposite := goal.Affine(-1, 0)
	T := []float64{
		1, 0, 0, 0, 1, 0, // s=0: stay, right
		0, 1, 0, 0, 0, 1, // s=1
		0, 0, 1, 0, 0, 1, // s=2
	}

	e1, _ := compare.EPICDistance(goal, shaped, gamma, compare.Dists{}, compare.PotentialShaping)
	e2, _ := compare.EPICDistance(goal, opposite, gamma, compare.Dists{}, compare.PotentialShaping)
	s1, _ := compare.STARCDistance(goal, shaped, gamma, compare.STARCOptions{Transitions: T}, compare.ShapingRedistribution)
	r, _ := compare.Regret(goal, opposite, gamma, T, nil, compare.PotentialShaping)
	fmt.Printf("EPIC(goal, shaped) = %.6f, EPIC(goal, −goal) = %.6f\n", e1, e2)
	fmt.Printf("STARC(goal, shaped) = %.6f\n", s1)
	fmt.Printf("regret of −goal's optimal policy under goal: %.3f (normalised %.3f)\n", r.Regret, r.Normalized)

	// EPIC is not invariant to S′-redistribution: asked to honour it, it declines.
	_, err := compare.EPICDistance(goal, shaped, gamma, compare.Dists{}, compare.ShapingRedistribution)
	var inc *mesalab.Incomparable
	fmt.Println(errors.As(err, &inc))
	// Output:
	// EPIC(goal, shaped) = 0.000000, EPIC(goal, −goal) = 1.000000
	// STARC(goal, shaped) = 0.000000
	// regret of −goal's optimal policy under goal: 5.700 (normalised 1.000)
	// true
}

// A prepared EPIC reuses its workspace: comparing many rewards on one shape
// allocates nothing per comparison.
func ExampleNewEPIC() {
	const S, A = 2, 1
	e, _ := compare.NewEPIC(S, A, 0.5, compare.Dists{})
	base, _ := compare.NewReward(S, A, []float64{0, 1, 0, 1})
	for _, r := range [][]float64{{0, 2, 0, 2}, {1, 0, 1, 0}, {0, 1, 1, 0}} {
		other, _ := compare.NewReward(S, A, r)
		d, _ := e.Distance(base, other, compare.PotentialShaping)
		fmt.Printf("%.4f\n", d)
	}
	// Output:
	// 0.0000
	// 1.0000
	// 0.7071
}
