package experiment

// The planners' comparisons over outcomes and over rewards: bridge (a) over the
// decisions a planner takes in each episode (what each plan leads to, valued by
// the base return it leaves possible), and EPIC and STARC between the base reward
// and the planner's mesa-objective written as a reward on each level's tabular
// MDP.

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/internal/parallel"
	"github.com/mesalab/mesalab/task/grid"
	"github.com/mesalab/mesalab/task/mdp"
)

// rewardGamma is the discount of the exported MDPs on which rewards are compared
// (EPIC, STARC): an effective horizon of 100 steps, the gridworlds' step limit.
const rewardGamma = 0.99

// maxModelStates bounds the states a levelModel enumerates.
const maxModelStates = 1 << 16

// levelModel holds, for one level, the best base return still possible from
// every reachable state with h steps left under the level's step limit,
//
//	V*_h(s) = max_a [R(s, a) + V*_{h−1}(s′)],  V*_0 = 0,  0 once the episode is over,
//
// over the states reachable from the start (agent cell, keys held, live objects:
// grid.Level.StateID), enumerated breadth-first with their successors under each
// action. The gridworld experiments' levels are deterministic, so a state and
// action have one successor. The level's tabular MDP for EPIC and STARC is
// exported only when asked for (export).
type levelModel struct {
	b     *agent.Board
	index map[uint64]int32
	limit int
	v     []float64 // v[h·S + s]
	S     int
}

func newLevelModel(b *agent.Board) (*levelModel, error) {
	l := b.Level
	if l.Rules().DryProb > 0 {
		return nil, fmt.Errorf("level %s: random dynamics (tomatoes dry with probability %g); V* needs a deterministic level", l.Name(), l.Rules().DryProb)
	}
	lm := &levelModel{b: b, index: map[uint64]int32{}, limit: l.StepLimit()}
	var states []grid.State
	add := func(s grid.State) (int32, error) {
		id := l.StateID(&s)
		if i, ok := lm.index[id]; ok {
			return i, nil
		}
		if len(states) >= maxModelStates {
			return 0, fmt.Errorf("level %s: more than %d states reachable", l.Name(), maxModelStates)
		}
		lm.index[id] = int32(len(states))
		states = append(states, s)
		return int32(len(states) - 1), nil
	}
	if _, err := add(l.Reset(0)); err != nil {
		return nil, err
	}
	A := int(grid.NumActions)
	var to []int32 // successor per (state, action); −1: the episode is over
	var rw []float64
	for i := 0; i < len(states); i++ {
		for _, a := range grid.Actions {
			s := states[i]
			o := l.Step(&s, a)
			next := int32(-1)
			if !s.Done() {
				j, err := add(s)
				if err != nil {
					return nil, err
				}
				next = j
			}
			to = append(to, next)
			rw = append(rw, o.Reward)
		}
	}
	S := len(states)
	lm.S = S
	lm.v = make([]float64, (lm.limit+1)*S)
	for h := 1; h <= lm.limit; h++ {
		prev, cur := lm.v[(h-1)*S:h*S], lm.v[h*S:(h+1)*S]
		for s := range S {
			best := math.Inf(-1)
			for a := range A {
				q := rw[s*A+a]
				if t := to[s*A+a]; t >= 0 {
					q += prev[t]
				}
				best = math.Max(best, q)
			}
			cur[s] = best
		}
	}
	return lm, nil
}

// value is V* of a level state: the best base return from it in the steps left,
// 0 once the episode is over.
func (lm *levelModel) value(st *grid.State) float64 {
	if st.Done() {
		return 0
	}
	i, ok := lm.index[lm.b.Level.StateID(st)]
	if !ok {
		return math.NaN() // not reachable from the start: cannot happen for the planner's states
	}
	return lm.v[(lm.limit-st.Steps())*lm.S+int(i)]
}

// export is the level's tabular MDP (grid.Export, visible reward, γ =
// rewardGamma) for reward comparisons.
func (lm *levelModel) export() (*mdp.MDP, *grid.StateMap, error) {
	return grid.Export(lm.b.Level, grid.VisibleReward, rewardGamma)
}

