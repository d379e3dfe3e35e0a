package experiment

import (
	"math/rand/v2"
	"testing"

	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/base"
	"github.com/mesalab/mesalab/internal/parallel"
	"github.com/mesalab/mesalab/task/grid"
)

// Training throughput of cheese-corner at its default size (13 × 13 mazes, 100
// training levels), on every core: episodes per second of the base optimizers'
// own loops.

// BenchmarkCheesePlannerGeneration: one CMA-ES generation of planner training —
// λ = 10 candidate goal vectors, each played on the 100 training levels
// (1000 episodes), candidates in parallel.
func BenchmarkCheesePlannerGeneration(b *testing.B) {
	boards := drawBoards(grid.CheeseCorner{}, 1, 0, 100, 5)
	active := activeFeatures(boards)
	r := rand.New(rand.NewPCG(1, 1))
	const lambda = 10
	vs := make([][]float64, lambda)
	for k := range vs {
		vs[k] = make([]float64, len(active)+1)
		for i := range vs[k] {
			vs[k][i] = r.NormFloat64()
		}
	}
	fs := make([]float64, lambda)
	for b.Loop() {
		parallel.For(lambda, func(k int) { fs[k] = meanReturn(plannerOf(vs[k], active, agent.Budget{}), boards) })
	}
	b.ReportMetric(float64(b.N*lambda*len(boards))/b.Elapsed().Seconds(), "episodes/s")
}

// BenchmarkCheeseReactiveIteration: one REINFORCE iteration of the radius-2
// window policy — 32 episodes with their gradient sums, in parallel, and the
// Adam step.
func BenchmarkCheeseReactiveIteration(b *testing.B) {
	boards := drawBoards(grid.CheeseCorner{}, 1, 0, 100, 5)
	p := agent.NewSoftmax(agent.Window{Radius: 2})
	rollout := func(theta []float64, ep int, r *rand.Rand, gRet, gLog []float64) float64 {
		return p.Rollout(boards[r.IntN(len(boards))], uint64(ep), theta, r, gRet, gLog)
	}
	const iters = 10
	for b.Loop() {
		if _, err := (base.Reinforce{Dim: len(p.W), Alpha: 0.01, Batch: 32, Iterations: iters, Seed: 1}).Run(rollout, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*iters*32)/b.Elapsed().Seconds(), "episodes/s")
}

// The analysis of one trained planner on one cheese-corner level (13 × 13): V*
// under the step limit (levelModel), the comparison over the planner's decisions,
// and EPIC + STARC on the exported MDP.
func BenchmarkCheeseLevelModel(b *testing.B) {
	boards := drawBoards(grid.CheeseCorner{}, 1, 1, 1, 5)
	for b.Loop() {
		if _, err := newLevelModel(boards[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheeseCompareOutcomes(b *testing.B) {
	boards := drawBoards(grid.CheeseCorner{}, 1, 1, 1, 5)
	models, err := levelModels(boards)
	if err != nil {
		b.Fatal(err)
	}
	p := cheesePlanner(b)
	for b.Loop() {
		compareOutcomes(p, "shift", "bench", boards, models)
	}
}

func BenchmarkCheeseRewardDistance(b *testing.B) {
	boards := drawBoards(grid.CheeseCorner{}, 1, 1, 1, 5)
	models, err := levelModels(boards)
	if err != nil {
		b.Fatal(err)
	}
	p := cheesePlanner(b)
	for b.Loop() {
		if _, _, err := rewardDistance(p, models[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// cheesePlanner wants the cheese and the top-right region, with a small length
// cost: it goes to the region first where the cheese is not nearby.
func cheesePlanner(b *testing.B) *agent.Planner {
	th := make([]float64, agent.NumFeatures)
	for n, w := range map[string]float64{"kind:cheese": 1, "region:top-right": 0.8} {
		i, err := agent.FeatureIndex(n)
		if err != nil {
			b.Fatal(err)
		}
		th[i] = w
	}
	p, err := agent.NewPlanner(th, 0.01)
	if err != nil {
		b.Fatal(err)
	}
	return p
}
