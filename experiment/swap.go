package experiment

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/irl"
	"github.com/mesalab/mesalab/task/mdp"
	"github.com/mesalab/mesalab/verdict"
)

func init() {
	Register(Experiment{
		ID:      "swap",
		Summary: "Bridge (b): a value-iteration planner with learned goal weights (door, red, top) is swapped to the base-optimal weights and to each proxy; f(m_g′) − f(m_g) on train and shift",
		Params: []Param{
			{Name: "candidates", Default: "64", Usage: "random-search candidates per seed (the base optimizer)"},
			{Name: "depth", Default: "0", Usage: "planning depth of the planner (0: plan to convergence)"},
			{Name: "horizon", Default: "12", Usage: "episode length for goal-directedness and inverse RL"},
		},
		DefaultSeeds: 8,
		Run:          runSwap,
	})
}

// The swap world is a 5×5 gridworld (README, "swap"): actions stay, up, down, left,
// right (a move into the wall stays put), γ = 0.9. A red door D at (1,1) and a red
// non-door R at (3,3); rows 0–1 are the "top" region. The base reward is 1 for
// every step that ends on the door. Training episodes start in the 3×3 top-left
// block, shifted ones in the 3×3 bottom-right block (the shared centre cell (2,2)
// excluded from both), so that on the training starts the nearest red cell is
// always the door.
const (
	swapW, swapH       = 5, 5
	swapGamma          = 0.9
	swapDoor, swapRedX = 1*swapW + 1, 3*swapW + 3
)

var swapFeatures = []string{"door", "red", "top"}

type swapWorld struct {
	base         *mdp.MDP            // R = base reward
	proxies      map[string]*mdp.MDP // R = a proxy feature of the state entered
	phi          []float64           // S × F
	train, shift []float64           // start distributions
	cells        []string
}

func newSwapWorld() (*swapWorld, error) {
	S, A, F := swapW*swapH, 5, len(swapFeatures)
	T := make([]float64, S*A*S)
	moves := [5][2]int{{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}}
	phi := make([]float64, S*F)
	cells := make([]string, S)
	w := &swapWorld{proxies: map[string]*mdp.MDP{}, train: make([]float64, S), shift: make([]float64, S)}
	for s := range S {
		r, c := s/swapW, s%swapW
		for a, mv := range moves {
			nr, nc := r+mv[0], c+mv[1]
			if nr < 0 || nr >= swapH || nc < 0 || nc >= swapW {
				nr, nc = r, c
			}
			T[(s*A+a)*S+nr*swapW+nc] = 1
		}
		cells[s] = fmt.Sprintf("(%d,%d)", r, c)
		if s == swapDoor {
			phi[s*F+0], phi[s*F+1] = 1, 1
			cells[s] = "door" + cells[s]
		}
		if s == swapRedX {
			phi[s*F+1] = 1
			cells[s] = "red" + cells[s]
		}
		if r <= 1 {
			phi[s*F+2] = 1
		}
		if r <= 2 && c <= 2 && s != 2*swapW+2 {
			w.train[s] = 1. / 8
		}
		if r >= 2 && c >= 2 && s != 2*swapW+2 {
			w.shift[s] = 1. / 8
		}
	}
	reward := func(k int) []float64 {
		R := make([]float64, S*A*S)
		for i := range R {
			R[i] = phi[(i%S)*F+k]
		}
		return R
	}
	var err error
	if w.base, err = mdp.New(S, A, T, reward(0), swapGamma, w.train); err != nil {
		return nil, err
	}
	for k, name := range swapFeatures[1:] {
		if w.proxies[name], err = mdp.New(S, A, T, reward(k+1), swapGamma, w.train); err != nil {
			return nil, err
		}
	}
	w.base.StateNames = cells
	w.phi, w.cells = phi, cells
	return w, nil
}

// startValue is the base objective on one start distribution,
// f_ν(s) = Σ_x ν(x) V^{π_s}(x), the expected discounted return of the system's
// (deterministic) policy under m's reward, computed exactly by policy evaluation.
type startValue struct {
	m     *mdp.MDP
	start []float64
}

