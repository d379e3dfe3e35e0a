package experiment

// Shared machinery of the gridworld experiments (red-door, cheese-corner,
// keys-chests, lava-shift, absent-supervisor): drawing levels, training planners
// by CMA-ES and reactive policies by REINFORCE, playing them, and the first-plan
// bridge (a) of absent-supervisor (the others compare planners over the outcomes
// of all their decisions: gridoutcome.go).

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/base"
	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/internal/parallel"
	"github.com/mesalab/mesalab/task/grid"
)

// The parameters the gridworld experiments share, declared once so that a name
// means one thing (and one bound) in every experiment.
var (
	levelsParam      = Param{Name: "levels", Default: "100", Usage: "training levels per seed (and as many shifted test levels)"}
	sizeParam        = Param{Name: "size", Default: "13", Usage: "maze side (odd)"}
	generationsParam = Param{Name: "generations", Default: "100", Usage: "CMA-ES generations (at most) for each planner"}
	epicLevelsParam  = Param{Name: "epic-levels", Default: "100", Usage: "levels per distribution on which EPIC and STARC are computed (the first ones; 0: all)"}
	megLevelsParam   = Param{Name: "meg-levels", Default: "10", Usage: "levels per distribution on which goal-directedness (MEG) is measured (the first ones; 0: all)"}
)

// maxCount bounds the level, generation and iteration counts of one run.
const maxCount = 100000

// The readers of the shared parameters, with their bounds.
func levelsRange(dst *int) IntRange      { return IntRange{"levels", 1, maxCount, dst} }
func generationsRange(dst *int) IntRange { return IntRange{"generations", 1, maxCount, dst} }
func iterationsRange(dst *int) IntRange  { return IntRange{"iterations", 1, maxCount, dst} }
func epicLevelsRange(dst *int) IntRange  { return IntRange{"epic-levels", 0, maxCount, dst} }
func megLevelsRange(dst *int) IntRange   { return IntRange{"meg-levels", 0, maxCount, dst} }

// firstLevels is how many of n levels a "the first k; 0: all" parameter selects.
func firstLevels(k, n int) int {
	if k == 0 || k > n {
		return n
	}
	return k
}

// mix is the SplitMix64 finaliser (Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014): it turns structured seeds
// (run seed, split, index) into well-spread generator seeds.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// levelSeed is the generator seed of level i of split (0 train, 1 shift, …) of
// the run seed.
func levelSeed(seed uint64, split, i int) uint64 {
	return mix(mix(mix(seed)^uint64(split)) ^ uint64(i))
}

// drawBoards draws n levels of dist, level i from grid.NewRand(levelSeed(seed,
// split, i)), and prepares them for planning with region size region.
func drawBoards(dist mesalab.Distribution[*grid.Level], seed uint64, split, n, region int) []*agent.Board {
	boards := make([]*agent.Board, n)
	parallel.For(n, func(i int) {
		boards[i] = agent.NewBoard(dist.Sample(grid.NewRand(levelSeed(seed, split, i))), region)
	})
	return boards
}

// activeFeatures lists, in index order, the planner features that are non-zero on
// some candidate plan at the start of some board: the directions in which the
// training objective can distinguish goals at all. The base optimizer searches
// only these (and the length cost); every other weight stays at its initial 0.
func activeFeatures(boards []*agent.Board) []int {
	seen := make([]bool, agent.NumFeatures)
	var p agent.Planner
	for _, b := range boards {
		x := b.Start(0)
		for _, c := range p.Candidates(x) {
			for i, v := range agent.Features(x, c) {
				if v != 0 {
					seen[i] = true
				}
			}
		}
	}
	var out []int
	for i, s := range seen {
		if s {
			out = append(out, i)
		}
	}
	return out
}

// plannerOf maps an optimizer's vector (weights of the active features, then the
// length cost) to a planner.
func plannerOf(v []float64, active []int, budget agent.Budget) *agent.Planner {
	th := make([]float64, agent.NumFeatures)
	for k, i := range active {
		th[i] = v[k]
	}
	return &agent.Planner{Theta: th, Cost: v[len(active)], Budget: budget}
}