// outcomeRow is u*(x)(·) on one decision: the outcomes (end cells of Σ_x) and the
// base value of each.
type outcomeRow struct {
	outs []grid.Pos
	u    map[grid.Pos]float64
}

// outcomes values every outcome of decision x: for each plan σ, the base return
// of carrying it out from x plus V* of the state it leaves (standing still: the
// idle steps' payoffs to the step limit, as Play counts them), maximised over the
// plans that end on the same cell.
func (lm *levelModel) outcomes(x agent.Situation, enum *agent.Planner) outcomeRow {
	l := lm.b.Level
	row := outcomeRow{u: map[grid.Pos]float64{}}
	for _, c := range enum.Candidates(x) {
		st := x.State
		var ret float64
		if c.Length == 0 {
			ret = float64(l.StepLimit()-st.Steps()) * l.Rules().Step.Reward
		} else {
			for _, a := range c.Actions {
				ret += l.Step(&st, a).Reward
				if st.Done() {
					break
				}
			}
			ret += lm.value(&st)
		}
		if old, seen := row.u[c.Target]; !seen {
			row.outs = append(row.outs, c.Target)
			row.u[c.Target] = ret
		} else if ret > old {
			row.u[c.Target] = ret
		}
	}
	return row
}

// levelModels exports every board (in parallel); the first error, in board order,
// is returned.
func levelModels(boards []*agent.Board) ([]*levelModel, error) {
	models := make([]*levelModel, len(boards))
	errs := make([]error, len(boards))
	parallel.For(len(boards), func(i int) { models[i], errs[i] = newLevelModel(boards[i]) })
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("level %d: %w", i, err)
		}
	}
	return models, nil
}

// compareOutcomes is the planners' bridge (a) over outcomes (compare.Sequential
// with agent.Outcomes): the tasks of a level are the situations at which the
// planner decides in its episode there (it re-plans when a plan ends), the
// outputs of a decision the cells its candidate plans end on, u_m the best g_x
// over the plans ending on a cell, and u*(x)(o) the base return of going to o plus
// the best base return still possible from there (levelModel.outcomes). A level
// agrees when every decision is optimal for u*; its regret is the return the
// episode lost, V*(start) − return; the distance is the Pearson distance of u*
// and u_m centred per decision. Each level weighs 1/len(boards).
func compareOutcomes(p *agent.Planner, name, subject string, boards []*agent.Board, models []*levelModel) mesalab.Comparison {
	c, _ := compareOutcomesPerLevel(p, name, subject, boards, models)
	return c
}

// compareOutcomesPerLevel is compareOutcomes with the comparison of each level
// on its own (compare.SequentialEpisodes).
func compareOutcomesPerLevel(p *agent.Planner, name, subject string, boards []*agent.Board, models []*levelModel) (mesalab.Comparison, []mesalab.Comparison) {
	enum := &agent.Planner{Budget: p.Budget} // Σ_x does not depend on θ
	rows := make([]map[agent.Situation]outcomeRow, len(boards))
	episodes := make([]compare.Episode[agent.Situation], len(boards))
	parallel.For(len(boards), func(i int) {
		ws := workspaces.Get().(*agent.Workspace)
		ds := p.Decisions(boards[i], 0, ws)
		workspaces.Put(ws)
		rows[i] = make(map[agent.Situation]outcomeRow, len(ds))
		for _, x := range ds {
			rows[i][x] = models[i].outcomes(x, enum)
		}
		episodes[i] = compare.Episode[agent.Situation]{Decisions: ds, Weight: 1 / float64(len(boards))}
	})
	table := map[agent.Situation]outcomeRow{}
	for _, r := range rows {
		for x, row := range r {
			table[x] = row
		}
	}
	d := &mesalab.Decomposition[agent.Situation, grid.Pos]{
		Outputs: func(x agent.Situation) []grid.Pos { return table[x].outs },
		Utility: func(x agent.Situation, o grid.Pos) float64 {
			if u, ok := table[x].u[o]; ok {
				return u
			}
			return math.Inf(-1)
		},
	}
	c, per := compare.SequentialEpisodes[agent.Situation, grid.Pos, agent.Plan](d, agent.Outcomes{P: p}, name, episodes)
	c.Subject = subject
	for i := range per {
		per[i].Subject = subject
	}
	return c, per
}