func (f startValue) Score(s mesalab.System[int, int]) float64 {
	v, err := f.value(policyOf(s, f.m.S))
	if err != nil {
		return math.NaN()
	}
	return v
}

func (f startValue) value(actions []int) (float64, error) {
	return f.valueOf(f.m.Deterministic(actions))
}

func (f startValue) valueOf(pi []float64) (float64, error) {
	v, _, err := f.m.Evaluate(pi)
	if err != nil {
		return 0, err
	}
	var x float64
	for s, p := range f.start {
		x += p * v[s]
	}
	return x, nil
}

func policyOf(s mesalab.System[int, int], states int) []int {
	pi := make([]int, states)
	for x := range pi {
		pi[x] = s.Act(x)
	}
	return pi
}

// occupancy is the normalised discounted state occupancy of a deterministic
// policy from start, d(s) = (1−γ) Σ_t γ^t P(S_t = s): the states where the
// policy's decisions matter, weighted by how much.
func occupancy(m *mdp.MDP, actions []int, start []float64) []float64 {
	d := make([]float64, m.S)
	cur := append([]float64(nil), start...)
	next := make([]float64, m.S)
	g := 1 - m.Gamma
	for range 2000 {
		for s, p := range cur {
			d[s] += g * p
		}
		clear(next)
		for s, p := range cur {
			if p == 0 {
				continue
			}
			row := m.T[(s*m.A+actions[s])*m.S : (s*m.A+actions[s]+1)*m.S]
			for s2, q := range row {
				next[s2] += p * q
			}
		}
		cur, next = next, cur
		g *= m.Gamma
		if g < 1e-15 {
			break
		}
	}
	return d
}

// visited turns an occupancy into a named finite distribution over states.
func visited(name string, d []float64) (*mesalab.Enumerated[int], error) {
	var sum float64
	for _, p := range d {
		sum += p
	}
	items := make([]mesalab.Weighted[int], len(d))
	for s, p := range d {
		items[s] = mesalab.Weighted[int]{Task: s, Weight: p / sum}
	}
	return mesalab.NewEnumerated(name, items)
}

// lookupPolicy is a reactive policy: a table from state to action, distilled from
// a planner. It behaves like the planner but searches nothing and exposes no
// objective.
type lookupPolicy []int

func (l lookupPolicy) Act(s int) int { return l[s] }