var workspaces = sync.Pool{New: func() any { return new(agent.Workspace) }}

// meanReturn is the base objective f: the mean visible return of the planner over
// the boards, summed in board order.
func meanReturn(p *agent.Planner, boards []*agent.Board) float64 {
	ws := workspaces.Get().(*agent.Workspace)
	defer workspaces.Put(ws)
	var s float64
	for _, b := range boards {
		s += p.Play(b, 0, ws, false).Return
	}
	return s / float64(len(boards))
}

// plannerTraining configures the base optimizer of planner agents: CMA-ES (Hansen
// 2016) with IPOP restarts over the active goal weights and the length cost,
// from θ = 0 and c = Cost0.
type plannerTraining struct {
	Generations int     // at most this many generations in all
	Stall       int     // restart a run after this many generations without a better best
	Restarts    int     // at most this many restarts
	Sigma       float64 // initial step size
	Cost0       float64 // initial length cost c (θ starts at 0)
	// Target stops training once the mean training return reaches it within
	// TargetTol (Target: the most the planner class can earn on the training
	// boards; +Inf or 0 with no boards: never).
	Target, TargetTol float64
	Budget            agent.Budget
}

// oracleReturn is the mean over boards of the best return of a single plan
// (planReturn maximised over Σ_x at the start): what a planner that makes one
// decision per episode can earn at most.
func oracleReturn(boards []*agent.Board) float64 { return oracleWith(boards, planReturn) }

// oracleWith is oracleReturn under another per-plan payoff (planPerformance: the
// best hidden performance of a single plan).
func oracleWith(boards []*agent.Board, payoff func(*agent.Board, string) float64) float64 {
	best := make([]float64, len(boards))
	parallel.For(len(boards), func(i int) {
		var enum agent.Planner
		x := boards[i].Start(0)
		best[i] = math.Inf(-1)
		for _, c := range enum.Candidates(x) {
			best[i] = math.Max(best[i], payoff(boards[i], enum.Decode(x, c)))
		}
	})
	var s float64
	for _, b := range best {
		s += b
	}
	return s / float64(len(boards))
}

// trainedPlanner is the outcome of training one planner.
type trainedPlanner struct {
	Planner *agent.Planner
	Active  []int
	Result  base.Result
}

// train runs the base optimizer on boards and reports each generation to bar.
func (pt plannerTraining) train(ctx context.Context, boards []*agent.Board, seed uint64, bar Bar) (trainedPlanner, error) {
	active := activeFeatures(boards)
	f := func(v []float64) float64 { return meanReturn(plannerOf(v, active, pt.Budget), boards) }
	observe := func(g base.Generation) bool {
		bar.Increment()
		return ctx.Err() != nil || g.Best >= pt.Target-max(pt.TargetTol, 1e-9)
	}
	start := make([]float64, len(active)+1)
	start[len(active)] = pt.Cost0
	res, err := base.CMAES{Dim: len(active) + 1, Start: start, Sigma: pt.Sigma, Generations: pt.Generations,
		Restarts: pt.Restarts, Stall: pt.Stall, Seed: seed}.Run(f, observe)
	if err != nil {
		return trainedPlanner{}, err
	}
	if err := ctx.Err(); err != nil {
		return trainedPlanner{}, err
	}
	return trainedPlanner{Planner: plannerOf(res.Theta, active, pt.Budget), Active: active, Result: res}, nil
}

// explainFailures says, for the boards where failed(i) holds, which part of the
// learned goal the planner's first decision pursued there (agent.Planner.Explain):
// the share of all boards explained by each feature, keyed "goal " + feature.
func explainFailures(p *agent.Planner, boards []*agent.Board, failed func(i int) bool) map[string]float64 {
	names := make([]string, len(boards))
	parallel.For(len(boards), func(i int) {
		if failed(i) {
			names[i], _ = p.Explain(boards[i].Start(0))
		}
	})
	counts := map[string]int{}
	for _, n := range names {
		if n != "" {
			counts["goal "+n]++
		}
	}
	out := make(map[string]float64, len(counts))
	for k, c := range counts {
		out[k] = float64(c) / float64(len(boards))
	}
	return out
}

