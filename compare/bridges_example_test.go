package compare_test

import (
	"fmt"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/task/mdp"
)

// returnFrom is f_ν: the expected discounted return of a system's policy from one
// start state under m's reward.
type returnFrom struct {
	m     *mdp.MDP
	start int
}

func (f returnFrom) Score(s mesalab.System[int, int]) float64 {
	pi := make([]int, f.m.S)
	for x := range pi {
		pi[x] = s.Act(x)
	}
	v, _, err := f.m.Evaluate(f.m.Deterministic(pi))
	if err != nil {
		panic(err)
	}
	return v[f.start]
}

// Swap a planner's goal (bridge b): on a 4-cell corridor the base reward pays at
// the right end; the planner pursues the left end. Swapping its goal weights for
// the base-optimal ones changes f from the start cell 1.
func ExampleSwap() {
	T := make([]float64, 4*2*4)
	R := make([]float64, 4*2*4)
	for s := range 4 {
		T[(s*2+0)*4+max(s-1, 0)] = 1 // left
		T[(s*2+1)*4+min(s+1, 3)] = 1 // right
		for a := range 2 {
			R[(s*2+a)*4+3] = 1 // base reward: enter the right end
		}
	}
	m, err := mdp.New(4, 2, T, R, 0.9, []float64{0, 1, 0, 0})
	if err != nil {
		panic(err)
	}
	features := []float64{1, 0, 0, 0, 0, 0, 0, 1} // (left-end, right-end) per cell
	p, err := agent.NewVPlanner(m, []string{"left-end", "right-end"}, features, []float64{1, 0}, 0)
	if err != nil {
		panic(err)
	}
	res, err := compare.Swap[int, int, int](p, []compare.Alternative{{Name: "base-optimal", Params: []float64{0, 1}}},
		compare.Evaluation[int, int]{Distribution: "from cell 1", Objective: returnFrom{m, 1}})
	if err != nil {
		panic(err)
	}
	r := res[0]
	fmt.Printf("%s on %s: f(m_g′) = %.2f, Δf = %+.2f\n", r.Alternative, r.Distribution, r.After, r.Change)
	// Output:
	// base-optimal on from cell 1: f(m_g′) = 9.00, Δf = +9.00
}

// Pull back two agents with different action types to world states (bridge c):
// a buyer who wants the stock up and a seller who wants it down.
func ExamplePulled() {
	type buy struct{ Apples int }
	type sell struct{ Apples int }
	type stock struct{ Apples int }
	buyer := compare.Pullback[int, buy, stock]{
		Agent: compare.Agent[int, buy]{Name: "buyer",
			Outputs: func(int) []buy { return []buy{{-1}, {0}, {1}, {2}} },
			Utility: func(_ int, b buy) float64 { return float64(b.Apples) }},
		World: func(x int, b buy) stock { return stock{x + b.Apples} }}
	seller := compare.Pullback[int, sell, stock]{
		Agent: compare.Agent[int, sell]{Name: "seller",
			Outputs: func(int) []sell { return []sell{{-2}, {-1}, {0}, {1}} },
			Utility: func(_ int, s sell) float64 { return float64(s.Apples) }},
		World: func(x int, s sell) stock { return stock{x - s.Apples} }}
	tasks := mesalab.Uniform("stock", []int{5})
	fmt.Println(compare.Direct(buyer.Agent, seller.Agent, compare.Options{}, tasks)[0].Incomparable)
	p := compare.Pulled(buyer, seller, compare.Options{}, tasks)[0]
	fmt.Printf("coverage %.0f, ρ = %.0f, distance = %.0f, conflict = %.0f\n", p.Coverage, p.Rho, p.Distance, p.Conflict)
	// Output:
	// incomparable: missing common output space: buyer's utility is over compare_test.buy, seller's over compare_test.sell; pull both back to a shared space such as world states (bridge c)
	// coverage 1, ρ = -1, distance = 1, conflict = 1
}
