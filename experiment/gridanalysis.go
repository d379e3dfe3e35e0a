package experiment

// Identifiability of the planners' goal features on a distribution, and the swap
// bridge (b) for planners.

import (
	"fmt"
	"math"
	"strings"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/irl"
)

// shortFeature drops the "kind:", "colour:" and "shape:" prefixes of a planner
// feature ("kind:door" → "door"), so identifiability evidence reads as the issue
// writes it; other features keep their names.
func shortFeature(name string) string {
	for _, p := range []string{"kind:", "colour:", "shape:"} {
		if s, ok := strings.CutPrefix(name, p); ok {
			return s
		}
	}
	return name
}

// candidateRows are the rows irl.Identify reads for planners: one per candidate
// plan σ ∈ Σ_x at the start of each board, its features on the given indices and
// its length, each board weighing 1/len(boards) spread evenly over its plans. An
// objective g = θ·features − c·length is determined by the behaviour on these
// boards only up to the directions Identify names.
func candidateRows(boards []*agent.Board, features []int) (rows [][]float64, weights []float64) {
	var enum agent.Planner
	for _, b := range boards {
		x := b.Start(0)
		cands := enum.Candidates(x)
		for _, c := range cands {
			f := agent.Features(x, c)
			row := make([]float64, len(features)+1)
			for k, i := range features {
				row[k] = f[i]
			}
			row[len(features)] = float64(c.Length)
			rows = append(rows, row)
			weights = append(weights, 1/float64(len(boards)*len(cands)))
		}
	}
	return rows, weights
}

// identify runs irl.Identify on the candidate rows of boards over the named
// planner features (and "length"), with short names.
func identify(on string, boards []*agent.Board, features []string) (irl.Report, error) {
	idx := make([]int, len(features))
	names := make([]string, len(features)+1)
	for k, n := range features {
		i, err := agent.FeatureIndex(n)
		if err != nil {
			return irl.Report{}, err
		}
		idx[k], names[k] = i, shortFeature(n)
	}
	names[len(features)] = "length"
	rows, w := candidateRows(boards, idx)
	return irl.Identify(on, names, rows, w)
}

// correlation is the weighted Pearson correlation of two planner features over
// the candidate rows of boards; 0 when either is constant there.
func correlation(boards []*agent.Board, a, b string) (float64, error) {
	ia, err := agent.FeatureIndex(a)
	if err != nil {
		return 0, err
	}
	ib, err := agent.FeatureIndex(b)
	if err != nil {
		return 0, err
	}
	rows, w := candidateRows(boards, []int{ia, ib})
	var mx, my float64
	for i, r := range rows {
		mx += w[i] * r[0]
		my += w[i] * r[1]
	}
	var vx, vy, cxy float64
	for i, r := range rows {
		dx, dy := r[0]-mx, r[1]-my
		vx += w[i] * dx * dx
		vy += w[i] * dy * dy
		cxy += w[i] * dx * dy
	}
	if vx <= 1e-300 || vy <= 1e-300 {
		return 0, nil
	}
	return math.Max(-1, math.Min(1, cxy/math.Sqrt(vx*vy))), nil
}

// correlatedOn reports whether the report finds features a and b (short names)
// perfectly correlated.
func correlatedOn(rep irl.Report, a, b string) (irl.Finding, bool) {
	for _, f := range rep.Findings {
		if f.Kind == irl.Correlated && len(f.Features) == 2 &&
			((f.Features[0] == a && f.Features[1] == b) || (f.Features[0] == b && f.Features[1] == a)) {
			return f, true
		}
	}
	return irl.Finding{}, false
}

// playObjective is the base objective f of the gridworld experiments on one set
// of boards: the mean visible return of the episodes a system plays. A planner
// re-plans as in agent.Planner.Play; any other system is scored by its output on
// each board's start followed by standing still (planReturn).
type playObjective struct{ boards []*agent.Board }

func (f playObjective) Score(s mesalab.System[agent.Situation, string]) float64 {
	if p, ok := s.(*agent.Planner); ok {
		return meanReturn(p, f.boards)
	}
	var sum float64
	for _, b := range f.boards {
		sum += planReturn(b, s.Act(b.Start(0)))
	}
	return sum / float64(len(f.boards))
}

// onlyWeights is the objective parameter vector (θ, c) of a planner that wants
// the named features with weight 1 each and nothing else, c = 0.
func onlyWeights(features ...string) ([]float64, error) {
	params := make([]float64, agent.NumFeatures+1)
	for _, n := range features {
		i, err := agent.FeatureIndex(n)
		if err != nil {
			return nil, err
		}
		params[i] = 1
	}
	return params, nil
}

// swapPlanner runs bridge (b) for a trained planner: each alternative objective
// replaces the learned (θ, c), and f is the mean return on each set of boards.
func swapPlanner(p *agent.Planner, alts []compare.Alternative, boards map[string][]*agent.Board, order []string) ([]compare.SwapResult, error) {
	evals := make([]compare.Evaluation[agent.Situation, string], len(order))
	for k, name := range order {
		evals[k] = compare.Evaluation[agent.Situation, string]{Distribution: name, Objective: playObjective{boards[name]}}
	}
	res, err := compare.Swap[agent.Situation, string, agent.Plan](p, alts, evals...)
	if err != nil {
		return nil, fmt.Errorf("swap: %w", err)
	}
	for _, r := range res {
		if math.IsNaN(r.Change) {
			return nil, fmt.Errorf("swap %s on %s: f is NaN", r.Alternative, r.Distribution)
		}
	}
	return res, nil
}
