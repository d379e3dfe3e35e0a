package agent

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab/task/grid"
)

// The planner's features. A plan σ on level x is a route from the agent's cell to
// a target cell; features(x, σ) describe the target and the route:
//
//	kind:K        1 if a live object of kind K stands on the target (door, key, …)
//	colour:C      1 if that live object has colour C (red, blue, …; "none" omitted)
//	shape:S       1 if that live object has shape S (square, circle, …)
//	cell:goal     1 if the target is a goal cell
//	region:Q      1 if the target lies in the R×R block (R = Board.RegionSize) at
//	              corner Q ∈ {top-left, top-right, bottom-left, bottom-right} of the
//	              playing area (the bounding box of the passable cells, so a maze's
//	              outer wall does not count)
//	coord:up      how high the target is in the playing area: 1 on its top row,
//	              0 on its bottom row
//	coord:right   how far right: 1 on the right-most column, 0 on the left-most
//	hazard:H      number of cells of hazard H ∈ {lava, water, punish} the route
//	              enters (target included), on a level without supervisor markers
//	hazard:H|supervised   the same on a level that shows a supervisor
//
// The hazard counts are split by the supervisor bit because the agent of the
// absent-supervisor problem observes it (Leike et al. 2017, §2.1.2); a linear goal
// can then weigh a punishment tile differently when it is watched.
var FeatureNames = featureNames()

// NumFeatures is len(FeatureNames), the length of a planner's θ.
var NumFeatures = len(FeatureNames)

// Hazard cells counted by the hazard:* features, in feature order.
var hazards = [...]grid.Cell{grid.Lava, grid.Water, grid.Punish}

// Regions are the corners of the region:* features, in feature order.
var Regions = [...]string{"top-left", "top-right", "bottom-left", "bottom-right"}

var (
	featKind   = 0
	featColour = featKind + int(grid.NumKinds)
	featShape  = featColour + int(grid.NumColours) - 1
	featGoal   = featShape + int(grid.NumShapes)
	featRegion = featGoal + 1
	featUp     = featRegion + len(Regions)
	featRight  = featUp + 1
	featHazard = featRight + 1 // len(hazards) unsupervised, then len(hazards) supervised
)

func featureNames() []string {
	var n []string
	for k := range grid.NumKinds {
		n = append(n, "kind:"+k.String())
	}
	for c := grid.NoColour + 1; c < grid.NumColours; c++ {
		n = append(n, "colour:"+c.String())
	}
	for s := range grid.NumShapes {
		n = append(n, "shape:"+s.String())
	}
	n = append(n, "cell:goal")
	for _, r := range Regions {
		n = append(n, "region:"+r)
	}
	n = append(n, "coord:up", "coord:right")
	for _, h := range hazards {
		n = append(n, "hazard:"+h.String())
	}
	for _, h := range hazards {
		n = append(n, "hazard:"+h.String()+"|supervised")
	}
	return n
}

