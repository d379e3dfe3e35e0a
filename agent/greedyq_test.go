package agent

import (
	"math"
	"testing"

	"github.com/mesalab/mesalab"
)

// The induced utility of greedy-Q is Q itself (φ = id), and Act is its argmax.
func TestGreedyQInducedUtilityIsQ(t *testing.T) {
	g := GreedyQ{Q: []float64{1, 3, 2, 5, 5, 0}, Actions: 3}
	var _ mesalab.Mesa[int, int, int] = g
	m := mesalab.Induce[int, int, int](g)
	u := m.InducedUtility(1, []int{0, 1, 2})
	for i, want := range []float64{5, 5, 0} {
		if u[i] != want {
			t.Errorf("u_m(1)(%d) = %v, want %v", i, u[i], want)
		}
	}
	if got := g.Act(1); got != 0 {
		t.Errorf("tie between actions 0 and 1: Act = %d, want the lowest, 0", got)
	}
	if got := g.Act(0); got != 1 {
		t.Errorf("Act(0) = %d, want 1", got)
	}
	// An output no candidate decodes to has induced utility −∞.
	if u := m.InducedUtility(0, []int{7}); !math.IsInf(u[0], -1) {
		t.Errorf("u_m for an undecodable output = %v, want −∞", u[0])
	}
}
