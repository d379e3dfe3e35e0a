// Package base holds base optimizers: the outer search of learned optimization
// (Hubinger et al., "Risks from Learned Optimization", 2019, §1.1), which selects a
// system — here a parameter vector θ ∈ ℝⁿ — by the base objective f(θ).
//
// The derivative-free optimizers ([RandomSearch], [OnePlusOne], [CMAES]) maximise an
// [Objective] f : ℝⁿ → ℝ, typically the mean visible return of the system θ over a
// batch of training tasks. [Reinforce] maximises the expected return of a stochastic
// (softmax) policy by the score-function gradient with a baseline, stepped by [Adam].
//
// Every optimizer is deterministic given its Seed: candidates are drawn serially from
// a PCG source, the candidates of a generation are evaluated in parallel with
// [parallel.For], each writing its own slot, and every reduction is done in index
// order. Results are therefore bit-identical whatever GOMAXPROCS is, provided the
// objective itself is deterministic.
package base

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/mesalab/mesalab/internal/parallel"
)

// Objective is a base objective f(θ), to be maximised. It is called concurrently
// from several goroutines and must not retain or modify θ.
type Objective func(theta []float64) float64

// Generation is what an optimizer reports after each generation (iteration).
type Generation struct {
	Index       int     // 0-based generation number
	Evaluations int     // objective evaluations (or episodes) so far
	Best        float64 // best objective value found so far
	Mean        float64 // mean objective value of this generation's candidates
	Sigma       float64 // current step size, where the method has one (0 otherwise)
}

// Observer is called after every generation, in order, from the optimizer's
// goroutine. Returning true stops the optimization after this generation (for
// example once a target value is reached).
type Observer func(g Generation) (stop bool)

// Result is the outcome of one optimization run.
type Result struct {
	Theta       []float64 // best parameters found
	Value       float64   // f(Theta) as evaluated during the run
	Generations int       // generations run
	Evaluations int       // objective evaluations (episodes for Reinforce)
	// Trace is the best value found so far after each generation; for Reinforce,
	// the mean return of each iteration's batch.
	Trace []float64
}

// ErrDimension reports a parameter vector of the wrong size.
var ErrDimension = errors.New("base: dimension must be positive and match the initial point")

// checkStart validates an initial point and returns a copy of it (zeros if nil).
func checkStart(name string, dim int, x0 []float64) ([]float64, error) {
	if dim <= 0 || (x0 != nil && len(x0) != dim) {
		return nil, fmt.Errorf("%s: dimension %d, initial point of length %d: %w", name, dim, len(x0), ErrDimension)
	}
	x := make([]float64, dim)
	copy(x, x0)
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: initial point[%d] = %v, want a finite number", name, i, v)
		}
	}
	return x, nil
}

// checkPositive validates a positive finite setting.
func checkPositive(name, field string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("%s: %s = %v, want a finite number > 0", name, field, v)
	}
	return nil
}

// evaluate computes f on every candidate in parallel, each into its own slot. A NaN
// value counts as −∞ so that a broken candidate never wins.
func evaluate(f Objective, xs [][]float64, fs []float64) {
	parallel.For(len(xs), func(i int) {
		v := f(xs[i])
		if math.IsNaN(v) {
			v = math.Inf(-1)
		}
		fs[i] = v
	})
}

// rank returns candidate indices sorted by decreasing value, ties by index, so the
// order is a function of the values alone.
func rank(fs []float64) []int {
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case fs[a] > fs[b]:
			return -1
		case fs[a] < fs[b]:
			return 1
		}
		return 0
	})
	return idx
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