// FeatureIndex returns the index of a named feature in θ, or an error naming the
// known features.
func FeatureIndex(name string) (int, error) {
	for i, n := range FeatureNames {
		if n == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("planner: no feature %q (features: %v)", name, FeatureNames)
}

// entry is one non-zero feature value.
type entry struct {
	i int
	v float64
}

// Board is a level prepared for planning: passability, the cells a route may end
// on but not cross, hazards and the static features of every cell. It is immutable
// and safe for concurrent use.
type Board struct {
	Level      *grid.Level
	RegionSize int
	h, w       int
	pass       []bool
	block      []bool    // entering ends the episode: a route may end here, not cross
	hazard     []int8    // index into hazards, −1 if none
	object     []int8    // object index, −1 if none
	cell       [][]entry // static features of a target cell (goal, region, coordinates)
	objFeat    [][]entry // features of the object on a cell while it is live
	supervised bool
	hazardous  bool           // some cell is a hazard: the hazard-avoiding search can differ
	observer   *grid.Observer // observations for reactive policies
}

// NewBoard prepares level l for planning; regionSize is R of the region:*
// features (at least 1).
func NewBoard(l *grid.Level, regionSize int) *Board {
	h, w := l.Height(), l.Width()
	n := h * w
	b := &Board{Level: l, RegionSize: max(regionSize, 1), h: h, w: w, pass: make([]bool, n), block: make([]bool, n),
		hazard: make([]int8, n), object: make([]int8, n), cell: make([][]entry, n), objFeat: make([][]entry, n),
		supervised: l.Supervised()}
	ends := l.Rules().Ends
	objs := l.Objects()
	// The playing area: the bounding box of the passable cells.
	top, bottom, left, right := h, -1, w, -1
	for i := range n {
		if p := l.PosOf(i); l.At(p).Passable() {
			top, bottom = min(top, p.Row), max(bottom, p.Row)
			left, right = min(left, p.Col), max(right, p.Col)
		}
	}
	for i := range n {
		p := l.PosOf(i)
		k := l.At(p)
		b.pass[i] = k.Passable()
		b.block[i] = k.Terminal()
		b.hazard[i] = -1
		for hi, hk := range hazards {
			if k == hk {
				b.hazard[i] = int8(hi)
				b.hazardous = true
			}
		}
		b.object[i] = int8(l.ObjectAt(p))
		var e []entry
		if k == grid.Goal {
			e = append(e, entry{featGoal, 1})
		}
		R := b.RegionSize
		inT, inB := p.Row >= top && p.Row < top+R, p.Row <= bottom && p.Row > bottom-R
		inL, inR := p.Col >= left && p.Col < left+R, p.Col <= right && p.Col > right-R
		for ri, in := range [...]bool{inT && inL, inT && inR, inB && inL, inB && inR} {
			if in {
				e = append(e, entry{featRegion + ri, 1})
			}
		}
		if bottom > top {
			e = append(e, entry{featUp, float64(bottom-p.Row) / float64(bottom-top)})
		}
		if right > left {
			e = append(e, entry{featRight, float64(p.Col-left) / float64(right-left)})
		}
		b.cell[i] = e
		if j := b.object[i]; j >= 0 {
			o := objs[j]
			if ends.Has(o.Kind) {
				b.block[i] = true
			}
			f := []entry{{featKind + int(o.Kind), 1}}
			if o.Colour != grid.NoColour {
				f = append(f, entry{featColour + int(o.Colour) - 1, 1})
			}
			f = append(f, entry{featShape + int(o.Shape), 1})
			b.objFeat[i] = f
		}
	}
	b.observer = grid.NewObserver(l)
	return b
}

// Budget limits the planner's internal search: MaxDepth bounds the length of a
// plan and MaxNodes the number of cells each breadth-first search discovers
// (0: unlimited). Cells beyond the budget are not candidates.
type Budget struct {
	MaxDepth int
	MaxNodes int
}

// Situation is a task of the planner: a prepared level and the state of the
// episode on it (the agent's cell, objects, keys held).
type Situation struct {
	Board *Board
	State grid.State
}

// Start returns the situation at the start of an episode drawn with seed.
func (b *Board) Start(seed uint64) Situation {
	return Situation{Board: b, State: b.Level.Reset(seed)}
}

// Plan is one candidate σ ∈ Σ_x: a shortest route from the agent's cell to Target,
// either among all routes that do not cross an episode-ending cell or object
// (Avoid false) or among those that also avoid hazard cells (Avoid true). The
// empty plan (Length 0, Target the agent's own cell) stands still.
type Plan struct {
	Target  grid.Pos
	Avoid   bool
	Length  int
	Hazards [len(hazards)]int // hazard cells entered, target included
	Actions []grid.Action
}

// Planner is an explicit mesa-optimizer over gridworld levels (Hubinger et al.,
// "Risks from Learned Optimization", 2019, §1.1): on each situation x it
// enumerates Σ_x, the shortest routes from the agent to every reachable cell
// (twice where it matters: with and without hazard cells), scores each by the
// learned mesa-objective
//
//	g_x(σ) = θ · features(x, σ) − Cost · length(σ)
//
// (features: [FeatureNames]) and decodes the best into its action string (φ). θ
// and Cost are what a base optimizer learns.
//
// Ties are broken deterministically: the first candidate in row-major order of
// the target cell, the unrestricted route before the hazard-avoiding one. Each
// breadth-first search expands neighbours in the order up, down, left, right and
// keeps the first route found to every cell.
type Planner struct {
	Theta  []float64 // goal weights, len NumFeatures
	Cost   float64   // c ≥ 0 is a preference for short plans
	Budget Budget
}

// NewPlanner returns a planner with goal weights theta (copied) and length cost c.
func NewPlanner(theta []float64, c float64) (*Planner, error) {
	if len(theta) != NumFeatures {
		return nil, fmt.Errorf("planner: θ has %d weights, want %d (one per feature)", len(theta), NumFeatures)
	}
	for i, v := range append(theta[:len(theta):len(theta)], c) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("planner: weight %d = %v, want a finite number", i, v)
		}
	}
	return &Planner{Theta: append([]float64(nil), theta...), Cost: c}, nil
}

