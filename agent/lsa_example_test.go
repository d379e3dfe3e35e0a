package agent_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/task/icl"
)

// The GD construction of von Oswald et al. (2023) is a linear self-attention layer
// whose prediction is one gradient step from W = 0; its read-off is η/N.
func ExampleGDConstruction() {
	s := icl.Reference()
	m, err := agent.GDConstruction(s.D, 1, s.OptimalEta(), s.N)
	if err != nil {
		panic(err)
	}
	dist, err := icl.NewDistribution("train", s)
	if err != nil {
		panic(err)
	}
	t := dist.Sample(rand.New(rand.NewPCG(1, 1)))
	gd := icl.Dot(icl.GD(t, s.OptimalEta(), 1, nil), t.Query)
	fmt.Printf("LSA = GD: %v; η/N read off: %.5f\n", math.Abs(m.Act(t)-gd) < 1e-12, m.ReadOff(0).Step)
	// Output:
	// LSA = GD: true; η/N read off: 0.60606
}

// Train one LSA layer on fresh tasks with Adam and read off the step it learned.
func ExampleTrainer() {
	dist, err := icl.NewDistribution("train", icl.Reference())
	if err != nil {
		panic(err)
	}
	m, err := agent.NewLSA(10, 1)
	if err != nil {
		panic(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 1)), 0.05)
	const steps, lr = 400, 0.01
	tr, err := agent.NewTrainer(m, dist, 512, agent.ReferenceAdam(lr), 1)
	if err != nil {
		panic(err)
	}
	for s := range steps {
		tr.SetLearningRate(lr * 0.5 * (1 + math.Cos(math.Pi*float64(s)/steps)))
		tr.Step()
	}
	fmt.Printf("η/N = %.2f (η*/N = 0.61)\n", m.ReadOff(0).Step)
	// Output:
	// η/N = 0.60 (η*/N = 0.61)
}
