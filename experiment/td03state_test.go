package experiment

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// Q* of the td0-3state MDP has the closed form given in the README.
func TestThreeStateQStarClosedForm(t *testing.T) {
	m, err := ThreeStateMDP([]float64{1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	q, v, _, err := m.ValueIteration(1e-12, 10000)
	if err != nil {
		t.Fatal(err)
	}
	wantQ := []float64{8.1, 9, 8.1, 10, 8.6, 9}
	for i := range q {
		if math.Abs(q[i]-wantQ[i]) > 1e-9 {
			t.Errorf("Q*[%d] = %v, want %v", i, q[i], wantQ[i])
		}
	}
	for s, want := range []float64{9, 10, 9} {
		if math.Abs(v[s]-want) > 1e-9 {
			t.Errorf("V*(%d) = %v, want %v", s, v[s], want)
		}
	}
}

// The run finds exact alignment with exploring starts, and with start-only training
// exactly the disagreement the MDP implies: the isolated state takes "left" (initial
// Q tie-break) at regret Q*(isolated, right) − Q*(isolated, left) = 0.4, so the
// uniform shift has agreement 2/3 and regret 0.4/3.
func TestTD03StateRun(t *testing.T) {
	e, err := Lookup("td0-3state")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := e.Configure(11, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		metric string
		want   float64
		tol    float64
	}{
		{"agreement_all_states", 1, 0},
		{"agreement_train", 1, 0},
		{"agreement_shift", 2. / 3, 1e-12},
		{"regret_shift", 0.4 / 3, 1e-9},
		{"q_max_abs_error", 0, 1e-3},
	}
	for _, c := range checks {
		if got := res.Metrics[c.metric]; math.Abs(got-c.want) > c.tol {
			t.Errorf("%s = %v, want %v ± %v", c.metric, got, c.want, c.tol)
		}
	}
	var pseudo int
	for _, v := range res.Verdicts {
		if v.Name == "pseudo-aligned" {
			pseudo++
			if v.Evidence["unvisited_states"].([]string)[0] != "isolated" {
				t.Errorf("pseudo-aligned evidence names %v, want the isolated state", v.Evidence["unvisited_states"])
			}
			if v.Evidence["train_coverage"].(float64) != 2./3 {
				t.Errorf("train coverage = %v, want 2/3", v.Evidence["train_coverage"])
			}
		}
	}
	if pseudo != 3 {
		t.Errorf("%d pseudo-aligned verdicts, want one per seed (3)", pseudo)
	}
}

func TestConfigure(t *testing.T) {
	e, _ := Lookup("td0-3state")
	if _, err := e.Configure(1, 0, map[string]string{"diversity": "0.1"}); err == nil ||
		!strings.Contains(err.Error(), `no parameter "diversity"`) {
		t.Errorf("undeclared parameter: err = %v", err)
	}
	cfg, err := e.Configure(1, 0, map[string]string{"episodes": "10"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Seeds != 1 || cfg.Params["episodes"] != "10" || cfg.Params["epsilon"] != "0.3" {
		t.Errorf("configured %+v: want default seeds 1, episodes 10, default epsilon 0.3", cfg)
	}
	if _, err := e.Configure(1, MaxSeeds+1, nil); err == nil {
		t.Error("seeds above the limit accepted")
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "td0-3state") {
		t.Errorf("unknown experiment: err = %v, want the known IDs listed", err)
	}
}

// IntIn accepts the bounds themselves and names the range when a value is outside.
func TestConfigIntIn(t *testing.T) {
	cfg := Config{Params: map[string]string{"a": "3", "b": "0", "c": "x"}}
	if v, err := cfg.IntIn("a", 1, 3); err != nil || v != 3 {
		t.Errorf("IntIn(a=3, 1…3) = %d, %v; want 3", v, err)
	}
	var pe *ParamError
	if _, err := cfg.IntIn("b", 1, 3); !errors.As(err, &pe) || !strings.Contains(err.Error(), "a whole number from 1 to 3") {
		t.Errorf("IntIn(b=0, 1…3): err = %v, want a ParamError naming the range", err)
	}
	if _, err := cfg.IntIn("c", 1, 3); !errors.As(err, &pe) {
		t.Errorf("IntIn(c=x): err = %v, want a ParamError", err)
	}
}
