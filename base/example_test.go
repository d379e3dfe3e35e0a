package base_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/mesalab/mesalab/base"
)

// CMA-ES maximises f(θ) = −(θ₀ − 3)² − 10(θ₁ + 1)², an ill-conditioned bowl with
// its optimum at (3, −1).
func ExampleCMAES() {
	f := func(x []float64) float64 { return -(x[0]-3)*(x[0]-3) - 10*(x[1]+1)*(x[1]+1) }
	res, err := base.CMAES{Dim: 2, Sigma: 1, Generations: 200, Seed: 1}.Run(f, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("θ = (%.4f, %.4f), f < 1e-12: %v\n", res.Theta[0], res.Theta[1], -res.Value < 1e-12)
	// Output: θ = (3.0000, -1.0000), f < 1e-12: true
}

// REINFORCE learns to pull the best arm of a deterministic 3-armed bandit.
func ExampleReinforce() {
	means := []float64{0, 1, 0.5}
	rollout := func(theta []float64, _ int, r *rand.Rand, gRet, gLog []float64) float64 {
		p := base.Softmax(theta, make([]float64, len(theta)))
		a := base.Sample(p, r)
		for k := range p {
			d := -p[k]
			if k == a {
				d++
			}
			gRet[k] += means[a] * d // one step: G_0 = the reward
			gLog[k] += d
		}
		return means[a]
	}
	res, err := base.Reinforce{Dim: 3, Alpha: 0.1, Batch: 16, Iterations: 200, Seed: 1}.Run(rollout, nil)
	if err != nil {
		panic(err)
	}
	p := base.Softmax(res.Theta, make([]float64, 3))
	fmt.Printf("π(best arm) > 0.95: %v\n", p[1] > 0.95)
	// Output: π(best arm) > 0.95: true
}
