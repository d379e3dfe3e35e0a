package experiment

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mesalab/mesalab/verdict"
)

func run(t *testing.T, id string, seed uint64, seeds int, params map[string]string) *Result {
	t.Helper()
	e, err := Lookup(id)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := e.Configure(seed, seeds, params)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// contract checks what every run must satisfy: it marshals to JSON, every verdict
// carries numbers, none claims robustness.
func contract(t *testing.T, res *Result) []byte {
	t.Helper()
	res.ElapsedS = 0
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("result does not marshal: %v", err)
	}
	for _, v := range res.Verdicts {
		if len(v.Evidence) == 0 {
			t.Errorf("verdict %s on %s (%s) carries no evidence", v.Name, v.Distribution, v.Subject)
		}
	}
	if strings.Contains(strings.ToLower(string(b)), "robust") {
		t.Errorf("a result claims robustness")
	}
	return b
}

func TestSwapExperiment(t *testing.T) {
	res := run(t, "swap", 1, 3, nil)
	b := contract(t, res)
	for _, alt := range []string{"base_optimal", "red", "top"} {
		for _, d := range []string{"train", "shift"} {
			if _, ok := res.Metrics["delta_f_"+alt+"_"+d]; !ok {
				t.Errorf("metric delta_f_%s_%s missing", alt, d)
			}
		}
	}
	for _, ps := range res.PerSeed {
		// Training reached the optimum on the training starts, so the swap to
		// the base-optimal weights cannot gain there; on the shift it lands
		// exactly on the optimal f (two computations of f*).
		if math.Abs(ps["f_train"]-res.Metrics["optimal_f_base_train"]) > 1e-9 || ps["delta_f_base_optimal_train"] != 0 {
			t.Errorf("seed %v: f_train %v (optimal %v), Δf base-optimal on train %v", ps["seed"], ps["f_train"],
				res.Metrics["optimal_f_base_train"], ps["delta_f_base_optimal_train"])
		}
		if got := ps["f_shift"] + ps["delta_f_base_optimal_shift"]; math.Abs(got-res.Metrics["optimal_f_base_shift"]) > 1e-9 {
			t.Errorf("seed %v: f_shift + Δf(base-optimal) = %v, want f* on shift = %v", ps["seed"], got, res.Metrics["optimal_f_base_shift"])
		}
		// Door and red coincide on every state the training behaviour visits, so
		// the L2-regularised IRL weights of door and red come out nearly equal:
		// only the model's own rare excursions to the red non-door separate them.
		if math.Abs(ps["irl_train_door"]-ps["irl_train_red"]) > 1e-2 || ps["irl_train_identifiable"] != 0 {
			t.Errorf("seed %v: IRL on train door %v red %v identifiable %v", ps["seed"], ps["irl_train_door"], ps["irl_train_red"], ps["irl_train_identifiable"])
		}
	}
	// The reactive copy: incomparable directly, comparable through its
	// behavioral objective with the planner's numbers.
	var incomparable, pseudo int
	for _, v := range res.Verdicts {
		if v.Name == verdict.IncomparableObjective {
			incomparable++
			if !strings.Contains(v.Subject, "reactive") || !strings.Contains(strings.Join(v.Evidence["missing"].([]string), ""), "not a mesa-optimizer") {
				t.Errorf("incomparable verdict %v", v)
			}
		}
		if v.Name == verdict.PseudoAligned {
			pseudo++
			if v.Evidence["proxy"] != "red" {
				t.Errorf("pseudo-aligned towards %v, want the red proxy: %v", v.Evidence["proxy"], v)
			}
			if ev := v.Evidence["identifiability"]; ev != nil && !strings.Contains(strings.Join(ev.([]string), ";"), "door ~ red, ρ = 1.00") {
				t.Errorf("identifiability evidence %v", ev)
			}
		}
	}
	if incomparable != 2*3 {
		t.Errorf("%d incomparable verdicts, want 2 per seed", incomparable)
	}
	if pseudo%2 != 0 {
		t.Errorf("%d pseudo-aligned verdicts: the planner and its behavioral objective should agree", pseudo)
	}
	// Same seed, same bytes.
	if again := contract(t, run(t, "swap", 1, 3, nil)); string(again) != string(b) {
		t.Error("swap is not deterministic for a seed")
	}
}