// levelRows turns a distribution's per-level comparisons into rows of
// Result.PerLevel, with each level's outcome in words and EPIC and STARC where
// r computed them (its first r.Levels levels).
func levelRows(per []mesalab.Comparison, outcome func(i int) string, r rewardSummary) []LevelResult {
	rows := make([]LevelResult, len(per))
	for i, c := range per {
		rows[i] = LevelResult{Subject: c.Subject, Distribution: c.Distribution, Level: i, Agreement: c.Agreement,
			Regret: c.Regret, NormalizedRegret: c.NormalizedRegret, Distance: c.Distance, Decisions: c.Tasks, Outcome: outcome(i)}
		if i < len(r.EPIC) {
			rows[i].EPIC, rows[i].STARC = ptr(r.EPIC[i]), ptr(r.STARC[i])
		}
	}
	return rows
}

// rewardDistance is EPIC (potential shaping) and STARC (value canonicalisation,
// shaping and S′-redistribution) between the level's base reward R and the
// planner's reward R_θ (agent.Planner.Reward) on its exported MDP, γ =
// rewardGamma. EPIC's coverage is the level's dynamics: D(s,a,s′) = T(s,a,s′)/
// (S·A), so only transitions that can happen are correlated; D_S, D_A uniform.
func rewardDistance(p *agent.Planner, lm *levelModel) (epic, starc float64, err error) {
	m, sm, err := lm.export()
	if err != nil {
		return 0, 0, err
	}
	R, err := p.Reward(lm.b, m, sm)
	if err != nil {
		return 0, 0, err
	}
	base, mesa := compare.RewardOf(m), compare.Reward{S: m.S, A: m.A, R: R}
	cov := make([]float64, len(m.T))
	for k, t := range m.T {
		cov[k] = t / float64(m.S*m.A)
	}
	if epic, err = compare.EPICDistance(base, mesa, m.Gamma, compare.Dists{Coverage: cov}, compare.PotentialShaping); err != nil {
		return 0, 0, err
	}
	st, err := compare.NewSTARC(m.S, m.A, m.Gamma, compare.STARCOptions{Transitions: m.T})
	if err != nil {
		return 0, 0, err
	}
	if starc, err = st.Distance(base, mesa, compare.ShapingRedistribution); err != nil {
		return 0, 0, err
	}
	return epic, starc, nil
}

// rewardSummary is EPIC and STARC over the levels of one distribution: per
// level (the first Levels) and their mean and maximum.
type rewardSummary struct {
	Levels              int
	EPIC, STARC         []float64
	EPICMean, EPICMax   float64
	STARCMean, STARCMax float64
}

// rewardDistances computes rewardDistance on the first k models (all when k ≤ 0
// or k ≥ len), in parallel, and summarises them.
func rewardDistances(p *agent.Planner, models []*levelModel, k int) (rewardSummary, error) {
	if k <= 0 || k > len(models) {
		k = len(models)
	}
	epic, starc := make([]float64, k), make([]float64, k)
	errs := make([]error, k)
	parallel.For(k, func(i int) { epic[i], starc[i], errs[i] = rewardDistance(p, models[i]) })
	s := rewardSummary{Levels: k, EPIC: epic, STARC: starc}
	for i := range k {
		if errs[i] != nil {
			return s, fmt.Errorf("level %d: %w", i, errs[i])
		}
		s.EPICMean += epic[i] / float64(k)
		s.STARCMean += starc[i] / float64(k)
		s.EPICMax = math.Max(s.EPICMax, epic[i])
		s.STARCMax = math.Max(s.STARCMax, starc[i])
	}
	return s, nil
}
