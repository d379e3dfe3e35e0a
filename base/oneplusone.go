package base

import (
	"math"
	"math/rand/v2"
)

// OnePlusOne is the (1+1) evolution strategy with the 1/5th success rule
// (Rechenberg, "Evolutionsstrategie", 1973; the step-size rule in the form of
// Kern et al., "Learning probability distributions in continuous evolutionary
// algorithms – a comparative review", Natural Computing 3, 2004, §3.1):
//
//	x' = x + σ·z,  z ~ N(0, I)
//	if f(x') ≥ f(x):  x ← x'
//	σ ← σ · exp((1[f(x') ≥ f(x)] − 1/5) / d),  d = 1 + n/2
//
// so σ is stationary exactly when one mutation in five succeeds. Accepting equal
// values lets the search drift across the plateaus of a piecewise-constant
// objective. One evaluation per generation: the (1+1)-ES is inherently serial
// (parallelism, if any, is inside the objective).
type OnePlusOne struct {
	Dim         int
	Start       []float64 // x₀ (zeros if nil)
	Sigma       float64   // σ₀ > 0
	Generations int       // mutations (default 1000)
	Seed        uint64
	// MinSigma stops the run when σ falls below it (0: never).
	MinSigma float64
}

// Run maximises f from Start.
func (es OnePlusOne) Run(f Objective, observe Observer) (Result, error) {
	x, err := checkStart("(1+1)-ES", es.Dim, es.Start)
	if err != nil {
		return Result{}, err
	}
	if err := checkPositive("(1+1)-ES", "Sigma", es.Sigma); err != nil {
		return Result{}, err
	}
	gens := defaultInt(es.Generations, 1000)
	r := rand.New(rand.NewPCG(es.Seed, 0x31706c757331))
	d := 1 + float64(es.Dim)/2
	up, down := math.Exp(0.8/d), math.Exp(-0.2/d)
	sigma := es.Sigma
	fx := f(x)
	if math.IsNaN(fx) {
		fx = negInf
	}
	y := make([]float64, es.Dim)
	res := Result{Evaluations: 1}
	for g := range gens {
		for j := range y {
			y[j] = x[j] + sigma*r.NormFloat64()
		}
		fy := f(y)
		res.Evaluations++
		if fy >= fx { // NaN compares false: a broken mutation is rejected
			x, y = y, x
			fx = fy
			sigma *= up
		} else {
			sigma *= down
		}
		res.Generations = g + 1
		res.Trace = append(res.Trace, fx)
		if observe != nil && observe(Generation{Index: g, Evaluations: res.Evaluations, Best: fx, Mean: fy, Sigma: sigma}) {
			break
		}
		if sigma < es.MinSigma {
			break
		}
	}
	res.Theta, res.Value = x, fx
	return res, nil
}

var negInf = math.Inf(-1)
