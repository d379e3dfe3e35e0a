package mesalab_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mesalab/mesalab"
)

// routeMesa is a hand-made mesa-optimizer: on task x it searches routes (its Σ_x)
// scored by a learned objective and outputs the route's destination (φ). Several
// routes decode to one destination, so u_m takes a max over them.
type routeMesa struct{}

type route struct {
	dest  string
	score float64
}

func (routeMesa) Candidates(x int) []route {
	return []route{{"A", 1}, {"A", 3 + float64(x)}, {"B", 2}, {"C", -1}}
}
func (routeMesa) Objective(_ int, r route) float64 { return r.score }
func (routeMesa) Decode(_ int, r route) string     { return r.dest }
func (m routeMesa) Act(x int) string               { return "A" }

// u_m(x)(o) = max{g_x(σ) : φ(σ) = o}, worked by hand for x = 0 and x = 2.
func TestInducedUtilityByHand(t *testing.T) {
	m := mesalab.Induce[int, string, route](routeMesa{})
	outs := []string{"A", "B", "C", "D"}
	tests := []struct {
		x    int
		want []float64
	}{
		{0, []float64{3, 2, -1, math.Inf(-1)}},
		{2, []float64{5, 2, -1, math.Inf(-1)}},
	}
	for _, tc := range tests {
		got := m.InducedUtility(tc.x, outs)
		for k := range outs {
			if got[k] != tc.want[k] {
				t.Errorf("u_m(%d)(%s) = %v, want %v", tc.x, outs[k], got[k], tc.want[k])
			}
		}
	}
}

func TestDecompositionMissing(t *testing.T) {
	var none *mesalab.Decomposition[int, string]
	if miss := none.Missing(); len(miss) != 1 || !strings.Contains(miss[0], "decomposition") {
		t.Errorf("nil decomposition: missing = %q, want it named", miss)
	}
	partial := &mesalab.Decomposition[int, string]{Outputs: func(int) []string { return nil }}
	if miss := partial.Missing(); len(miss) != 1 || !strings.Contains(miss[0], "u*") {
		t.Errorf("no utility: missing = %q, want u* named", miss)
	}
}

// Score is exact on a finite distribution: f(s) = Σ ν(x) u*(x)(s(x)).
func TestDecompositionScoreExact(t *testing.T) {
	nu, err := mesalab.NewEnumerated("nu", []mesalab.Weighted[int]{{Task: 0, Weight: 0.25}, {Task: 2, Weight: 0.75}})
	if err != nil {
		t.Fatal(err)
	}
	d := &mesalab.Decomposition[int, string]{
		Tasks:   nu,
		Outputs: func(int) []string { return []string{"A", "B"} },
		Utility: func(x int, o string) float64 {
			if o == "A" {
				return float64(x)
			}
			return 10
		},
	}
	if got, want := d.Score(routeMesa{}, nil, 0), 0.25*0+0.75*2; got != want {
		t.Fatalf("f(s) = %v, want %v", got, want)
	}
}

func TestEnumerated(t *testing.T) {
	if _, err := mesalab.NewEnumerated("bad", []mesalab.Weighted[int]{{Task: 1, Weight: 0.5}}); err == nil ||
		!strings.Contains(err.Error(), "sum to 0.5") {
		t.Errorf("weights summing to 0.5: err = %v", err)
	}
	if _, err := mesalab.NewEnumerated("bad", []mesalab.Weighted[int]{{Task: 1, Weight: math.NaN()}}); err == nil ||
		!strings.Contains(err.Error(), "weight 0 = NaN") {
		t.Errorf("NaN weight: err = %v", err)
	}
	// Sampling frequencies follow the weights (binomial, 5 standard deviations).
	d, _ := mesalab.NewEnumerated("d", []mesalab.Weighted[int]{{Task: 0, Weight: 0.2}, {Task: 1, Weight: 0}, {Task: 2, Weight: 0.8}})
	if n := len(d.Support()); n != 2 {
		t.Fatalf("support has %d tasks, want 2 (zero weight dropped)", n)
	}
	r := rand.New(rand.NewPCG(1, 2))
	const n = 100000
	count := 0
	for range n {
		if d.Sample(r) == 0 {
			count++
		}
	}
	if sd := math.Sqrt(n * 0.2 * 0.8); math.Abs(float64(count)-0.2*n) > 5*sd {
		t.Fatalf("task 0 drawn %d times of %d, want about %v", count, n, 0.2*n)
	}
}

// An incomparable comparison has null numbers in JSON, and the JSON round-trips.
func TestComparisonJSON(t *testing.T) {
	inc := mesalab.Comparison{Distribution: "train", Incomparable: &mesalab.Incomparable{Missing: []string{"u*"}}}
	b, err := json.Marshal(inc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"distribution":"train","agreement":null,"regret":null,"normalized_regret":null,"distance":null,"coverage":null,"tasks":0,"incomparable":{"missing":["u*"]}}`
	if string(b) != want {
		t.Fatalf("JSON = %s\nwant   %s", b, want)
	}
	c := mesalab.Comparison{Distribution: "shift", Subject: "seed 1", Agreement: 0.5, Regret: 1.5, NormalizedRegret: 0.25, Distance: 0.1, Coverage: 1, Tasks: 4}
	b, _ = json.Marshal(c)
	var back mesalab.Comparison
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != c {
		t.Fatalf("round trip: %+v, want %+v", back, c)
	}
	// Unmeasured coverage is null, not a number, and reads back as unknown.
	c.Coverage = mesalab.CoverageUnknown
	b, _ = json.Marshal(c)
	if !strings.Contains(string(b), `"coverage":null`) {
		t.Fatalf("unknown coverage written as %s", b)
	}
	if err := json.Unmarshal(b, &back); err != nil || back != c {
		t.Fatalf("round trip of unknown coverage: %+v (%v), want %+v", back, err, c)
	}
}
