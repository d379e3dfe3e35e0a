package base

import "math"

// Adam is the Adam optimizer (Kingma & Ba, "Adam: A Method for Stochastic
// Optimization", ICLR 2015, Algorithm 1), written for gradient *ascent*:
//
//	m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²
//	θ ← θ + α·m̂/(√v̂ + ε),  m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)
//
// The zero value is not usable; build it with [NewAdam].
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

// Ascend moves theta one step along the ascent direction given by grad.
func (a *Adam) Ascend(theta, grad []float64) {
	a.t++
	b1t := 1 - math.Pow(a.Beta1, float64(a.t))
	b2t := 1 - math.Pow(a.Beta2, float64(a.t))
	for i, g := range grad {
		a.m[i] = a.Beta1*a.m[i] + (1-a.Beta1)*g
		a.v[i] = a.Beta2*a.v[i] + (1-a.Beta2)*g*g
		theta[i] += a.Alpha * (a.m[i] / b1t) / (math.Sqrt(a.v[i]/b2t) + a.Eps)
	}
}
