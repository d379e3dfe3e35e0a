// Package compare compares objectives once a bridge makes them comparable: the
// induced mesa utility against a per-task base utility (bridge a), and distances
// between reward functions modulo an invariance class.
package compare

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mesalab/mesalab"
)

// Options says how to visit a distribution that cannot be enumerated, and how large
// the task space is (for coverage).
type Options struct {
	// Samples is the number of tasks drawn from a non-Finite distribution
	// (default 1000).
	Samples int
	// Seed seeds those draws; each distribution gets its own stream.
	Seed uint64
	// TaskSpace is |X| when X is finite and known; 0 otherwise. Coverage is measured
	// only when it is set and the distribution is enumerated.
	TaskSpace int
}

// Mesa compares a mesa-optimizer with a decomposed base objective on each
// distribution: agreement, regret, normalised regret, the Pearson distance between
// u* and the induced utility u_m (EPIC with γ = 0), and coverage.
func Mesa[X any, O comparable, Sig any](d *mesalab.Decomposition[X, O], m mesalab.Mesa[X, O, Sig],
	opt Options, on ...mesalab.Distribution[X]) []mesalab.Comparison {
	return System[X, O](d, mesalab.Induce(m), opt, on...)
}

// System compares any system with a decomposed base objective. A system that is not
// [mesalab.Induced] (a reactive policy: no Σ_x, g_x or φ) has no mesa-objective to
// compare, and every result is Incomparable saying so; so is every result when the
// decomposition is missing.
func System[X any, O comparable](d *mesalab.Decomposition[X, O], s mesalab.System[X, O],
	opt Options, on ...mesalab.Distribution[X]) []mesalab.Comparison {
	missing := d.Missing()
	ind, ok := s.(mesalab.Induced[X, O])
	if !ok {
		missing = append(missing, fmt.Sprintf("mesa-objective: %T is not a mesa-optimizer (it exposes no Σ_x, g_x or φ); compare its behavioral objective instead", s))
	}
	out := make([]mesalab.Comparison, len(on))
	for i, dist := range on {
		if len(missing) > 0 {
			out[i] = mesalab.Comparison{Distribution: dist.Name(), Incomparable: &mesalab.Incomparable{Missing: missing}}
			continue
		}
		out[i] = onDistribution(d, ind, dist, opt, uint64(i))
	}
	return out
}

// tasksOf enumerates a Finite distribution or samples a general one.
func tasksOf[X any](dist mesalab.Distribution[X], opt Options, stream uint64) []mesalab.Weighted[X] {
	if fin, ok := dist.(mesalab.Finite[X]); ok {
		return fin.Support()
	}
	n := opt.Samples
	if n <= 0 {
		n = 1000
	}
	r := rand.New(rand.NewPCG(opt.Seed, stream))
	tasks := make([]mesalab.Weighted[X], n)
	for i := range tasks {
		tasks[i] = mesalab.Weighted[X]{Task: dist.Sample(r), Weight: 1 / float64(n)}
	}
	return tasks
}

func onDistribution[X any, O comparable](d *mesalab.Decomposition[X, O], m mesalab.Induced[X, O],
	dist mesalab.Distribution[X], opt Options, stream uint64) mesalab.Comparison {
	tasks := tasksOf(dist, opt, stream)
	c := mesalab.Comparison{Distribution: dist.Name(), Tasks: len(tasks)}
	var pearson Accumulator
	var mass float64
	reached := 0
	for _, wt := range tasks {
		if wt.Weight <= 0 {
			continue
		}
		reached++
		x := wt.Task
		outs := d.Outputs(x)
		if len(outs) == 0 {
			continue
		}
		ustar := make([]float64, len(outs))
		for k, o := range outs {
			ustar[k] = d.Utility(x, o)
		}
		umesa := m.InducedUtility(x, outs)
		o := OutcomeOf(ustar, d.Utility(x, m.Act(x)))
		mass += wt.Weight
		c.Agreement += wt.Weight * o.Agree
		c.Regret += wt.Weight * o.Regret
		c.NormalizedRegret += wt.Weight * o.NormalizedRegret
		pearson.AddCentred(ustar, umesa, wt.Weight)
	}
	if mass > 0 {
		c.Agreement /= mass
		c.Regret /= mass
		c.NormalizedRegret /= mass
	}
	c.Distance = pearson.Distance()
	c.Coverage = mesalab.CoverageUnknown
	if _, enumerated := dist.(mesalab.Finite[X]); enumerated && opt.TaskSpace > 0 {
		c.Coverage = float64(reached) / float64(opt.TaskSpace)
	}
	return c
}

// Outcome is how one output fares under a per-task utility u*.
type Outcome struct {
	Agree            float64 // 1 if the output maximises u*, else 0
	Regret           float64 // max u* − u*(output)
	NormalizedRegret float64 // regret / (max u* − min u*), 0 when u* is constant
}

// OutcomeOf scores an output whose base utility is uact against the utilities
// ustar of every output of the task.
func OutcomeOf(ustar []float64, uact float64) Outcome {
	hi, lo := math.Inf(-1), math.Inf(1)
	for _, u := range ustar {
		hi, lo = math.Max(hi, u), math.Min(lo, u)
	}
	var o Outcome
	o.Regret = math.Max(0, hi-uact)
	if uact >= hi {
		o.Agree = 1
	}
	if hi > lo {
		o.NormalizedRegret = o.Regret / (hi - lo)
	}
	return o
}
