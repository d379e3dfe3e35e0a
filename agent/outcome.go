package agent

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/task/grid"
	"github.com/mesalab/mesalab/task/mdp"
)

// Outcomes is a planner seen as a mesa-optimizer over outcomes: the same Σ_x and
// g_x, decoded to the cell where a plan ends (φ(σ) = σ.Target) instead of its
// action string. Several plans can end on one cell (the unrestricted and the
// hazard-avoiding route), so its induced utility is
//
//	u_m(x)(o) = max{ g_x(σ) : σ ends at o },
//
// the form in which a planner's goal meets a base utility over outcomes (the
// cell, and the object on it, that a decision leads to). Act returns the target
// of the plan the planner decides on (agent.Planner.Decide). Outcomes is safe for
// concurrent use when its planner is not modified.
type Outcomes struct{ P *Planner }

var _ mesalab.Mesa[Situation, grid.Pos, Plan] = Outcomes{}

// Act returns the cell where the planner's chosen plan on x ends.
func (o Outcomes) Act(x Situation) grid.Pos {
	var ws Workspace
	c := o.P.Decide(&x, &ws)
	if c.Target < 0 {
		return x.Board.Level.Agent(&x.State)
	}
	return x.Board.Level.PosOf(c.Target)
}

// Candidates is the planner's Σ_x.
func (o Outcomes) Candidates(x Situation) []Plan { return o.P.Candidates(x) }

// Objective is the planner's g_x(σ).
func (o Outcomes) Objective(x Situation, sigma Plan) float64 { return o.P.Objective(x, sigma) }

// Decode is φ(σ) = the plan's target cell.
func (o Outcomes) Decode(_ Situation, sigma Plan) grid.Pos { return sigma.Target }

// Decisions returns the situations at which the planner decides in one episode on
// board b from the start state of seed, in order: the start, then the situation
// after each plan it carries out, up to and including a final decision to stand
// still. They are the tasks of the planner's episode as [Planner.Play] plays it.
func (p *Planner) Decisions(b *Board, seed uint64, ws *Workspace) []Situation {
	l := b.Level
	x := Situation{Board: b, State: l.Reset(seed)}
	var out []Situation
	for !x.State.Done() {
		out = append(out, x)
		c := p.Decide(&x, ws)
		if c.Target < 0 || c.Length == 0 {
			break
		}
		for _, a := range ws.route(b, c.Target, c.Avoid) {
			l.Step(&x.State, a)
			if x.State.Done() {
				break
			}
		}
	}
	return out
}

// ObjectiveParams returns the parameters of the mesa-objective g: θ (one weight
// per feature of [FeatureNames]) followed by the length cost c. With
// [Planner.WithObjective] it makes the planner a compare.Swappable (bridge b).
func (p *Planner) ObjectiveParams() []float64 {
	return append(append(make([]float64, 0, len(p.Theta)+1), p.Theta...), p.Cost)
}

// WithObjective returns m_g′: a planner with the same search (budget) pursuing
// g′ given as θ′ followed by c′, in the layout of [Planner.ObjectiveParams].
func (p *Planner) WithObjective(params []float64) (mesalab.Mesa[Situation, string, Plan], error) {
	if len(params) != NumFeatures+1 {
		return nil, fmt.Errorf("planner: %d objective parameters, want %d (θ, one per feature, then the length cost)", len(params), NumFeatures+1)
	}
	q, err := NewPlanner(params[:NumFeatures], params[NumFeatures])
	if err != nil {
		return nil, err
	}
	q.Budget = p.Budget
	return q, nil
}

// Reward writes the planner's mesa-objective as a reward R_θ(s, a, s′) on the
// tabular MDP of its board's level (m and sm from grid.Export of b.Level), with
// the convention of that export: the step's payoff on every possible transition,
// 0 on impossible ones and from the end state. g_x(σ) = θ·features(x, σ) − c·
// length(σ) values where a plan ends, what it crosses and how long it is; on an
// MDP, where an episode ends only at an exit and standing still is a step like any
// other, the payoff of one step from s by action a is
//
//	−c                                   if the agent moved,
//	+ θ_hazard·(hazard entered)          if it moved onto a hazard cell,
//	+ θ·φ_object(cell entered)           if it moved onto a live object (its kind, colour, shape),
//	+ θ·φ_place(cell after the step)     if the step ends the episode (a goal cell, an exit),
//	+ (1 − γ)·θ·φ_place(cell after)      otherwise (goal cell, corner regions, coordinates),
//
// with φ_object evaluated with the objects live in s and the hazard weights of a
// supervised level where b shows a supervisor. A place the agent reaches and then
// keeps (standing still, bumping) is worth θ·φ_place discounted from then on, as
// a plan that stops there is worth it to the planner; an object is worth its
// features once, when entered; a plan into an exit earns its target's full value
// at once. So θ = (door weight w > 0, all else 0) and c = 0 make R_θ = (w/10)·R on
// a red-door level, where R pays 10 for entering the door: EPIC and STARC 0.
func (p *Planner) Reward(b *Board, m *mdp.MDP, sm *grid.StateMap) ([]float64, error) {
	l := b.Level
	if len(p.Theta) != NumFeatures {
		return nil, fmt.Errorf("planner reward: θ has %d weights, want %d", len(p.Theta), NumFeatures)
	}
	if m.S != sm.Len() || m.A != int(grid.NumActions) {
		return nil, fmt.Errorf("planner reward: MDP has S=%d A=%d, the state map %d states and the level %d actions", m.S, m.A, sm.Len(), grid.NumActions)
	}
	S, A := m.S, m.A
	R := make([]float64, S*A*S)
	sup := 0
	if b.supervised {
		sup = len(hazards)
	}
	for s := range sm.End {
		st, ok := sm.State(s)
		if !ok {
			return nil, fmt.Errorf("planner reward: state %d missing from the state map", s)
		}
		from := l.Agent(&st)
		for a := range A {
			nx := st
			l.Step(&nx, grid.Action(a))
			to := l.Agent(&nx)
			i := l.Index(to)
			var r float64
			if to != from {
				r -= p.Cost
				if h := b.hazard[i]; h >= 0 {
					r += p.Theta[featHazard+sup+int(h)]
				}
				if j := b.object[i]; j >= 0 && st.Live()>>uint(j)&1 == 1 {
					for _, e := range b.objFeat[i] {
						r += p.Theta[e.i] * e.v
					}
				}
			}
			var place float64
			for _, e := range b.cell[i] {
				place += p.Theta[e.i] * e.v
			}
			if nx.Terminated() {
				r += place
			} else {
				r += (1 - m.Gamma) * place
			}
			if math.IsNaN(r) || math.IsInf(r, 0) {
				return nil, fmt.Errorf("planner reward: R_θ(%d, %d, ·) = %v, want a finite number", s, a, r)
			}
			row := (s*A + a) * S
			for s2 := range S {
				if m.T[row+s2] > 0 {
					R[row+s2] = r
				}
			}
		}
	}
	return R, nil
}