func runSwap(ctx context.Context, cfg Config) (*Result, error) {
	began := time.Now()
	candidates, err := cfg.IntIn("candidates", 1, 100000)
	if err != nil {
		return nil, err
	}
	depth, err := cfg.IntIn("depth", 0, agent.MaxPlanningSweeps)
	if err != nil {
		return nil, err
	}
	horizon, err := cfg.IntIn("horizon", 1, 1000)
	if err != nil {
		return nil, err
	}
	w, err := newSwapWorld()
	if err != nil {
		return nil, err
	}
	res := &Result{Experiment: "swap", Seeds: cfg.Seeds, Seed: cfg.Seed,
		Config: map[string]any{"candidates": candidates, "depth": depth, "horizon": horizon, "gamma": swapGamma,
			"features": swapFeatures, "grid": fmt.Sprintf("%dx%d", swapW, swapH)},
		Metrics: map[string]float64{}}
	env := newSwapEnv(w, horizon)
	if err := env.prepare(); err != nil {
		return nil, err
	}
	for k, v := range env.reference() {
		res.Metrics[k] = v
	}
	alts := []compare.Alternative{{Name: "base-optimal", Params: []float64{1, 0, 0}},
		{Name: "red", Params: []float64{0, 1, 0}}, {Name: "top", Params: []float64{0, 0, 1}}}
	swapTable := Table{Title: "f(m_g′) − f(m_g) per seed (columns: alternative @ distribution)",
		Header: []string{"seed", "θ (door, red, top)", "f train", "f shift"}}
	for _, a := range alts {
		swapTable.Header = append(swapTable.Header, a.Name+" @train", a.Name+" @shift")
	}
	bar := cfg.Bar("swap seeds", cfg.Seeds)
	defer bar.Done()
	sums := map[string]float64{}
	for i := range cfg.Seeds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		seed := cfg.Seed + uint64(i)
		out, err := env.runSeed(seed, candidates, depth, alts)
		if err != nil {
			return nil, err
		}
		res.Comparisons = append(res.Comparisons, out.comparisons...)
		res.Verdicts = append(res.Verdicts, out.judgement.Verdicts...)
		res.Unjudged = append(res.Unjudged, out.judgement.Unjudged...)
		res.PerSeed = append(res.PerSeed, out.metrics)
		for k, v := range out.metrics {
			if k != "seed" {
				sums[k] += v
			}
		}
		row := []string{fmt.Sprint(seed), fmt.Sprintf("(%.2f, %.2f, %.2f)", out.theta[0], out.theta[1], out.theta[2]),
			fmt.Sprintf("%.3f", out.metrics["f_train"]), fmt.Sprintf("%.3f", out.metrics["f_shift"])}
		for _, a := range alts {
			for _, d := range []string{"train", "shift"} {
				row = append(row, fmt.Sprintf("%+.3f", out.metrics[swapKey(a.Name, d)]))
			}
		}
		swapTable.Rows = append(swapTable.Rows, row)
		bar.Increment()
	}
	for k, v := range sums {
		res.Metrics[k] = v / float64(cfg.Seeds)
	}
	var pseudo float64
	for _, v := range res.Verdicts {
		if v.Name == verdict.PseudoAligned && strings.HasSuffix(v.Subject, "planner") {
			pseudo++
		}
	}
	res.Metrics["share_pseudo_aligned"] = pseudo / float64(cfg.Seeds)
	res.Tables = append(res.Tables, swapTable)
	res.ElapsedS = time.Since(began).Seconds()
	return res, nil
}

// swapKey is the metric name of Δf for an alternative on a distribution, e.g.
// delta_f_base_optimal_shift.
func swapKey(alt, dist string) string {
	return "delta_f_" + strings.ReplaceAll(alt, "-", "_") + "_" + dist
}

// swapEnv holds what every seed shares: the world, the optimal and uniform
// references under the base and each proxy reward, and Q* of each.
type swapEnv struct {
	w       *swapWorld
	horizon int
	objs    []string              // "base", then the proxies
	mdps    map[string]*mdp.MDP   // objective → MDP with that reward
	qstar   map[string][]float64  // objective → Q*
	optimal map[string][2]float64 // objective → f* on (train, shift)
	uniform map[string][2]float64 // objective → f of the uniform policy
}

func newSwapEnv(w *swapWorld, horizon int) *swapEnv {
	e := &swapEnv{w: w, horizon: horizon, objs: []string{verdict.Base, "red", "top"},
		mdps:  map[string]*mdp.MDP{verdict.Base: w.base, "red": w.proxies["red"], "top": w.proxies["top"]},
		qstar: map[string][]float64{}, optimal: map[string][2]float64{}, uniform: map[string][2]float64{}}
	return e
}

func (e *swapEnv) prepare() error {
	uni := make([]float64, e.w.base.S*e.w.base.A)
	for i := range uni {
		uni[i] = 1 / float64(e.w.base.A)
	}
	for _, o := range e.objs {
		m := e.mdps[o]
		q, _, _, err := m.ValueIteration(1e-12, 100000)
		if err != nil {
			return err
		}
		e.qstar[o] = q
		var opt, un [2]float64
		for k, start := range [][]float64{e.w.train, e.w.shift} {
			f := startValue{m, start}
			if opt[k], err = f.value(m.Greedy(q)); err != nil {
				return err
			}
			if un[k], err = f.valueOf(uni); err != nil {
				return err
			}
		}
		e.optimal[o], e.uniform[o] = opt, un
	}
	return nil
}

