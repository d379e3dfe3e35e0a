package compare

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"

	"github.com/mesalab/mesalab"
)

// Agent is one agent whose objective is a per-task utility over its own outputs
// (its actions, in its own vocabulary), and which acts by maximising it: on task x
// it picks the first output of largest utility.
type Agent[X any, O comparable] struct {
	Name    string
	Outputs func(x X) []O
	Utility func(x X, o O) float64
}

// Choose returns the output the agent picks on task x (first maximiser) and its
// index; ok is false when x offers no output.
func (a Agent[X, O]) Choose(x X) (o O, k int, ok bool) {
	outs := a.Outputs(x)
	if len(outs) == 0 {
		return o, -1, false
	}
	best := 0
	bu := a.Utility(x, outs[0])
	for i := 1; i < len(outs); i++ {
		if u := a.Utility(x, outs[i]); u > bu {
			best, bu = i, u
		}
	}
	return outs[best], best, true
}

// Pullback is bridge (c) for one agent: a world model World that maps each of
// the agent's outputs on task x to the world state W it brings about. Through it
// the agent's utility over its own outputs becomes a utility over world states,
//
//	u^W(x)(w) = max{ u(x)(o) : World(x, o) = w },
//
// defined on the world states the agent can reach (those in the image of
// World(x, ·)) — the same construction as the induced mesa utility, with the world
// model in the place of the decoder φ.
type Pullback[X any, O comparable, W comparable] struct {
	Agent Agent[X, O]
	// World is the world model; nil means there is none, and comparisons through
	// this pull-back are incomparable.
	World func(x X, o O) W
}

// PulledComparison is a comparison of two agents' objectives on a common space:
// the standard numbers (with A as the reference, in the place of the base
// utility, and B's choice as the system's output) plus the rank conflict.
type PulledComparison struct {
	mesalab.Comparison
	// Rho is the correlation of the two pulled-back utilities, per-task centred,
	// over the world states both can reach (Distance = √((1−Rho)/2)).
	Rho float64 `json:"rho"`
	// Conflict is the share of pairs of common world states that both agents rank
	// strictly and rank in opposite order (ν-weighted over tasks): 0 never
	// opposed, 1 always opposed, ½ unrelated. 0 when no pair is strictly ranked
	// by both.
	Conflict float64 `json:"conflict"`
	// Pairs is the number of pairs both rank strictly (summed over tasks).
	Pairs int `json:"pairs"`
}

// Pulled compares two agents' utilities after pulling both back to world states
// W. Per task x it takes the world states both can reach, C(x) = W_A(x) ∩ W_B(x),
// and reports on each distribution:
//
//   - Agreement: share of tasks where B's favourite common state (first
//     maximiser of u_B^W on C(x)) maximises u_A^W on C(x); Regret and
//     NormalizedRegret: A's loss there (OutcomeOf);
//   - Distance: Pearson distance of u_A^W and u_B^W over C(x), centred per task
//     (EPIC with γ = 0 on the common space), and Rho;
//   - Conflict: the share of strictly ranked pairs ranked oppositely;
//   - Coverage: ν-weighted |C(x)| / |W_A(x) ∪ W_B(x)|, how much of what either can
//     bring about the comparison sees.
//
// A missing world model, or no common world state on any task of a distribution,
// makes that distribution's result Incomparable, saying which.
func Pulled[X any, O1, O2, W comparable](a Pullback[X, O1, W], b Pullback[X, O2, W], opt Options,
	on ...mesalab.Distribution[X]) []PulledComparison {
	var missing []string
	for _, side := range []struct {
		name  string
		world bool
	}{{a.Agent.Name, a.World != nil}, {b.Agent.Name, b.World != nil}} {
		if !side.world {
			missing = append(missing, fmt.Sprintf("pull-back of %s's outputs to world states %s (bridge c): no world model", side.name, typeName[W]()))
		}
	}
	out := make([]PulledComparison, len(on))
	for i, dist := range on {
		if len(missing) > 0 {
			out[i].Comparison = mesalab.Comparison{Distribution: dist.Name(), Incomparable: &mesalab.Incomparable{Missing: missing}}
			continue
		}
		out[i] = pulledOn(a, b, dist, opt, uint64(i))
	}
	return out
}

// pulledUtility returns the world states an agent reaches on x, in order of
// first appearance, with u^W on them.
func pulledUtility[X any, O, W comparable](p Pullback[X, O, W], x X) ([]W, map[W]float64) {
	u := map[W]float64{}
	var order []W
	for _, o := range p.Agent.Outputs(x) {
		w := p.World(x, o)
		v := p.Agent.Utility(x, o)
		old, seen := u[w]
		if !seen {
			order = append(order, w)
			u[w] = v
		} else if v > old {
			u[w] = v
		}
	}
	return order, u
}

