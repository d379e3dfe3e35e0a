package base

import (
	"fmt"
	"math"
)

// Adam is the Adam optimizer (Kingma & Ba, "Adam: A Method for Stochastic
// Optimization", ICLR 2015, Algorithm 1):
//
//	m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
//	θ ← θ ± α·m̂/(√v̂ + ε),  m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)
//
// with + for [Adam.Ascend] (maximising a return or a likelihood) and − for
// [Adam.Descend] (minimising a loss). It is the one Adam of mesalab: REINFORCE, MCE
// IRL and the linear self-attention trainer all step with it. The moments are sized
// on the first step (and reset if the parameter count changes); steps after the
// first allocate nothing.
type Adam struct {
	Alpha, Beta1, Beta2, Eps float64
	m, v                     []float64
	t                        int
}

// NewAdam returns Adam for n parameters with step size alpha and the paper's
// defaults β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
func NewAdam(n int, alpha float64) *Adam {
	return &Adam{Alpha: alpha, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, m: make([]float64, n), v: make([]float64, n)}
}

// Validate reports hyper-parameters outside their ranges.
func (a *Adam) Validate() error {
	switch {
	case !(a.Alpha > 0) || math.IsInf(a.Alpha, 0):
		return fmt.Errorf("adam: step size α = %v, want a finite number > 0", a.Alpha)
	case !(a.Beta1 >= 0 && a.Beta1 < 1):
		return fmt.Errorf("adam: β₁ = %v, want 0 ≤ β₁ < 1", a.Beta1)
	case !(a.Beta2 >= 0 && a.Beta2 < 1):
		return fmt.Errorf("adam: β₂ = %v, want 0 ≤ β₂ < 1", a.Beta2)
	case !(a.Eps > 0) || math.IsInf(a.Eps, 0):
		return fmt.Errorf("adam: ε = %v, want a finite number > 0", a.Eps)
	}
	return nil
}

// Ascend moves theta one step along the ascent direction given by grad.
func (a *Adam) Ascend(theta, grad []float64) { a.step(theta, grad, 1) }

// Descend moves theta one step against grad.
func (a *Adam) Descend(theta, grad []float64) { a.step(theta, grad, -1) }

func (a *Adam) step(theta, grad []float64, sign float64) {
	if len(a.m) != len(theta) {
		a.m, a.v, a.t = make([]float64, len(theta)), make([]float64, len(theta)), 0
	}
	a.t++
	b1t := 1 - math.Pow(a.Beta1, float64(a.t))
	b2t := 1 - math.Pow(a.Beta2, float64(a.t))
	for i, g := range grad {
		a.m[i] = a.Beta1*a.m[i] + (1-a.Beta1)*g
		a.v[i] = a.Beta2*a.v[i] + (1-a.Beta2)*g*g
		theta[i] += sign * a.Alpha * (a.m[i] / b1t) / (math.Sqrt(a.v[i]/b2t) + a.Eps)
	}
}
