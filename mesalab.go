// Package mesalab holds the formal types of learned optimization: systems, base
// objectives, task distributions, mesa-optimizers and the bridges that make a base
// objective and a mesa-objective comparable.
//
// Notation follows DESIGN.md and Hubinger et al., "Risks from Learned Optimization"
// (2019): a base optimizer searches systems s ∈ S, each a map X → O from tasks to
// outputs, by a base objective f : S → ℝ. A mesa-optimizer m is a system that on
// every task x searches an internal space Σ_x by a mesa-objective g_x : Σ_x → ℝ and
// decodes the winner through φ : Σ_x → O.
//
// f and g_x have different type signatures, so they are comparable only through a
// bridge: a [Decomposition] of f over tasks (bridge a), a counterfactual swap of g
// (bridge b) or a pull-back of both onto a common space (bridge c). A comparison
// that lacks its bridge returns [Incomparable] naming what is missing, never a number.
package mesalab

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// System is a learned algorithm s ∈ S: a map from tasks X to outputs O.
type System[X, O any] interface {
	Act(x X) O
}

// Objective is a base objective f : S → ℝ, the criterion by which a base optimizer
// selects systems. Larger is better.
type Objective[X, O any] interface {
	Score(s System[X, O]) float64
}

// Distribution is a task distribution ν over X. Sample draws one task; every draw
// comes from the source it is given, so equal seeds give equal tasks.
type Distribution[X any] interface {
	// Name identifies the distribution in results ("train", "shift", …).
	Name() string
	Sample(r *rand.Rand) X
}

// Weighted is one task of a finite distribution with its probability.
type Weighted[X any] struct {
	Task   X
	Weight float64
}

// Finite is a distribution whose support can be enumerated with its weights. A
// comparison over a Finite distribution is exact rather than sampled.
type Finite[X any] interface {
	Distribution[X]
	// Support lists every task with positive probability; weights sum to 1.
	Support() []Weighted[X]
}

// Mesa is a mesa-optimizer: a system whose Act runs a search over Σ_x (Candidates)
// by the mesa-objective g_x (Objective) and decodes the winner with φ (Decode).
// Act(x) must equal Decode(x, σ*) for some σ* maximising Objective(x, ·).
type Mesa[X, O, Sig any] interface {
	System[X, O]
	// Candidates enumerates Σ_x, the internal search space on task x.
	Candidates(x X) []Sig
	// Objective is the mesa-objective g_x(σ).
	Objective(x X, sigma Sig) float64
	// Decode is φ (in general h_m(x, σ)): the output a candidate stands for.
	Decode(x X, sigma Sig) O
}

// Induced is a system whose utility over outputs is known: the induced mesa utility
// u_m(x)(o). It is the form in which a mesa-objective meets a per-task base utility.
type Induced[X any, O comparable] interface {
	System[X, O]
	// InducedUtility returns u_m(x)(o) for each o in outputs, −∞ where no candidate
	// decodes to o.
	InducedUtility(x X, outputs []O) []float64
}

// Induce views a Mesa with a finite Σ_x through its induced utility
//
//	u_m(x)(o) = max{ g_x(σ) : φ(σ) = o },  −∞ where no σ decodes to o.
func Induce[X any, O comparable, Sig any](m Mesa[X, O, Sig]) Induced[X, O] {
	return induced[X, O, Sig]{m}
}

type induced[X any, O comparable, Sig any] struct{ m Mesa[X, O, Sig] }

func (i induced[X, O, Sig]) Act(x X) O { return i.m.Act(x) }

func (i induced[X, O, Sig]) InducedUtility(x X, outputs []O) []float64 {
	u := make([]float64, len(outputs))
	for k := range u {
		u[k] = math.Inf(-1)
	}
	index := make(map[O]int, len(outputs))
	for k, o := range outputs {
		index[o] = k
	}
	for _, sigma := range i.m.Candidates(x) {
		k, ok := index[i.m.Decode(x, sigma)]
		if !ok {
			continue
		}
		if g := i.m.Objective(x, sigma); g > u[k] {
			u[k] = g
		}
	}
	return u
}

