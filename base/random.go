package base

import (
	"math/rand/v2"
)

// RandomSearch is pure random search (Brooks, "A Discussion of Random Methods for
// Seeking Maxima", Operations Research 6(2), 1958): every candidate is drawn
// independently from N(Center, Sigma²·I) and the best one ever seen is kept. It has
// no adaptation at all, which makes it the baseline every other optimizer must beat.
type RandomSearch struct {
	Dim         int       // n, the length of θ
	Center      []float64 // mean of the sampling distribution (zeros if nil)
	Sigma       float64   // standard deviation of every coordinate (> 0)
	Population  int       // candidates per generation, evaluated in parallel (default 16)
	Generations int       // generations (default 100)
	Seed        uint64
	// IncludeCenter evaluates Center itself as the first candidate of generation 0.
	IncludeCenter bool
}

// Run maximises f. It returns the best candidate and its value.
func (rs RandomSearch) Run(f Objective, observe Observer) (Result, error) {
	center, err := checkStart("random search", rs.Dim, rs.Center)
	if err != nil {
		return Result{}, err
	}
	if err := checkPositive("random search", "Sigma", rs.Sigma); err != nil {
		return Result{}, err
	}
	pop := defaultInt(rs.Population, 16)
	gens := defaultInt(rs.Generations, 100)
	r := rand.New(rand.NewPCG(rs.Seed, 0x72616e646f6d))
	xs := make([][]float64, pop)
	for i := range xs {
		xs[i] = make([]float64, rs.Dim)
	}
	fs := make([]float64, pop)
	res := Result{Theta: append([]float64(nil), center...), Value: negInf}
	for g := range gens {
		for i, x := range xs {
			for j := range x {
				x[j] = center[j] + rs.Sigma*r.NormFloat64()
			}
			if g == 0 && i == 0 && rs.IncludeCenter {
				copy(x, center)
			}
		}
		evaluate(f, xs, fs)
		best := rank(fs)[0]
		if fs[best] > res.Value {
			res.Value = fs[best]
			copy(res.Theta, xs[best])
		}
		res.Evaluations += pop
		res.Generations = g + 1
		res.Trace = append(res.Trace, res.Value)
		if observe != nil && observe(Generation{Index: g, Evaluations: res.Evaluations, Best: res.Value, Mean: mean(fs), Sigma: rs.Sigma}) {
			break
		}
	}
	return res, nil
}

func defaultInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
