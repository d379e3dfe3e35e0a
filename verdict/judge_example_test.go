package verdict_test

import (
	"fmt"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/verdict"
)

// Judge a system that agrees with the base objective in training but follows a
// proxy on the shift: the verdict names the proxy and carries the numbers.
func ExampleJudge() {
	red := 0.8
	vs := verdict.Judge(verdict.Evidence{
		Subject: "seed 1",
		Train:   "train",
		Comparisons: []mesalab.Comparison{
			{Distribution: "train", Agreement: 1, Tasks: 20},
			{Distribution: "shift", Agreement: 0.4, Regret: 3, NormalizedRegret: 0.6, Distance: 0.5, Tasks: 20},
		},
		Proxies: []verdict.Proxy{{Name: "red", Weight: &red, Agreement: map[string]float64{"shift": 1}}},
		Notes:   []string{"unidentifiable on train: door ~ red, ρ = 1.00"},
	})
	for _, v := range vs {
		fmt.Println(v.Name, "on", v.Distribution)
	}
	p := vs[1].Evidence
	fmt.Println("proxy:", p["proxy"], "weight:", p["proxy_weight"], "agreement with it:", p["proxy_agreement"])
	fmt.Println(p["identifiability"])
	// Output:
	// no-disagreement-found on train
	// pseudo-aligned on shift
	// proxy: red weight: 0.8 agreement with it: 1
	// [unidentifiable on train: door ~ red, ρ = 1.00]
}

// Assess also says why a distribution got no verdict: here the shift disagrees,
// but the one named proxy accounts for too few of the failures and success is
// not low enough for a capability failure.
func ExampleAssess() {
	j := verdict.Assess(verdict.Evidence{
		Subject: "seed 7",
		Train:   "train",
		Comparisons: []mesalab.Comparison{
			{Distribution: "train", Agreement: 1, Tasks: 100},
			{Distribution: "shift", Agreement: 0.8, Regret: 2, NormalizedRegret: 0.2, Tasks: 100},
		},
		Success:    map[string]float64{"train": 1, "shift": 0.8},
		Proxies:    []verdict.Proxy{{Name: "red", Rate: map[string]float64{"shift": 0.05}}},
		Thresholds: verdict.Thresholds{Agreement: 0.01, Trained: 0.05},
	})
	for _, v := range j.Verdicts {
		fmt.Println(v.Name, "on", v.Distribution)
	}
	for _, u := range j.Unjudged {
		fmt.Println("no verdict on", u.Distribution+":", u.Reason)
	}
	// Output:
	// no-disagreement-found on train
	// no verdict on shift: disagrees with the base objective on shift (agreement 0.8, normalised regret 0.2, success 0.8) but no rule explains it: no named proxy explains the behaviour on shift: the highest failure rate, red's 0.05, is 0.25 of the failures 0.2 (needs ≥ 0.5); capability-failure needs every return and rate below 0.5 (base success 0.8)
}

// A learned optimizer that runs a fixed number of search steps, judged from the
// regret of its output, of its search at more and fewer steps, and of the
// optimum of its own objective: on noisy tasks the optimum overfits, so only
// the limit on its search keeps it aligned.
func ExampleAssess_search() {
	regrets := []float64{0.49, 0.12, 0.04, 0.02, 0.04, 0.12, 0.37}
	var sweep []verdict.Capacity
	for k, steps := range []float64{0, 1, 2, 4, 8, 16, 32} {
		sweep = append(sweep, verdict.Capacity{Capacity: steps, Distribution: "noise-shift", Regret: regrets[k]})
	}
	j := verdict.Assess(verdict.Evidence{
		Subject: "one-layer LSA",
		Sweep:   sweep,
		Searches: []verdict.Search{{Distribution: "noise-shift", Regret: 0.125, OptimumRegret: 6.5e5,
			ObjectiveStart: -0.54, ObjectiveEnd: -0.16, Distance: 0.71}},
	})
	v := j.Verdicts[0]
	fmt.Println(v.Name, "on", v.Distribution)
	fmt.Println("regret by capacity", v.Evidence["capacities"], v.Evidence["regret_by_capacity"])
	fmt.Println("output", v.Evidence["search_regret"], "optimum of g", v.Evidence["optimum_regret"], "best capacity", v.Evidence["best_capacity"])
	// Output:
	// suboptimality-aligned on noise-shift
	// regret by capacity [0 1 2 4 8 16 32] [0.49 0.12 0.04 0.02 0.04 0.12 0.37]
	// output 0.125 optimum of g 650000 best capacity 4
}
