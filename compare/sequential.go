package compare

import (
	"math"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/internal/parallel"
)

// Episode is one task of a sequential problem as a system met it: the situations
// at which it decided, in order (the first is the episode's start), and the
// episode's weight in its distribution.
type Episode[X any] struct {
	Decisions []X
	Weight    float64
}

// Sequential compares a mesa-optimizer that decides several times per episode (a
// planner that re-plans when a plan ends) with a base objective decomposed over
// its decisions: bridge (a) with u*(x)(o) the base value of choosing output o at
// decision x — the return of carrying o out plus the best base return still
// possible afterwards, a Q*-like utility — against the induced utility
// u_m(x)(o) = max{g_x(σ) : φ(σ) = o}. d.Tasks is not used: the episodes, with
// their weights, are the distribution.
//
// Per episode e with decisions x_0 … x_k and the system's outputs o_i = m(x_i):
//
//	agreement(e) = 1 if every o_i maximises u*(x_i), else 0;
//	regret(e)    = Σ_i [max_o u*(x_i)(o) − u*(x_i)(o_i)],
//
// which, when u* is Q*-like (max_o u*(x_i)(o) = V*(x_i), u*(x_i)(o_i) = r_i +
// V*(x_{i+1}), V* = 0 once the episode is over), telescopes to the return lost in
// the episode, V*(x_0) − G(e) (the performance-difference identity, Kakade and
// Langford, ICML 2002, undiscounted). The normalised regret of an episode divides
// its regret by the range of u*(x_0) (at most 1; 0 where u*(x_0) is constant). The
// distance is the Pearson distance of u* and u_m centred per decision, each
// decision weighted by its episode's weight over the episode's decisions.
// Agreement, regret and normalised regret are weighted means over episodes.
// Coverage is unknown. Episodes are evaluated in parallel and combined in order,
// so the result does not depend on GOMAXPROCS; d.Outputs, d.Utility and m must be
// safe for concurrent use.
//
// A missing decomposition or a system that is not a mesa-optimizer gives an
// Incomparable comparison, as [Mesa] does.
func Sequential[X any, O comparable, Sig any](d *mesalab.Decomposition[X, O], m mesalab.Mesa[X, O, Sig],
	name string, episodes []Episode[X]) mesalab.Comparison {
	c, _ := SequentialEpisodes(d, m, name, episodes)
	return c
}

// SequentialEpisodes is [Sequential] that also returns the comparison of each
// episode on its own (a level of a gridworld distribution): per[i] holds
// episode i's agreement (0 or 1), regret, normalised regret and distance (the
// Pearson distance over its own decisions), with Tasks = its number of
// decisions and coverage unknown; an episode left out (weight ≤ 0 or no
// decisions) has Tasks = 0 and zeros. The distribution's agreement, regret and
// normalised regret are the weighted means of the episodes' (Σ_i w_i·x_i /
// Σ_i w_i over the episodes not left out, summed in episode order); its
// distance pools the episodes' centred pairs and is not a mean of theirs.
// per is nil when the comparison is incomparable.
func SequentialEpisodes[X any, O comparable, Sig any](d *mesalab.Decomposition[X, O], m mesalab.Mesa[X, O, Sig],
	name string, episodes []Episode[X]) (c mesalab.Comparison, per []mesalab.Comparison) {
	c = mesalab.Comparison{Distribution: name, Tasks: len(episodes), Coverage: mesalab.CoverageUnknown}
	if missing := d.Missing(); len(missing) > 0 {
		c.Incomparable = &mesalab.Incomparable{Missing: missing}
		return c, nil
	}
	ind := mesalab.Induce(m)
	type part struct {
		agree, regret, nregret float64
		acc                    Accumulator
		ok                     bool
	}
	parts := make([]part, len(episodes))
	parallel.For(len(episodes), func(i int) {
		e := episodes[i]
		if e.Weight <= 0 || len(e.Decisions) == 0 {
			return
		}
		p := part{agree: 1, ok: true}
		wk := e.Weight / float64(len(e.Decisions))
		for k, x := range e.Decisions {
			outs := d.Outputs(x)
			if len(outs) == 0 {
				continue
			}
			ustar := make([]float64, len(outs))
			for j, o := range outs {
				ustar[j] = d.Utility(x, o)
			}
			o := OutcomeOf(ustar, d.Utility(x, m.Act(x)))
			if o.Agree == 0 {
				p.agree = 0
			}
			p.regret += o.Regret
			if k == 0 {
				hi, lo := math.Inf(-1), math.Inf(1)
				for _, u := range ustar {
					if finite(u) {
						hi, lo = math.Max(hi, u), math.Min(lo, u)
					}
				}
				p.nregret = hi - lo // the range, divided out below
			}
			p.acc.AddCentred(ustar, ind.InducedUtility(x, outs), wk)
		}
		if p.nregret > 0 && finite(p.nregret) {
			p.nregret = math.Min(1, p.regret/p.nregret)
		} else {
			p.nregret = 0
		}
		parts[i] = p
	})
	var mass float64
	var acc Accumulator
	per = make([]mesalab.Comparison, len(episodes))
	for i, p := range parts {
		per[i] = mesalab.Comparison{Distribution: name, Coverage: mesalab.CoverageUnknown}
		if !p.ok {
			continue
		}
		per[i].Agreement, per[i].Regret, per[i].NormalizedRegret = p.agree, p.regret, p.nregret
		per[i].Distance, per[i].Tasks = p.acc.Distance(), len(episodes[i].Decisions)
		w := episodes[i].Weight
		mass += w
		c.Agreement += w * p.agree
		c.Regret += w * p.regret
		c.NormalizedRegret += w * p.nregret
		acc.Merge(p.acc)
	}
	if mass > 0 {
		c.Agreement /= mass
		c.Regret /= mass
		c.NormalizedRegret /= mass
	}
	c.Distance = acc.Distance()
	return c, per
}

// Merge adds the pairs accumulated in b, as if they had been added to a.
func (a *Accumulator) Merge(b Accumulator) {
	a.w += b.w
	a.x += b.x
	a.y += b.y
	a.xx += b.xx
	a.yy += b.yy
	a.xy += b.xy
}