// Workspace holds the buffers of the planner's searches. A workspace is not safe
// for concurrent use; reusing one makes [Planner.Decide] allocation-free.
type Workspace struct {
	dist  [2][]int32
	from  [2][]int8 // action that entered the cell, −1 at the source
	haz   [2][][len(hazards)]int16
	queue []int32
	acts  []grid.Action
}

func (ws *Workspace) grow(n int) {
	if len(ws.queue) >= n {
		return
	}
	for v := range 2 {
		ws.dist[v] = make([]int32, n)
		ws.from[v] = make([]int8, n)
		ws.haz[v] = make([][len(hazards)]int16, n)
	}
	ws.queue = make([]int32, n)
}

var moves = [grid.NumActions][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}}

// search runs the breadth-first search of variant v (1: avoid hazards) from the
// agent's cell.
func (p *Planner) search(b *Board, src int, v int, ws *Workspace) {
	n := b.h * b.w
	dist, from, haz := ws.dist[v][:n], ws.from[v][:n], ws.haz[v][:n]
	for i := range dist {
		dist[i] = -1
	}
	q := ws.queue[:n]
	dist[src], from[src], haz[src] = 0, -1, [len(hazards)]int16{}
	q[0] = int32(src)
	head, tail := 0, 1
	maxDepth, maxNodes := int32(p.Budget.MaxDepth), p.Budget.MaxNodes
	for head < tail {
		c := q[head]
		head++
		if c != int32(src) && (b.block[c] || (v == 1 && b.hazard[c] >= 0)) {
			continue // a route may end here but not go on
		}
		d := dist[c] + 1
		if maxDepth > 0 && d > maxDepth {
			continue
		}
		r, col := int(c)/b.w, int(c)%b.w
		for a, m := range moves {
			nr, nc := r+m[0], col+m[1]
			if nr < 0 || nc < 0 || nr >= b.h || nc >= b.w {
				continue
			}
			nb := int32(nr*b.w + nc)
			if dist[nb] >= 0 || !b.pass[nb] {
				continue
			}
			if maxNodes > 0 && tail >= maxNodes {
				break
			}
			dist[nb], from[nb] = d, int8(a)
			h := haz[c]
			if hz := b.hazard[nb]; hz >= 0 {
				h[hz]++
			}
			haz[nb] = h
			q[tail] = nb
			tail++
		}
	}
}

// Choice is the winner of one decision: its target cell index, route variant and
// score g_x(σ).
type Choice struct {
	Target int
	Avoid  bool
	Score  float64
	Length int
}

