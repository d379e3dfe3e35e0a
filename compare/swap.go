package compare

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab"
)

// Swappable is a mesa-optimizer whose mesa-objective is parameterised: the same
// search and decoder can be given another objective g′ (DESIGN.md §1, bridge b).
type Swappable[X, O, Sig any] interface {
	mesalab.Mesa[X, O, Sig]
	// ObjectiveParams returns the parameters of g (a copy).
	ObjectiveParams() []float64
	// WithObjective returns m_g′: the same system pursuing g′ = params.
	WithObjective(params []float64) (mesalab.Mesa[X, O, Sig], error)
}

// Alternative is a named replacement objective g′: the base-optimal weights, a
// proxy, another seed's weights.
type Alternative struct {
	Name   string    `json:"name"`
	Params []float64 `json:"params"`
}

// Evaluation is the base objective on one task distribution, f_ν.
type Evaluation[X, O any] struct {
	Distribution string
	Objective    mesalab.Objective[X, O]
}

// SwapResult is the effect of one swap on one distribution.
type SwapResult struct {
	Alternative  string    `json:"alternative"`
	Params       []float64 `json:"params"`
	Distribution string    `json:"distribution"`
	// Before is f(m_g), After f(m_g′), Change = After − Before.
	Before float64 `json:"before"`
	After  float64 `json:"after"`
	Change float64 `json:"change"`
}

// Swap is bridge (b), the counterfactual swap: for each alternative g′ it
// replaces m's mesa-objective g by g′, keeping everything else of m, and reports
//
//	Δf = f(m_g′) − f(m_g)
//
// on each distribution. A swap to the base-optimal objective that raises f
// where m falls short says the shortfall lies in g, not in m's search; a swap to
// a proxy that leaves f unchanged on training but lowers it on a shift says
// training could not tell g from the proxy. Results are ordered by alternative,
// then distribution. An alternative with the wrong number of parameters, a
// failing WithObjective or a non-finite f is an error naming it.
func Swap[X, O, Sig any](m Swappable[X, O, Sig], alts []Alternative, on ...Evaluation[X, O]) ([]SwapResult, error) {
	own := m.ObjectiveParams()
	before := make([]float64, len(on))
	for j, ev := range on {
		f := ev.Objective.Score(m)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("swap: f(m_g) on %s = %v, want a finite number", ev.Distribution, f)
		}
		before[j] = f
	}
	out := make([]SwapResult, 0, len(alts)*len(on))
	for _, alt := range alts {
		if len(alt.Params) != len(own) {
			return nil, fmt.Errorf("swap: alternative %q has %d parameters, the mesa-objective has %d", alt.Name, len(alt.Params), len(own))
		}
		swapped, err := m.WithObjective(alt.Params)
		if err != nil {
			return nil, fmt.Errorf("swap: alternative %q: %w", alt.Name, err)
		}
		for j, ev := range on {
			f := ev.Objective.Score(swapped)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("swap: f(m_g′) for alternative %q on %s = %v, want a finite number", alt.Name, ev.Distribution, f)
			}
			out = append(out, SwapResult{Alternative: alt.Name, Params: append([]float64(nil), alt.Params...),
				Distribution: ev.Distribution, Before: before[j], After: f, Change: f - before[j]})
		}
	}
	return out, nil
}
