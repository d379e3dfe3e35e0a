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