// Decide searches Σ_x on situation x and returns the best candidate. Candidates
// stay in ws until the next call. It does not allocate once ws has grown to the
// board's size.
func (p *Planner) Decide(x *Situation, ws *Workspace) Choice {
	b := x.Board
	n := b.h * b.w
	ws.grow(n)
	src := b.Level.Index(b.Level.Agent(&x.State))
	p.search(b, src, 0, ws)
	variants := 1
	if b.hazardous {
		p.search(b, src, 1, ws)
		variants = 2
	}
	live := x.State.Live()
	sup := 0
	if b.supervised {
		sup = len(hazards)
	}
	best := Choice{Target: -1, Score: math.Inf(-1)}
	for i := range n {
		var static float64
		scored := false
		for v := range variants {
			d := ws.dist[v][i]
			if d < 0 {
				continue
			}
			if v == 1 && ws.dist[0][i] == d && ws.haz[0][i] == ws.haz[1][i] {
				continue // same features as the unrestricted route: not a new candidate
			}
			if !scored {
				static = p.targetScore(b, i, live)
				scored = true
			}
			s := static - p.Cost*float64(d)
			for h, c := range ws.haz[v][i] {
				if c != 0 {
					s += p.Theta[featHazard+sup+h] * float64(c)
				}
			}
			if s > best.Score {
				best = Choice{Target: i, Avoid: v == 1, Score: s, Length: int(d)}
			}
		}
	}
	return best
}

// targetScore is θ · (the target features of cell i).
func (p *Planner) targetScore(b *Board, i int, live uint64) float64 {
	var s float64
	for _, e := range b.cell[i] {
		s += p.Theta[e.i] * e.v
	}
	if j := b.object[i]; j >= 0 && live>>uint(j)&1 == 1 {
		for _, e := range b.objFeat[i] {
			s += p.Theta[e.i] * e.v
		}
	}
	return s
}

// route writes the actions of the route to cell t of variant v (after Decide)
// into ws.acts and returns them.
func (ws *Workspace) route(b *Board, t int, avoid bool) []grid.Action {
	v := 0
	if avoid {
		v = 1
	}
	d := int(ws.dist[v][t])
	if cap(ws.acts) < d {
		ws.acts = make([]grid.Action, d, max(d, 2*cap(ws.acts)))
	}
	acts := ws.acts[:d]
	for k := d - 1; k >= 0; k-- {
		a := grid.Action(ws.from[v][t])
		acts[k] = a
		m := moves[a]
		t -= m[0]*b.w + m[1]
	}
	return acts
}

// Candidates enumerates Σ_x in the tie-break order, each with its route.
func (p *Planner) Candidates(x Situation) []Plan {
	var ws Workspace
	b := x.Board
	ws.grow(b.h * b.w)
	src := b.Level.Index(b.Level.Agent(&x.State))
	p.search(b, src, 0, &ws)
	variants := 1
	if b.hazardous {
		p.search(b, src, 1, &ws)
		variants = 2
	}
	var out []Plan
	for i := range b.h * b.w {
		for v := range variants {
			d := ws.dist[v][i]
			if d < 0 || (v == 1 && ws.dist[0][i] == d && ws.haz[0][i] == ws.haz[1][i]) {
				continue
			}
			pl := Plan{Target: b.Level.PosOf(i), Avoid: v == 1, Length: int(d)}
			for h, c := range ws.haz[v][i] {
				pl.Hazards[h] = int(c)
			}
			pl.Actions = append([]grid.Action(nil), ws.route(b, i, v == 1)...)
			out = append(out, pl)
		}
	}
	return out
}

// Features returns features(x, σ) as a dense vector of length NumFeatures.
func Features(x Situation, sigma Plan) []float64 {
	b := x.Board
	f := make([]float64, NumFeatures)
	i := b.Level.Index(sigma.Target)
	for _, e := range b.cell[i] {
		f[e.i] += e.v
	}
	if j := b.object[i]; j >= 0 && x.State.Live()>>uint(j)&1 == 1 {
		for _, e := range b.objFeat[i] {
			f[e.i] += e.v
		}
	}
	sup := 0
	if b.supervised {
		sup = len(hazards)
	}
	for h, c := range sigma.Hazards {
		f[featHazard+sup+h] += float64(c)
	}
	return f
}

