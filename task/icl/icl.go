// Package icl holds in-context linear regression: the task distribution of von Oswald
// et al., "Transformers Learn In-Context by Gradient Descent" (ICML 2023), the
// reference algorithms a learned in-context learner is compared with (gradient
// descent, GD++, ridge, exact least squares, the Bayes posterior mean), and the
// closed forms of the one-step-GD loss.
//
// A task draws hidden weights w ~ N(0, I_d), N context inputs and a query input
// x_i, x_q ~ U(−a, a)^d and labels y_i = w·x_i + ε_i, y_q = w·x_q + ε_q with
// ε ~ N(0, σ_ε²). A learner sees the context pairs (x_i, y_i) and x_q and predicts
// y_q; it never sees w. The reference setting (d = N = 10, a = 0.5, σ_ε = 0) is the
// one of the authors' released code: the paper's text says U(−1, 1), but its code and
// every number in its figures use U(−0.5, 0.5).
//
// Losses here are mean squared errors (MSE); the paper's figures show ½·MSE.
package icl

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Kurtosis is E[x⁴]/E[x²]² of a uniform input coordinate: 9/5.
const Kurtosis = 9.0 / 5

// MaxDim bounds d and N so that a bad input cannot ask for an absurd allocation.
const MaxDim = 4096

// Spec describes a task distribution.
type Spec struct {
	D     int     // input dimension d
	N     int     // number of context pairs
	Scale float64 // a: inputs are uniform on [−a, a]^d
	Noise float64 // σ_ε: standard deviation of the label noise (context and query)
}

// Reference returns the setting of the reference: d = N = 10, x ~ U(−0.5, 0.5), no
// label noise.
func Reference() Spec { return Spec{D: 10, N: 10, Scale: 0.5} }

// Validate reports a spec that cannot describe a distribution, naming the field.
func (s Spec) Validate() error {
	switch {
	case s.D < 1 || s.D > MaxDim:
		return fmt.Errorf("icl: input dimension d = %d, want 1 … %d", s.D, MaxDim)
	case s.N < 1 || s.N > MaxDim:
		return fmt.Errorf("icl: context size N = %d, want 1 … %d", s.N, MaxDim)
	case !(s.Scale > 0) || math.IsInf(s.Scale, 0):
		return fmt.Errorf("icl: input scale a = %v, want a finite number > 0", s.Scale)
	case !(s.Noise >= 0) || math.IsInf(s.Noise, 0):
		return fmt.Errorf("icl: label noise σ_ε = %v, want a finite number ≥ 0", s.Noise)
	}
	return nil
}

// InputVariance is σ² = a²/3, the variance of one input coordinate.
func (s Spec) InputVariance() float64 { return s.Scale * s.Scale / 3 }

// String renders the spec as it appears in results.
func (s Spec) String() string {
	return fmt.Sprintf("d=%d N=%d x~U(−%g,%g) σ_ε=%g", s.D, s.N, s.Scale, s.Scale, s.Noise)
}

// Task is one in-context regression problem. X, Y and Query are what a learner sees;
// W and Target are hidden.
type Task struct {
	Spec   Spec
	X      []float64 // N×d, row-major: x_i = X[i*d : (i+1)*d]
	Y      []float64 // the N context labels
	Query  []float64 // x_q
	Target float64   // y_q, the label to predict
	W      []float64 // the hidden weights w
}

// NewTask allocates a task for spec s (zero-valued until sampled into).
func NewTask(s Spec) *Task {
	return &Task{Spec: s, X: make([]float64, s.N*s.D), Y: make([]float64, s.N),
		Query: make([]float64, s.D), W: make([]float64, s.D)}
}

// Input returns the context input x_i (a view into X).
func (t *Task) Input(i int) []float64 { d := t.Spec.D; return t.X[i*d : (i+1)*d] }

// Distribution is a task distribution: a [mesalab.Distribution] over *Task.
type Distribution struct {
	name string
	spec Spec
}

// NewDistribution returns the distribution of spec s under a name ("train", "shift").
func NewDistribution(name string, s Spec) (*Distribution, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("distribution %s: %w", name, err)
	}
	return &Distribution{name: name, spec: s}, nil
}

// Name returns the distribution's name.
func (d *Distribution) Name() string { return d.name }

// Spec returns the distribution's spec.
func (d *Distribution) Spec() Spec { return d.spec }

// Sample draws a new task from r.
func (d *Distribution) Sample(r *rand.Rand) *Task {
	t := NewTask(d.spec)
	d.SampleInto(r, t)
	return t
}

// SampleInto draws a task from r into t, reusing t's storage (allocation-free when t
// was made by NewTask for the same d and N). The draws are made in a fixed order —
// w, then each x_i with its label, then x_q and y_q — so equal sources give equal
// tasks.
func (d *Distribution) SampleInto(r *rand.Rand, t *Task) {
	s := d.spec
	t.Spec = s
	t.X, t.Y = resize(t.X, s.N*s.D), resize(t.Y, s.N)
	t.Query, t.W = resize(t.Query, s.D), resize(t.W, s.D)
	for j := range t.W {
		t.W[j] = r.NormFloat64()
	}
	a2 := 2 * s.Scale
	for i := range s.N {
		x := t.X[i*s.D : (i+1)*s.D]
		var y float64
		for j := range x {
			x[j] = (r.Float64() - 0.5) * a2
			y += t.W[j] * x[j]
		}
		if s.Noise > 0 {
			y += s.Noise * r.NormFloat64()
		}
		t.Y[i] = y
	}
	var y float64
	for j := range t.Query {
		t.Query[j] = (r.Float64() - 0.5) * a2
		y += t.W[j] * t.Query[j]
	}
	if s.Noise > 0 {
		y += s.Noise * r.NormFloat64()
	}
	t.Target = y
}

func resize(b []float64, n int) []float64 {
	if cap(b) >= n {
		return b[:n]
	}
	return make([]float64, n)
}

// Dot returns the prediction w·x.
func Dot(w, x []float64) float64 {
	var s float64
	for j := range w {
		s += w[j] * x[j]
	}
	return s
}

// Loss is the in-context least-squares loss of weights v on the task's context,
//
//	L(v) = 1/(2N) Σ_i (v·x_i − y_i)²,
//
// the objective one step of gradient descent from v = 0 decreases (von Oswald et al.
// 2023, §2). It sees only the context, never w.
func Loss(t *Task, v []float64) float64 {
	var s float64
	for i, y := range t.Y {
		r := Dot(v, t.Input(i)) - y
		s += r * r
	}
	return s / (2 * float64(len(t.Y)))
}

// QueryError is the expected squared error over the query input and its noise of the
// linear predictor x ↦ v·x, given the hidden w:
//
//	E[(v·x_q − y_q)² | w] = σ² |v − w|² + σ_ε².
//
// Averaging it over tasks estimates the MSE with less variance than sampled queries
// (it integrates x_q out exactly).
func QueryError(t *Task, v []float64) float64 {
	var s float64
	for j := range v {
		e := v[j] - t.W[j]
		s += e * e
	}
	return t.Spec.InputVariance()*s + t.Spec.Noise*t.Spec.Noise
}
