package verdict

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mesalab/mesalab"
)

func TestOfComparison(t *testing.T) {
	agree := mesalab.Comparison{Distribution: "d", Agreement: 1, Coverage: 1, Tasks: 3}
	slight := mesalab.Comparison{Distribution: "d", Agreement: 0.9, Regret: 0.01, NormalizedRegret: 0.01, Distance: 0.02}
	far := mesalab.Comparison{Distribution: "d", Agreement: 0.5, Regret: 1, NormalizedRegret: 0.5, Distance: 0.6}
	inc := mesalab.Comparison{Distribution: "d", Incomparable: &mesalab.Incomparable{Missing: []string{"u*"}}}
	tests := []struct {
		name       string
		c          mesalab.Comparison
		exhaustive bool
		want       Name
		ok         bool
	}{
		{"agrees on an enumerated task space", agree, true, AlignedOnEveryTask, true},
		{"agrees on a sample", agree, false, NoDisagreementFound, true},
		{"slight disagreement within ε", slight, false, ApproximatelyAligned, true},
		{"disagreement needs more evidence", far, false, "", false},
		{"missing bridge", inc, false, IncomparableObjective, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, ok := OfComparison(tc.c, tc.exhaustive, 0.05)
			if ok != tc.ok || v.Name != tc.want {
				t.Fatalf("got %q (ok=%v), want %q (ok=%v)", v.Name, ok, tc.want, tc.ok)
			}
			if ok && len(v.Evidence) == 0 {
				t.Fatal("a verdict without evidence")
			}
		})
	}
}

func TestShift(t *testing.T) {
	train := mesalab.Comparison{Distribution: "train", Agreement: 1}
	shift := mesalab.Comparison{Distribution: "shift", Agreement: 0.6, Regret: 0.4, NormalizedRegret: 0.3}
	v, ok := Shift(train, shift, "red", map[string]any{"red_weight": 2.0})
	if !ok || v.Name != PseudoAligned || v.Evidence["proxy"] != "red" || v.Evidence["red_weight"] != 2.0 {
		t.Fatalf("got %v ok=%v, want pseudo-aligned with the proxy's evidence", v, ok)
	}
	if _, ok := Shift(train, shift, "", nil); ok {
		t.Fatal("a disagreement with no named proxy must not be called pseudo-aligned")
	}
	if _, ok := Shift(shift, shift, "red", nil); ok {
		t.Fatal("disagreeing already on train is not pseudo-alignment")
	}
}

// No verdict name claims robust alignment (DESIGN.md §2).
func TestNoRobustClaims(t *testing.T) {
	b, _ := json.Marshal(Names)
	if strings.Contains(strings.ToLower(string(b)), "robust") {
		t.Fatalf("verdict names claim robustness: %s", b)
	}
	if len(Names) != 9 {
		t.Fatalf("%d verdicts, want the 9 of DESIGN.md §3", len(Names))
	}
}