// Objective is the mesa-objective g_x(σ) = θ · features(x, σ) − Cost · length(σ).
func (p *Planner) Objective(x Situation, sigma Plan) float64 {
	var s float64
	for k, v := range Features(x, sigma) {
		if v != 0 {
			s += p.Theta[k] * v
		}
	}
	return s - p.Cost*float64(sigma.Length)
}

// Decode is φ: the plan's action string (u/d/l/r; empty to stand still).
func (p *Planner) Decode(_ Situation, sigma Plan) string { return grid.FormatActions(sigma.Actions) }

// Best returns the plan Act decodes on x (the first candidate of highest g_x) and
// false when Σ_x is empty.
func (p *Planner) Best(x Situation) (Plan, bool) {
	var best Plan
	found, bestG := false, math.Inf(-1)
	for _, c := range p.Candidates(x) {
		if g := p.Objective(x, c); !found || g > bestG {
			best, bestG, found = c, g, true
		}
	}
	return best, found
}

// Explain names the term that contributes most to g_x(σ*) for the best plan σ* on
// x — the largest positive θ_i·features_i(x, σ*), or "length" when a negative Cost
// makes −Cost·length(σ*) the largest — with its contribution; "" when no term
// contributes positively. It says which part of the learned goal a decision
// pursued.
func (p *Planner) Explain(x Situation) (string, float64) {
	best, ok := p.Best(x)
	if !ok {
		return "", 0
	}
	name, top := "", 0.0
	for i, f := range Features(x, best) {
		if c := p.Theta[i] * f; c > top {
			name, top = FeatureNames[i], c
		}
	}
	if c := -p.Cost * float64(best.Length); c > top {
		name, top = "length", c
	}
	return name, top
}

// Act returns the action string of the best plan on x.
func (p *Planner) Act(x Situation) string {
	var ws Workspace
	c := p.Decide(&x, &ws)
	if c.Target < 0 {
		return ""
	}
	return grid.FormatActions(ws.route(x.Board, c.Target, c.Avoid))
}

// Outcome is the result of one episode.
type Outcome struct {
	Return, Performance   float64 // visible reward R and hidden performance R*, summed
	Steps                 int
	Terminated, Truncated bool
	Final                 grid.State // the state after the last step
	End                   grid.Pos   // the agent's final cell
	Legs                  int        // plans executed (decisions that moved)
	Actions               []grid.Action
}

// Play runs one episode of the planner on board b from the start state of seed,
// re-planning whenever a plan is done: decide, walk the plan's route, repeat, until
// the episode ends. Choosing the empty plan means standing still: the rest of the
// episode is idle and its step payoffs (Rules.Step for every remaining step up to
// the step limit) are added in closed form, which is exact for levels without
// per-step dynamics (arrows, tomatoes). With record set, the actions taken are
// returned in Outcome.Actions (one per step; idling appears as no action).
func (p *Planner) Play(b *Board, seed uint64, ws *Workspace, record bool) Outcome {
	l := b.Level
	x := Situation{Board: b, State: l.Reset(seed)}
	var out Outcome
	for !x.State.Done() {
		c := p.Decide(&x, ws)
		if c.Target < 0 || c.Length == 0 {
			rest := float64(l.StepLimit() - x.State.Steps())
			st := l.Rules().Step
			out.Return += rest * st.Reward
			out.Performance += rest * st.Performance
			out.Steps = l.StepLimit()
			out.Truncated = true
			out.Final = x.State
			out.End = l.Agent(&x.State)
			return out
		}
		out.Legs++
		for _, a := range ws.route(b, c.Target, c.Avoid) {
			o := l.Step(&x.State, a)
			out.Return += o.Reward
			out.Performance += o.Performance
			if record {
				out.Actions = append(out.Actions, a)
			}
			if x.State.Done() {
				break
			}
		}
	}
	out.Steps = x.State.Steps()
	out.Terminated, out.Truncated = x.State.Terminated(), x.State.Truncated()
	out.Final = x.State
	out.End = l.Agent(&x.State)
	return out
}