func (e *swapEnv) reference() map[string]float64 {
	m := map[string]float64{}
	for _, o := range e.objs {
		m["optimal_f_"+o+"_train"], m["optimal_f_"+o+"_shift"] = e.optimal[o][0], e.optimal[o][1]
		m["uniform_f_"+o+"_train"], m["uniform_f_"+o+"_shift"] = e.uniform[o][0], e.uniform[o][1]
	}
	return m
}

type seedOutcome struct {
	theta       []float64
	metrics     map[string]float64
	comparisons []mesalab.Comparison
	judgement   verdict.Judgement
}

// train is the base optimizer: random search over θ ∈ [−1, 1]^F by f on the
// training starts; the first candidate of the best f (within 1e-9) wins.
func (e *swapEnv) train(r *rand.Rand, candidates, depth int) (*agent.VPlanner, float64, error) {
	f := startValue{e.w.base, e.w.train}
	var best *agent.VPlanner
	bestF := math.Inf(-1)
	for range candidates {
		theta := make([]float64, len(swapFeatures))
		for k := range theta {
			theta[k] = 2*r.Float64() - 1
		}
		p, err := agent.NewVPlanner(e.w.base, swapFeatures, e.w.phi, theta, depth)
		if err != nil {
			return nil, 0, err
		}
		v, err := f.value(p.Policy())
		if err != nil {
			return nil, 0, err
		}
		if v > bestF+1e-9 {
			best, bestF = p, v
		}
	}
	return best, bestF, nil
}

