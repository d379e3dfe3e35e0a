package compare_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/compare"
)

type clip struct{ Bend int }
type staple struct{ Press int }
type world struct{ Clips, Staples int }

// Task x is the wire stock. The clip robot bends k ≤ x units (the rest goes to
// the staple line); the staple robot presses k ≤ x units (the rest to clips).
func clipAgent() compare.Agent[int, clip] {
	return compare.Agent[int, clip]{Name: "clipper",
		Outputs: func(x int) []clip {
			var out []clip
			for k := 0; k <= x; k++ {
				out = append(out, clip{k})
			}
			return out
		},
		Utility: func(_ int, c clip) float64 { return float64(c.Bend) }}
}

func stapleAgent() compare.Agent[int, staple] {
	return compare.Agent[int, staple]{Name: "stapler",
		Outputs: func(x int) []staple {
			var out []staple
			for k := 0; k <= x; k++ {
				out = append(out, staple{k})
			}
			return out
		},
		Utility: func(_ int, s staple) float64 { return float64(s.Press) }}
}

func TestDirectIsIncomparableAcrossOutputTypes(t *testing.T) {
	tasks := mesalab.Uniform("stock", []int{2, 3})
	res := compare.Direct(clipAgent(), stapleAgent(), compare.Options{}, tasks)
	if len(res) != 1 || res[0].Incomparable == nil {
		t.Fatalf("direct comparison = %+v, want incomparable", res)
	}
	msg := strings.Join(res[0].Incomparable.Missing, "; ")
	for _, want := range []string{"common output space", "compare_test.clip", "compare_test.staple", "bridge c"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing = %q, want it to mention %q", msg, want)
		}
	}
	b, err := json.Marshal(res[0])
	if err != nil || !strings.Contains(string(b), `"distance":null`) || !strings.Contains(string(b), `"rho":null`) {
		t.Errorf("JSON %s (err %v): numbers of an incomparable result must be null", b, err)
	}
	// Same output type: the direct comparison is defined; an agent agrees with
	// itself at distance 0.
	same := compare.Direct(clipAgent(), clipAgent(), compare.Options{}, tasks)[0]
	if same.Incomparable != nil || same.Agreement != 1 || same.Distance > 1e-9 || same.Conflict != 0 {
		t.Errorf("clipper vs itself = %+v", same)
	}
}

// TestPulledToWorldStates: pulled back to (clips, staples), the clipper values
// clips and the stapler staples. On stock x the reachable states are
// (k, x−k), k = 0…x, for both: utilities k and x−k, perfectly anti-correlated.
func TestPulledToWorldStates(t *testing.T) {
	tasks := mesalab.Uniform("stock", []int{1, 2, 3})
	a := compare.Pullback[int, clip, world]{Agent: clipAgent(), World: func(x int, c clip) world { return world{c.Bend, x - c.Bend} }}
	b := compare.Pullback[int, staple, world]{Agent: stapleAgent(), World: func(x int, s staple) world { return world{x - s.Press, s.Press} }}
	r := compare.Pulled(a, b, compare.Options{}, tasks)[0]
	if r.Incomparable != nil {
		t.Fatal(r.Incomparable)
	}
	// B's favourite is all staples (0 clips): A's regret is x, normalised 1.
	if r.Agreement != 0 || math.Abs(r.Regret-2) > 1e-12 || r.NormalizedRegret != 1 {
		t.Errorf("agreement %v regret %v normalised %v, want 0, 2, 1", r.Agreement, r.Regret, r.NormalizedRegret)
	}
	if math.Abs(r.Rho+1) > 1e-12 || math.Abs(r.Distance-1) > 1e-12 || r.Conflict != 1 || r.Coverage != 1 {
		t.Errorf("ρ %v distance %v conflict %v coverage %v, want −1, 1, 1, 1", r.Rho, r.Distance, r.Conflict, r.Coverage)
	}
	if r.Pairs != 1+3+6 {
		t.Errorf("pairs = %d, want 10", r.Pairs)
	}

	// A stapler that also values clips half as much as staples: u_B = (x−k) + k/2
	// = x − k/2, still opposed to the clipper on every pair, ρ = −1.
	kind := stapleAgent()
	kind.Utility = func(x int, s staple) float64 { return float64(s.Press) + float64(x-s.Press)/2 }
	r = compare.Pulled(a, compare.Pullback[int, staple, world]{Agent: kind, World: b.World}, compare.Options{}, tasks)[0]
	if math.Abs(r.Rho+1) > 1e-12 || r.Conflict != 1 {
		t.Errorf("kind stapler: ρ %v conflict %v", r.Rho, r.Conflict)
	}

	// A stapler that only reaches states with at most one clip: the common space
	// shrinks, coverage says by how much.
	narrow := compare.Pullback[int, staple, world]{Agent: stapleAgent(), World: func(x int, s staple) world {
		return world{min(1, x-s.Press), s.Press}
	}}
	r = compare.Pulled(a, narrow, compare.Options{}, mesalab.Uniform("stock", []int{3}))[0]
	// Clipper reaches (0,3) (1,2) (2,1) (3,0); narrow reaches (0,3) (1,2) (1,1)
	// (1,0): common {(0,3), (1,2)}, union 6.
	if math.Abs(r.Coverage-2.0/6) > 1e-12 {
		t.Errorf("coverage = %v, want 1/3", r.Coverage)
	}
}

func TestPulledIncomparable(t *testing.T) {
	tasks := mesalab.Uniform("stock", []int{2})
	a := compare.Pullback[int, clip, world]{Agent: clipAgent(), World: func(x int, c clip) world { return world{c.Bend, 0} }}
	noModel := compare.Pullback[int, staple, world]{Agent: stapleAgent()}
	r := compare.Pulled(a, noModel, compare.Options{}, tasks)[0]
	if r.Incomparable == nil || !strings.Contains(r.Incomparable.Missing[0], "pull-back of stapler's outputs to world states compare_test.world") {
		t.Errorf("no world model: %+v", r.Incomparable)
	}
	disjoint := compare.Pullback[int, staple, world]{Agent: stapleAgent(), World: func(x int, s staple) world { return world{-1, s.Press} }}
	r = compare.Pulled(a, disjoint, compare.Options{}, tasks)[0]
	if r.Incomparable == nil || !strings.Contains(r.Incomparable.Missing[0], "no state of compare_test.world is reachable by both clipper and stapler") {
		t.Errorf("disjoint world states: %+v", r.Incomparable)
	}
}