// Decomposition is bridge (a): the base objective written as an expectation over
// tasks of a per-task utility,
//
//	f(s) = E_{x∼ν}[ u*(x)(s(x)) ].
//
// With it, a base objective over systems becomes comparable, task by task, with a
// mesa-optimizer's induced utility over outputs.
type Decomposition[X any, O comparable] struct {
	// Tasks is ν, the distribution f averages over.
	Tasks Distribution[X]
	// Outputs lists O on task x: the outputs the utility is defined over.
	Outputs func(x X) []O
	// Utility is u*(x)(o).
	Utility func(x X, o O) float64
}

// Missing lists the parts of the decomposition that are absent, in the words a
// result should print; it is empty for a usable decomposition.
func (d *Decomposition[X, O]) Missing() []string {
	if d == nil {
		return []string{"decomposition of the base objective over tasks (bridge a: ν and u*)"}
	}
	var miss []string
	if d.Outputs == nil {
		miss = append(miss, "output space O per task")
	}
	if d.Utility == nil {
		miss = append(miss, "per-task base utility u*")
	}
	return miss
}

// Score evaluates f(s) = E_{x∼ν}[u*(x)(s(x))] exactly when ν is [Finite], and by the
// mean of n samples drawn from r otherwise.
func (d *Decomposition[X, O]) Score(s System[X, O], r *rand.Rand, n int) float64 {
	if fin, ok := d.Tasks.(Finite[X]); ok {
		var f float64
		for _, w := range fin.Support() {
			f += w.Weight * d.Utility(w.Task, s.Act(w.Task))
		}
		return f
	}
	var f float64
	for range n {
		x := d.Tasks.Sample(r)
		f += d.Utility(x, s.Act(x))
	}
	return f / float64(n)
}

// Incomparable is the honest result of a comparison whose bridge is missing: it
// names every missing piece instead of returning a number it cannot justify.
type Incomparable struct {
	Missing []string `json:"missing"`
}

// Error makes an *Incomparable usable as an error where a caller needs a number.
func (e *Incomparable) Error() string {
	return "incomparable: missing " + strings.Join(e.Missing, "; ")
}

// Comparison is the result of comparing a base objective with a system's objective
// on one task distribution. When Incomparable is non-nil no number is defined and
// the numeric fields are zero (and null in JSON).
type Comparison struct {
	// Distribution names the task distribution compared on.
	Distribution string
	// Subject names the system compared (a seed, an agent) when a run has several.
	Subject string
	// Agreement is the ν-weighted share of tasks on which the system's output
	// maximises u*.
	Agreement float64
	// Regret is E_x[max_o u*(x)(o) − u*(x)(s(x))].
	Regret float64
	// NormalizedRegret is E_x[regret(x) / (max_o u* − min_o u*)], a task with a
	// constant u* contributing 0.
	NormalizedRegret float64
	// Distance is the Pearson distance √((1−ρ)/2) between u* and the induced utility
	// u_m after centring each per task (EPIC with γ = 0); see compare.Pearson for the
	// degenerate cases.
	Distance float64
	// Coverage is the share of the finite task space X that this distribution
	// reaches with positive probability. It is measured only for an enumerated
	// distribution over a task space of known size; otherwise it is
	// [CoverageUnknown] (null in JSON).
	Coverage float64
	// Tasks is the number of tasks evaluated (support size or sample count).
	Tasks int
	// Incomparable, when set, says which bridge is missing.
	Incomparable *Incomparable
}

// CoverageUnknown marks a Comparison whose coverage was not measured.
const CoverageUnknown = -1.0

// String renders a comparison on one line for logs and tests.
func (c Comparison) String() string {
	if c.Incomparable != nil {
		return fmt.Sprintf("%s: %v", c.Distribution, c.Incomparable)
	}
	return fmt.Sprintf("%s: agreement=%.4g regret=%.4g normalized_regret=%.4g distance=%.4g coverage=%.4g",
		c.Distribution, c.Agreement, c.Regret, c.NormalizedRegret, c.Distance, c.Coverage)
}