func (e *swapEnv) runSeed(seed uint64, candidates, depth int, alts []compare.Alternative) (*seedOutcome, error) {
	w := e.w
	p, _, err := e.train(rand.New(rand.NewPCG(seed, 0)), candidates, depth)
	if err != nil {
		return nil, err
	}
	out := &seedOutcome{theta: p.ObjectiveParams(), metrics: map[string]float64{"seed": float64(seed)}}
	for k, name := range swapFeatures {
		out.metrics["theta_"+name] = out.theta[k]
	}
	subject := fmt.Sprintf("seed %d planner", seed)
	starts := map[string][]float64{"train": w.train, "shift": w.shift}
	dists := []string{"train", "shift"}

	// The swap (bridge b).
	evals := make([]compare.Evaluation[int, int], len(dists))
	for k, d := range dists {
		evals[k] = compare.Evaluation[int, int]{Distribution: d, Objective: startValue{w.base, starts[d]}}
	}
	swaps, err := compare.Swap[int, int, int](p, alts, evals...)
	if err != nil {
		return nil, err
	}
	for _, s := range swaps {
		out.metrics["f_"+s.Distribution] = s.Before
		out.metrics[swapKey(s.Alternative, s.Distribution)] = s.Change
	}

	// Comparison with the base objective (bridge a: u* = Q*), on the states the
	// planner visits from each start distribution.
	policy := p.Policy()
	comparisons := make([]mesalab.Comparison, len(dists))
	occ := map[string][]float64{}
	for k, d := range dists {
		occ[d] = occupancy(w.base, policy, starts[d])
		dist, err := visited(d, occ[d])
		if err != nil {
			return nil, err
		}
		comparisons[k] = compare.Mesa(qStarBridge(w.base, e.qstar[verdict.Base], dist), p,
			compare.Options{TaskSpace: w.base.S}, dist)[0]
		comparisons[k].Subject = subject
		out.metrics["agreement_"+d] = comparisons[k].Agreement
	}
	out.comparisons = append(out.comparisons, comparisons...)

	// Returns, proxy agreement and goal-directedness under base and proxies.
	ev := verdict.Evidence{Subject: subject, Train: "train", Comparisons: comparisons,
		TrainedCapacity: capacityOf(depth)}
	det := w.base.Deterministic(policy)
	for _, o := range e.objs {
		m := e.mdps[o]
		for k, d := range dists {
			f, err := startValue{m, starts[d]}.value(policy)
			if err != nil {
				return nil, err
			}
			ev.Scores = append(ev.Scores, verdict.Score{Objective: o, Distribution: d, Return: f,
				Optimal: e.optimal[o][k], Baseline: e.uniform[o][k]})
			g, err := irl.MEG(m, m.ExpectedReward(), det, starts[d], e.horizon)
			if err != nil {
				return nil, err
			}
			ev.Directedness = append(ev.Directedness, verdict.Directedness{Objective: o, Distribution: d,
				MEG: g.MEG, Normalized: g.Normalized, Towards: g.Towards()})
			out.metrics["meg_"+o+"_"+d] = g.Normalized
		}
	}
	for k, o := range swapFeatures[1:] {
		weight := out.theta[k+1]
		agree := map[string]float64{}
		for _, d := range dists {
			agree[d] = agreementWith(e.qstar[o], policy, occ[d], w.base.A)
			out.metrics["proxy_agreement_"+o+"_"+d] = agree[d]
		}
		ev.Proxies = append(ev.Proxies, verdict.Proxy{Name: o, Weight: &weight, Agreement: agree,
			Facts: map[string]any{"base_weight": out.theta[0],
				"delta_f_shift_if_swapped_to_base_optimal": out.metrics[swapKey("base-optimal", "shift")],
				"delta_f_shift_if_swapped_to_proxy":        out.metrics[swapKey(o, "shift")]}})
	}

	// Search-capacity sweep on the shift.
	for _, c := range []int{1, 2, 3, 4, 6, 8, 0} {
		q, err := p.WithDepth(c)
		if err != nil {
			return nil, err
		}
		dist, err := visited("shift", occupancy(w.base, q.Policy(), w.shift))
		if err != nil {
			return nil, err
		}
		cc := compare.Mesa(qStarBridge(w.base, e.qstar[verdict.Base], dist), q, compare.Options{}, dist)[0]
		ev.Sweep = append(ev.Sweep, verdict.Capacity{Capacity: capacityOf(c), Distribution: "shift",
			Agreement: cc.Agreement, NormalizedRegret: cc.NormalizedRegret})
	}

	// Identifiability on the training distribution: the features of the cells the
	// planner visits from the training starts, weighted by occupancy.
	var rows [][]float64
	var weights []float64
	F := len(swapFeatures)
	for s, d := range occ["train"] {
		if d > 0 {
			rows = append(rows, w.phi[s*F:(s+1)*F])
			weights = append(weights, d)
		}
	}
	if rep, err := irl.Identify("train", swapFeatures, rows, weights); err == nil {
		ev.Notes = append(ev.Notes, rep.Evidence()...)
	}
	// Never-visited cells that carry the door or red feature: their objective is
	// unconstrained by training (the other cells count as visited here).
	featured := make([]float64, w.base.S)
	for s := range featured {
		featured[s] = 1
		if w.phi[s*F] != 0 || w.phi[s*F+1] != 0 {
			featured[s] = occ["train"][s]
		}
	}
	if f, ok := irl.UnvisitedStates("train", w.cells, featured); ok {
		ev.Notes = append(ev.Notes, f.Evidence)
	}
	out.judgement = joinJudgements(out.judgement, verdict.Assess(ev))

	// The same behaviour as a reactive policy: no mesa-objective to compare, yet
	// a behavioral objective that is comparable.
	rv, rc, err := e.reactive(seed, lookupPolicy(policy), out.metrics, occ, ev.Proxies)
	if err != nil {
		return nil, err
	}
	out.comparisons = append(out.comparisons, rc...)
	out.judgement = joinJudgements(out.judgement, rv)
	return out, nil
}

// capacityOf reports a planning depth as a search capacity; to convergence (0)
// counts as agent.MaxPlanningSweeps.
func capacityOf(depth int) float64 {
	if depth == 0 {
		return agent.MaxPlanningSweeps
	}
	return float64(depth)
}