// playAll plays the planner once on every board, in parallel, recording actions.
func playAll(p *agent.Planner, boards []*agent.Board) []agent.Outcome {
	out := make([]agent.Outcome, len(boards))
	parallel.For(len(boards), func(i int) {
		ws := workspaces.Get().(*agent.Workspace)
		out[i] = p.Play(boards[i], 0, ws, true)
		workspaces.Put(ws)
	})
	return out
}

// share is the fraction of outcomes for which pred holds.
func share[T any](xs []T, pred func(i int, x T) bool) float64 {
	if len(xs) == 0 {
		return 0
	}
	n := 0
	for i, x := range xs {
		if pred(i, x) {
			n++
		}
	}
	return float64(n) / float64(len(xs))
}

// means returns the mean visible return and the mean hidden performance.
func means(outs []agent.Outcome) (ret, perf float64) {
	for _, o := range outs {
		ret += o.Return
		perf += o.Performance
	}
	n := float64(max(len(outs), 1))
	return ret / n, perf / n
}

// planReturn is u*(x)(o) of bridge (a) for planners: the visible return of
// executing the action string o from the start of board b's episode and then
// standing still until the step limit (the step payoffs of the idle steps are
// added, as in agent.Planner.Play).
func planReturn(b *agent.Board, o string) float64 {
	ret, _ := planPayoff(b, o)
	return ret
}

// planPerformance is the same for the hidden performance R*.
func planPerformance(b *agent.Board, o string) float64 {
	_, perf := planPayoff(b, o)
	return perf
}

func planPayoff(b *agent.Board, o string) (ret, perf float64) {
	acts, err := grid.ParseActions(o)
	if err != nil {
		return math.Inf(-1), math.Inf(-1) // not an output of this task
	}
	ep := b.Level.Replay(0, acts)
	ret, perf = ep.Return, ep.Performance
	if !ep.Final.Done() {
		idle := float64(b.Level.StepLimit() - ep.Steps)
		ret += idle * b.Level.Rules().Step.Reward
		perf += idle * b.Level.Rules().Step.Performance
	}
	return ret, perf
}

// comparePlannerWith compares a trained planner's choice of first plan with a
// per-task utility u*(x)(o) through bridge (a): tasks are the boards' start
// situations (uniform, enumerated), outputs the action strings of the candidate
// plans Σ_x, u*(x)(o) = u(board, o) (planReturn: the visible return of the plan
// followed by standing still; planPerformance: the same for the hidden
// performance R*). Agreement is the share of levels where the planner's plan is
// one of the best single plans. It keeps the route (a plan through the
// punishment tile and one around it are different outputs), which absent-
// supervisor needs; the experiments whose planners re-plan use compareOutcomes.
func comparePlannerWith(p *agent.Planner, name, subject string, boards []*agent.Board, u func(*agent.Board, string) float64) mesalab.Comparison {
	xs := make([]agent.Situation, len(boards))
	for i, b := range boards {
		xs[i] = b.Start(0)
	}
	tasks := mesalab.Uniform(name, xs)
	enum := &agent.Planner{Budget: p.Budget} // Σ_x does not depend on θ
	d := &mesalab.Decomposition[agent.Situation, string]{
		Tasks: tasks,
		Outputs: func(x agent.Situation) []string {
			cands := enum.Candidates(x)
			out := make([]string, len(cands))
			for k, c := range cands {
				out[k] = enum.Decode(x, c)
			}
			return out
		},
		Utility: func(x agent.Situation, o string) float64 { return u(x.Board, o) },
	}
	c := compare.Mesa[agent.Situation, string, agent.Plan](d, p, compare.Options{}, tasks)[0]
	c.Subject = subject
	return c
}

// incomparableReactive is the comparison of a reactive policy: it has no
// mesa-objective (no Σ_x, g_x or φ), so no number is defined.
func incomparableReactive(name, subject string) mesalab.Comparison {
	return mesalab.Comparison{Distribution: name, Subject: subject, Incomparable: &mesalab.Incomparable{Missing: []string{
		"mesa-objective: the reactive softmax policy is not a mesa-optimizer (it exposes no Σ_x, g_x or φ); compare its behavioral objective instead",
	}}}
}