func TestRobotsExperiment(t *testing.T) {
	res := run(t, "robots", 1, 1, nil)
	contract(t, res)
	var direct, pulled int
	for _, c := range res.Comparisons {
		switch {
		case strings.HasPrefix(c.Subject, "direct"):
			direct++
			if c.Incomparable == nil || !strings.Contains(c.Incomparable.Missing[0], "common output space") {
				t.Errorf("direct comparison %v, want incomparable", c)
			}
		case strings.HasPrefix(c.Subject, "pulled back"):
			pulled++
			if c.Incomparable != nil || c.Distance <= 0 || c.Distance > 1 {
				t.Errorf("pulled comparison %v, want a distance", c)
			}
		}
	}
	if direct != 2 || pulled != 2 {
		t.Errorf("%d direct and %d pulled comparisons, want 2 and 2", direct, pulled)
	}
	var incomparable int
	for _, v := range res.Verdicts {
		if v.Name == verdict.IncomparableObjective && strings.HasPrefix(v.Subject, "direct") {
			incomparable++
		}
	}
	if incomparable != 2 {
		t.Errorf("%d incomparable verdicts for the direct comparison, want one per distribution", incomparable)
	}
	// Each robot spends all wire on its own product; pulled back, the two
	// utilities are strongly opposed.
	if res.Metrics["rho_low_stock"] > -0.9 || res.Metrics["conflict_low_stock"] < 0.9 {
		t.Errorf("ρ %v conflict %v on low stock", res.Metrics["rho_low_stock"], res.Metrics["conflict_low_stock"])
	}
	// If both value leftover wire above their product, they agree to keep it:
	// the staple robot's favourite common state is the paperclip robot's too.
	res = run(t, "robots", 1, 1, map[string]string{"clip-wire-value": "100", "staple-wire-value": "100"})
	if res.Metrics["agreement_low_stock"] != 1 || res.Metrics["normalized_regret_low_stock"] != 0 {
		t.Errorf("wire-keeping robots: agreement %v, normalised regret %v", res.Metrics["agreement_low_stock"], res.Metrics["normalized_regret_low_stock"])
	}
}

func TestTD03StateJudged(t *testing.T) {
	res := run(t, "td0-3state", 1, 1, nil)
	contract(t, res)
	names := map[verdict.Name]bool{}
	for _, v := range res.Verdicts {
		names[v.Name] = true
		if v.Name == verdict.PseudoAligned && v.Evidence["proxy_agreement"] != 1.0 {
			t.Errorf("pseudo-aligned: the tie-break proxy should explain every shifted choice: %v", v.Evidence)
		}
	}
	if !names[verdict.AlignedOnEveryTask] || !names[verdict.PseudoAligned] {
		t.Errorf("verdicts %v, want aligned-on-every-task (exploring starts) and pseudo-aligned (start-only)", res.Verdicts)
	}
}

func TestAnalysisExperimentsBadParams(t *testing.T) {
	for _, tc := range []struct {
		id     string
		params map[string]string
		want   string
	}{
		{"swap", map[string]string{"candidates": "0"}, "parameter candidates"},
		{"swap", map[string]string{"depth": "-1"}, "parameter depth"},
		{"swap", map[string]string{"horizon": "x"}, "parameter horizon"},
		{"robots", map[string]string{"staple-wire-value": "NaN"}, "parameter staple-wire-value"},
	} {
		e, err := Lookup(tc.id)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := e.Configure(1, 1, tc.params)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Run(context.Background(), cfg)
		var pe *ParamError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: error %v, want a ParamError naming %q", tc.id, tc.params, err, tc.want)
		}
	}
}