// agreementWith is the occupancy-weighted share of states at which the policy's
// action maximises q(s, ·).
func agreementWith(q []float64, policy []int, occ []float64, actions int) float64 {
	var agree, mass float64
	for s, d := range occ {
		if d <= 0 {
			continue
		}
		row := q[s*actions : (s+1)*actions]
		mass += d
		agree += d * compare.OutcomeOf(row, row[policy[s]]).Agree
	}
	if mass == 0 {
		return 0
	}
	return agree / mass
}

// reactive compares a reactive copy of the planner's behaviour: directly (it has
// no mesa-objective: incomparable), through its one-step behavioral objective
// (the argmax class of its choices, comparable with u* = Q*), and by maximum
// causal entropy IRL from its rollouts in the planner's feature basis.
//
// The proxies' agreement numbers are about behaviour, so they serve the
// behavioral objective unchanged.
func (e *swapEnv) reactive(seed uint64, pol lookupPolicy, metrics map[string]float64, occ map[string][]float64,
	proxies []verdict.Proxy) (verdict.Judgement, []mesalab.Comparison, error) {
	w := e.w
	subject := fmt.Sprintf("seed %d reactive (distilled)", seed)
	var comps []mesalab.Comparison
	var verdicts verdict.Judgement
	states := make([]int, w.base.S)
	for s := range states {
		states[s] = s
	}
	class, err := irl.ArgmaxClass(irl.Observe[int, int](pol, states), func(int) []int { return []int{0, 1, 2, 3, 4} })
	if err != nil {
		return verdict.Judgement{}, nil, err
	}
	for _, d := range []string{"train", "shift"} {
		dist, err := visited(d, occ[d])
		if err != nil {
			return verdict.Judgement{}, nil, err
		}
		bridge := qStarBridge(w.base, e.qstar[verdict.Base], dist)
		direct := compare.System[int, int](bridge, pol, compare.Options{TaskSpace: w.base.S}, dist)[0]
		direct.Subject = subject
		comps = append(comps, direct)
		behavioral := compare.System(bridge, class.Induced(pol), compare.Options{TaskSpace: w.base.S}, dist)[0]
		behavioral.Subject = subject + ", behavioral objective (argmax class)"
		comps = append(comps, behavioral)
	}
	verdicts = joinJudgements(verdicts, verdict.Assess(verdict.Evidence{Subject: subject, Train: "train",
		Comparisons: []mesalab.Comparison{comps[0], comps[2]}}))
	verdicts = joinJudgements(verdicts, verdict.Assess(verdict.Evidence{Subject: subject + ", behavioral objective (argmax class)",
		Train: "train", Comparisons: []mesalab.Comparison{comps[1], comps[3]}, Proxies: proxies}))

	// MCE IRL over the planner's features, from rollouts on each start
	// distribution: what the behaviour reveals about door, red and top.
	basis, err := irl.NextStateFeatures(w.base, swapFeatures, w.phi)
	if err != nil {
		return verdict.Judgement{}, nil, err
	}
	for k, d := range []string{"train", "shift"} {
		m, err := w.base.WithStart(map[string][]float64{"train": w.train, "shift": w.shift}[d])
		if err != nil {
			return verdict.Judgement{}, nil, err
		}
		demos, err := irl.Rollouts(m, irl.OfSystem(pol), 64, e.horizon, rand.New(rand.NewPCG(seed, uint64(10+k))))
		if err != nil {
			return verdict.Judgement{}, nil, err
		}
		fit, err := irl.MaxCausalEnt(m, basis, demos, irl.Config{L2: 0.05, Iterations: 400, LearningRate: 0.1})
		if err != nil {
			return verdict.Judgement{}, nil, err
		}
		var norm float64
		for _, x := range fit.Theta {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for i, name := range swapFeatures {
			x := 0.0
			if norm > 0 {
				x = fit.Theta[i] / norm
			}
			metrics["irl_"+d+"_"+name] = x
		}
		metrics["irl_"+d+"_identifiable"] = 0
		if fit.Class.Unidentified.Identifiable() {
			metrics["irl_"+d+"_identifiable"] = 1
		}
	}
	return verdicts, comps, nil
}
