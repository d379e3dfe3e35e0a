package compare

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// referenceFile finds shared/reference/<name> by walking up from the package
// directory: the worktree layout (…/wt/X with shared at …/shared) and CI's
// (X/main with shared at X/shared) both have it in an ancestor. Under CI=true a
// missing file fails the test; elsewhere it skips.
func referenceFile(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "reference", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("reference data shared/reference/%s not found in any ancestor of the package directory", name)
	}
	t.Skipf("reference data shared/reference/%s not found in any ancestor of the package directory (required when CI=true)", name)
	return ""
}

type gridworldReference struct {
	Gridworld struct {
		NStates  int     `json:"n_states"`
		NActions int     `json:"n_actions"`
		Gamma    float64 `json:"gamma"`
		Coverage struct {
			Array [][][]float64 `json:"array"`
		} `json:"coverage_D_feasible"`
		Transitions struct {
			Array [][][]float64 `json:"array"` // T[a][s][s′]
		} `json:"transitions_T"`
		Rewards map[string][][][]float64 `json:"reward_arrays_R_s_a_s2"`
		Results map[string]struct {
			Matrix map[string]map[string]float64 `json:"matrix"`
		} `json:"results"`
		CanonSparse struct {
			Array [][][]float64 `json:"array"`
		} `json:"canonicalized_sparse_goal"`
		CanonDirt struct {
			Array [][][]float64 `json:"array"`
		} `json:"canonicalized_dirt_path"`
	} `json:"gridworld_3x3"`
}

func loadGridworld(t testing.TB) *gridworldReference {
	t.Helper()
	b, err := os.ReadFile(referenceFile(t, "epic_gridworld_3x3.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref gridworldReference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatalf("epic_gridworld_3x3.json: %v", err)
	}
	g := &ref.Gridworld
	if g.NStates != 9 || g.NActions != 5 || len(g.Rewards) < 10 || len(g.Results) < 3 {
		t.Fatalf("epic_gridworld_3x3.json: unexpected content: S=%d A=%d %d rewards %d results", g.NStates, g.NActions, len(g.Rewards), len(g.Results))
	}
	return &ref
}

func flat3(x [][][]float64) []float64 {
	var out []float64
	for _, a := range x {
		for _, b := range a {
			out = append(out, b...)
		}
	}
	return out
}

// transitionsSAS turns the reference's T[a][s][s′] into C order over (s, a, s′).
func transitionsSAS(tas [][][]float64) []float64 {
	A, S := len(tas), len(tas[0])
	t := make([]float64, S*A*S)
	for a := range A {
		for s := range S {
			for s2 := range S {
				t[(s*A+a)*S+s2] = tas[a][s][s2]
			}
		}
	}
	return t
}

func (g *gridworldReference) reward(t testing.TB, name string) Reward {
	t.Helper()
	x, ok := g.Gridworld.Rewards[name]
	if !ok {
		t.Fatalf("reference has no reward %q", name)
	}
	r, err := NewReward(g.Gridworld.NStates, g.Gridworld.NActions, flat3(x))
	if err != nil {
		t.Fatalf("reward %q: %v", name, err)
	}
	return r
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestEPICReference matches every EPIC matrix of the reference (Pearson EPIC with
// feasible and uniform coverage, and the direct L1 EPIC) to 1e-6.
func TestEPICReference(t *testing.T) {
	ref := loadGridworld(t)
	g := &ref.Gridworld
	S, A := g.NStates, g.NActions
	feasible := flat3(g.Coverage.Array)
	cases := []struct {
		result string
		dist   func(a, b Reward) (float64, error)
	}{
		{"epic_pearson_coverage_feasible", func(a, b Reward) (float64, error) {
			return EPICDistance(a, b, g.Gamma, Dists{Coverage: feasible}, PotentialShaping)
		}},
		{"epic_pearson_coverage_uniform_all_405", func(a, b Reward) (float64, error) {
			return EPICDistance(a, b, g.Gamma, Dists{}, PotentialShaping)
		}},
		{"epic_direct_L1_coverage_feasible", func(a, b Reward) (float64, error) {
			return STARCDistance(a, b, g.Gamma, STARCOptions{Canonicalisation: EPICCanonicalisation,
				Norm: 1, Metric: 1, Dists: Dists{Coverage: feasible}}, PotentialShaping)
		}},
	}
	for _, c := range cases {
		res, ok := g.Results[c.result]
		if !ok {
			t.Fatalf("reference has no result %q", c.result)
		}
		t.Run(c.result, func(t *testing.T) {
			n := 0
			for _, ra := range sortedKeys(res.Matrix) {
				for _, rb := range sortedKeys(res.Matrix[ra]) {
					want := res.Matrix[ra][rb]
					got, err := c.dist(ref.reward(t, ra), ref.reward(t, rb))
					if err != nil {
						t.Fatalf("%s vs %s: %v", ra, rb, err)
					}
					if d := got - want; d > 1e-6 || d < -1e-6 {
						t.Errorf("%s vs %s = %.12g, want %.12g", ra, rb, got, want)
					}
					n++
				}
			}
			if n < 100 {
				t.Fatalf("only %d entries compared", n)
			}
		})
	}
	// The prepared and one-shot forms agree to the last bit.
	e, err := NewEPIC(S, A, g.Gamma, Dists{Coverage: feasible})
	if err != nil {
		t.Fatal(err)
	}
	a, b := ref.reward(t, "dirt_path"), ref.reward(t, "cliff_walk")
	d1, _ := e.Distance(a, b, PotentialShaping)
	d2, _ := EPICDistance(a, b, g.Gamma, Dists{Coverage: feasible}, PotentialShaping)
	if d1 != d2 {
		t.Fatalf("prepared EPIC %v != one-shot %v", d1, d2)
	}
}

// TestEPICCanonicalReference matches the reference's canonicalised rewards.
func TestEPICCanonicalReference(t *testing.T) {
	ref := loadGridworld(t)
	g := &ref.Gridworld
	e, err := NewEPIC(g.NStates, g.NActions, g.Gamma, Dists{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want [][][]float64
	}{{"sparse_goal", g.CanonSparse.Array}, {"dirt_path", g.CanonDirt.Array}} {
		got, err := e.Canonicalize(ref.reward(t, c.name), nil)
		if err != nil {
			t.Fatal(err)
		}
		want := flat3(c.want)
		if len(want) != len(got) {
			t.Fatalf("%s: %d canonical entries, want %d", c.name, len(got), len(want))
		}
		for i := range want {
			if d := got[i] - want[i]; d > 1e-12 || d < -1e-12 {
				t.Fatalf("%s: C(R)[%d] = %.15g, want %.15g", c.name, i, got[i], want[i])
			}
		}
	}
}
