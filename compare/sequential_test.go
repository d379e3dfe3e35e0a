package compare

import (
	"math"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/agent"
)

// A deterministic chain 0 → 1 → 2 → end, undiscounted: "advance" (action 0)
// moves on and pays 10 when it leaves state 2; "exit" (action 1) pays 1 and ends
// the episode. V* = 10 everywhere, Q*(s, exit) = 1, Q*(s, advance) = 10: u* is
// Q*, so a system's summed regret is the return it lost.
func chain() *mesalab.Decomposition[int, int] {
	return &mesalab.Decomposition[int, int]{
		Outputs: func(int) []int { return []int{0, 1} },
		Utility: func(s, a int) float64 { return []float64{10, 1}[a] },
	}
}

func TestSequentialByHand(t *testing.T) {
	// Advances in 0 and 1, exits in 2: return 1, regret V*(0) − G = 9.
	q := agent.GreedyQ{Q: []float64{5, 1, 5, 1, 0, 3}, Actions: 2}
	episodes := []Episode[int]{
		{Decisions: []int{0, 1, 2}, Weight: 0.5},
		{Decisions: []int{0, 1}, Weight: 0.5}, // agrees at both decisions
		{Decisions: []int{2}, Weight: 0},      // weight 0: left out
	}
	c := Sequential(chain(), q, "chain", episodes)
	if c.Incomparable != nil {
		t.Fatal(c.Incomparable)
	}
	// Episode 1: regrets 0, 0, 9 (range of u*(0) = 9, normalised 1); episode 2: 0.
	if c.Agreement != 0.5 || c.Regret != 4.5 || c.NormalizedRegret != 0.5 || c.Tasks != 3 || c.Coverage != mesalab.CoverageUnknown {
		t.Fatalf("got %v (tasks %d), want agreement 0.5, regret 4.5, normalised 0.5, 3 tasks, coverage unknown", c, c.Tasks)
	}
	// Distance independently: each decision's (u*, Q) centred, decisions of an
	// episode sharing its weight.
	var a Accumulator
	q0 := [][]float64{{5, 1}, {5, 1}, {0, 3}}
	for _, e := range episodes[:2] {
		for _, s := range e.Decisions {
			w := e.Weight / float64(len(e.Decisions))
			a.Add(4.5, (q0[s][0]-q0[s][1])/2, w)
			a.Add(-4.5, -(q0[s][0]-q0[s][1])/2, w)
		}
	}
	if math.Abs(c.Distance-a.Distance()) > 1e-12 || c.Distance <= 0 {
		t.Fatalf("distance %v, want %v (> 0: decision 2 ranks exit first)", c.Distance, a.Distance())
	}
	// One episode alone is the per-level comparison.
	one := Sequential(chain(), q, "level 0", episodes[:1])
	if one.Agreement != 0 || one.Regret != 9 || one.NormalizedRegret != 1 {
		t.Fatalf("episode 0 alone: %v, want agreement 0, regret 9, normalised 1", one)
	}
	// The per-episode comparisons are the episodes compared alone, and the
	// distribution's numbers their weighted means (the distance pools them).
	all, per := SequentialEpisodes(chain(), q, "chain", episodes)
	if all != c || len(per) != 3 {
		t.Fatalf("SequentialEpisodes: %v and %d episodes, want Sequential's %v and 3", all, len(per), c)
	}
	for i, e := range episodes[:2] {
		alone := Sequential(chain(), q, "chain", []Episode[int]{{Decisions: e.Decisions, Weight: 1}})
		alone.Tasks = len(e.Decisions)
		if per[i] != alone {
			t.Errorf("episode %d: %v, alone %v", i, per[i], alone)
		}
	}
	if per[1].Agreement != 1 || per[1].Regret != 0 || per[2].Tasks != 0 || per[2].Agreement != 0 {
		t.Errorf("episodes 1 and 2: %v, %v; want agreement 1 and regret 0, then left out", per[1], per[2])
	}
	if got := (0.5*per[0].Regret + 0.5*per[1].Regret) / (0.5 + 0.5); got != c.Regret {
		t.Errorf("weighted mean regret %v, distribution %v", got, c.Regret)
	}
}

// A missing decomposition is incomparable, as for single decisions.
func TestSequentialIncomparable(t *testing.T) {
	q := agent.GreedyQ{Q: []float64{1, 0}, Actions: 2}
	c := Sequential[int, int, int](nil, q, "chain", []Episode[int]{{Decisions: []int{0}, Weight: 1}})
	if c.Incomparable == nil || c.Distribution != "chain" {
		t.Fatalf("got %v, want incomparable", c)
	}
}

// Merging accumulators is the same as adding every pair to one.
func TestAccumulatorMerge(t *testing.T) {
	var all, a, b Accumulator
	for i := range 10 {
		x, y, w := float64(i), float64(i*i%7), 0.1*float64(i+1)
		all.Add(x, y, w)
		if i < 4 {
			a.Add(x, y, w)
		} else {
			b.Add(x, y, w)
		}
	}
	a.Merge(b)
	if math.Abs(a.Rho()-all.Rho()) > 1e-12 {
		t.Fatalf("merged ρ %v, want %v", a.Rho(), all.Rho())
	}
}