func pulledOn[X any, O1, O2, W comparable](a Pullback[X, O1, W], b Pullback[X, O2, W],
	dist mesalab.Distribution[X], opt Options, stream uint64) PulledComparison {
	tasks := tasksOf(dist, opt, stream)
	res := PulledComparison{Comparison: mesalab.Comparison{Distribution: dist.Name(),
		Subject: b.Agent.Name + " vs " + a.Agent.Name, Tasks: len(tasks)}}
	var acc Accumulator
	var mass, cover, discord, pairsW float64
	for _, wt := range tasks {
		if wt.Weight <= 0 {
			continue
		}
		x := wt.Task
		orderA, ua := pulledUtility(a, x)
		orderB, ub := pulledUtility(b, x)
		union := len(orderA)
		var common []W
		for _, w := range orderB {
			if _, ok := ua[w]; ok {
				common = append(common, w)
			} else {
				union++
			}
		}
		if union > 0 {
			cover += wt.Weight * float64(len(common)) / float64(union)
		}
		if len(common) == 0 {
			continue
		}
		va, vb := make([]float64, len(common)), make([]float64, len(common))
		for k, w := range common {
			va[k], vb[k] = ua[w], ub[w]
		}
		best := 0
		for k := range vb {
			if vb[k] > vb[best] {
				best = k
			}
		}
		o := OutcomeOf(va, va[best])
		mass += wt.Weight
		res.Agreement += wt.Weight * o.Agree
		res.Regret += wt.Weight * o.Regret
		res.NormalizedRegret += wt.Weight * o.NormalizedRegret
		acc.AddCentred(va, vb, wt.Weight)
		var conc, disc int
		for i := range va {
			for j := i + 1; j < len(va); j++ {
				da, db := va[i]-va[j], vb[i]-vb[j]
				switch {
				case da == 0 || db == 0:
				case (da > 0) == (db > 0):
					conc++
				default:
					disc++
				}
			}
		}
		res.Pairs += conc + disc
		if conc+disc > 0 {
			discord += wt.Weight * float64(disc)
			pairsW += wt.Weight * float64(conc+disc)
		}
	}
	if mass == 0 {
		res.Comparison = mesalab.Comparison{Distribution: dist.Name(), Subject: res.Subject, Tasks: len(tasks),
			Incomparable: &mesalab.Incomparable{Missing: []string{fmt.Sprintf(
				"common world states: no state of %s is reachable by both %s and %s", typeName[W](), a.Agent.Name, b.Agent.Name)}}}
		return res
	}
	res.Agreement /= mass
	res.Regret /= mass
	res.NormalizedRegret /= mass
	res.Rho = acc.Rho()
	res.Distance = acc.Distance()
	var total float64
	for _, wt := range tasks {
		total += math.Max(0, wt.Weight)
	}
	if total > 0 {
		res.Coverage = cover / total
	}
	if pairsW > 0 {
		res.Conflict = discord / pairsW
	}
	return res
}

// Direct compares two agents' utilities over their own outputs as they stand,
// with no bridge. That is defined only when both output spaces are the same type
// (then outputs are matched by value, World = identity); otherwise every result
// is Incomparable, naming the missing common space.
func Direct[X any, O1, O2 comparable](a Agent[X, O1], b Agent[X, O2], opt Options, on ...mesalab.Distribution[X]) []PulledComparison {
	t1, t2 := reflect.TypeFor[O1](), reflect.TypeFor[O2]()
	if t1 != t2 {
		missing := []string{fmt.Sprintf("common output space: %s's utility is over %v, %s's over %v; pull both back to a shared space such as world states (bridge c)",
			a.Name, t1, b.Name, t2)}
		out := make([]PulledComparison, len(on))
		for i, dist := range on {
			out[i].Comparison = mesalab.Comparison{Distribution: dist.Name(), Subject: b.Name + " vs " + a.Name,
				Incomparable: &mesalab.Incomparable{Missing: missing}}
		}
		return out
	}
	id := func(_ X, o O1) O1 { return o }
	bAs := Agent[X, O1]{Name: b.Name,
		Outputs: func(x X) []O1 { return any(b.Outputs(x)).([]O1) },
		Utility: func(x X, o O1) float64 { return b.Utility(x, any(o).(O2)) }}
	return Pulled(Pullback[X, O1, O1]{Agent: a, World: id}, Pullback[X, O1, O1]{Agent: bAs, World: id}, opt, on...)
}

func typeName[W any]() string { return reflect.TypeFor[W]().String() }

// MarshalJSON writes the comparison's standard fields (DESIGN.md §6) plus rho,
// conflict and pairs, which are null when the comparison is incomparable.
func (p PulledComparison) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(p.Comparison)
	if err != nil {
		return nil, err
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	fields["rho"], fields["conflict"], fields["pairs"] = nil, nil, p.Pairs
	if p.Incomparable == nil {
		fields["rho"], fields["conflict"] = p.Rho, p.Conflict
	}
	return json.Marshal(fields)
}
