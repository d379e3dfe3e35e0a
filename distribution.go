package mesalab

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Enumerated is a finite distribution given by its support and weights.
// Build it with [NewEnumerated] or [Uniform], which validate.
type Enumerated[X any] struct {
	name  string
	items []Weighted[X]
	cum   []float64
}

// NewEnumerated returns the finite distribution that puts weight w on each task.
// Weights must be finite and non-negative and sum to 1 within 1e-9; tasks of weight
// 0 are dropped from the support.
func NewEnumerated[X any](name string, items []Weighted[X]) (*Enumerated[X], error) {
	var sum float64
	var kept []Weighted[X]
	for i, it := range items {
		if math.IsNaN(it.Weight) || math.IsInf(it.Weight, 0) || it.Weight < 0 {
			return nil, fmt.Errorf("distribution %s: weight %d = %v, want a finite number ≥ 0", name, i, it.Weight)
		}
		sum += it.Weight
		if it.Weight > 0 {
			kept = append(kept, it)
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		return nil, fmt.Errorf("distribution %s: weights sum to %v, want 1", name, sum)
	}
	d := &Enumerated[X]{name: name, items: kept, cum: make([]float64, len(kept))}
	var c float64
	for i, it := range kept {
		c += it.Weight
		d.cum[i] = c
	}
	return d, nil
}

// Uniform returns the uniform distribution over tasks.
func Uniform[X any](name string, tasks []X) *Enumerated[X] {
	items := make([]Weighted[X], len(tasks))
	for i, x := range tasks {
		items[i] = Weighted[X]{Task: x, Weight: 1 / float64(len(tasks))}
	}
	d, err := NewEnumerated(name, items)
	if err != nil {
		panic(err) // unreachable: uniform weights are valid
	}
	return d
}

// Name returns the distribution's name.
func (d *Enumerated[X]) Name() string { return d.name }

// Support returns the tasks of positive weight.
func (d *Enumerated[X]) Support() []Weighted[X] { return d.items }

// Sample draws a task by inverting the cumulative weights.
func (d *Enumerated[X]) Sample(r *rand.Rand) X {
	u := r.Float64() * d.cum[len(d.cum)-1]
	for i, c := range d.cum {
		if u < c {
			return d.items[i].Task
		}
	}
	return d.items[len(d.items)-1].Task
}