// reactiveTraining configures REINFORCE (with the leave-one-out baseline and Adam)
// for a softmax policy: each episode plays a training board chosen uniformly by
// the episode's own random source, with a fresh start seed.
type reactiveTraining struct {
	Iterations int
	Batch      int
	Alpha      float64
}

func (rt reactiveTraining) train(ctx context.Context, enc agent.Encoder, boards []*agent.Board, seed uint64, bar Bar) (*agent.Softmax, base.Result, error) {
	p := agent.NewSoftmax(enc)
	rollout := func(theta []float64, ep int, r *rand.Rand, gRet, gLog []float64) float64 {
		b := boards[r.IntN(len(boards))]
		return p.Rollout(b, uint64(ep), theta, r, gRet, gLog)
	}
	observe := func(base.Generation) bool {
		bar.Increment()
		return ctx.Err() != nil
	}
	res, err := base.Reinforce{Dim: len(p.W), Alpha: rt.Alpha, Batch: rt.Batch, Iterations: rt.Iterations, Seed: seed}.Run(rollout, observe)
	if err != nil {
		return nil, res, err
	}
	if err := ctx.Err(); err != nil {
		return nil, res, err
	}
	p.W = res.Theta
	return p, res, p.Check()
}

// playReactive plays the policy on every level: greedily when sample is false,
// otherwise sampling its actions from the source (seed, level index).
func playReactive(p *agent.Softmax, boards []*agent.Board, sample bool, seed uint64) []agent.Episode {
	out := make([]agent.Episode, len(boards))
	parallel.For(len(boards), func(i int) {
		var r *rand.Rand
		if sample {
			r = rand.New(rand.NewPCG(seed, uint64(i)))
		}
		out[i] = p.Play(boards[i], 0, nil, r)
	})
	return out
}

func levelsOf(boards []*agent.Board) []*grid.Level {
	out := make([]*grid.Level, len(boards))
	for i, b := range boards {
		out[i] = b.Level
	}
	return out
}

// weightsOf reports the learned weights of the named features, each divided by
// the norm of the whole learned vector (θ and c), so that seeds are comparable:
// g is invariant to a positive rescaling of (θ, c).
func weightsOf(p *agent.Planner, names ...string) map[string]float64 {
	norm := p.Cost * p.Cost
	for _, v := range p.Theta {
		norm += v * v
	}
	norm = math.Sqrt(norm)
	if norm == 0 {
		norm = 1
	}
	out := map[string]float64{}
	for _, n := range names {
		if n == "cost" {
			out[n] = p.Cost / norm
			continue
		}
		i, err := agent.FeatureIndex(n)
		if err != nil {
			panic(err) // names are compile-time constants of the experiments
		}
		out[n] = p.Theta[i] / norm
	}
	return out
}

// featureLabel turns "kind:door" into "w_kind_door" for metric names.
func featureLabel(name string) string {
	b := []byte("w_" + name)
	for i, c := range b {
		if c == ':' || c == '-' || c == '|' {
			b[i] = '_'
		}
	}
	return string(b)
}

// pathFigure renders board b at the start of its episode with the trajectory of
// the given actions drawn over it (SVG, for the report).
func pathFigure(title, caption string, b *agent.Board, acts []grid.Action) Figure {
	ep := b.Level.Replay(0, acts)
	start := b.Level.Reset(0)
	var sb strings.Builder
	if err := b.Level.SVG(&sb, &start, grid.Render{CellPixels: 20, Path: ep.Path}); err != nil {
		return Figure{Title: title, Caption: caption + " (not drawn: " + err.Error() + ")"}
	}
	return Figure{Title: title, Caption: caption, SVG: sb.String()}
}

// traceSeries turns a per-generation trace into a series, keeping every k-th
// point (and the last) so that long traces stay small.
func traceSeries(name, label, xlabel, ylabel string, trace []float64, k int) Series {
	s := Series{Name: name, Label: label, XLabel: xlabel, YLabel: ylabel}
	for i, y := range trace {
		if i%k == 0 || i == len(trace)-1 {
			s.X = append(s.X, float64(i+1))
			s.Y = append(s.Y, y)
		}
	}
	return s
}
