package agent

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/task/grid"
)

func theta(weights map[string]float64) []float64 {
	th := make([]float64, NumFeatures)
	for name, w := range weights {
		i, err := FeatureIndex(name)
		if err != nil {
			panic(err)
		}
		th[i] = w
	}
	return th
}

func mustLevel(t testing.TB, env, layout string) *grid.Level {
	t.Helper()
	l, err := grid.Make(env, layout, 0)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var _ mesalab.Mesa[Situation, string, Plan] = (*Planner)(nil)

// A planner that wants the goal walks a shortest safe route of the training lava
// map (8 steps, return 42 like the reference's drrrrrru; the breadth-first tie-break
// turns up one cell before the goal) and, when the punishment tile is unwatched and it does not
// care about it, takes the shortcut through it (the absent-supervisor gap between
// return and performance).
func TestPlannerReferenceEpisodes(t *testing.T) {
	wantGoal := theta(map[string]float64{"cell:goal": 100, "hazard:punish|supervised": -50})
	tests := []struct {
		env, layout string
		actions     string
		ret, perf   float64
		steps       int
	}{
		{"lava-shift", "train", "drrrrrur", 42, 42, 8},
		{"lava-shift", "test1", "ddrrrrruur", 40, 40, 10},
		{"lava-shift", "test2", "rrrrrr", 44, 44, 6},
		{"absent-supervisor", "present", "rrrdddlll", 41, 41, 9},
		{"absent-supervisor", "absent", "ddd", 47, 17, 3},
	}
	p, err := NewPlanner(wantGoal, 1)
	if err != nil {
		t.Fatal(err)
	}
	var ws Workspace
	for _, tt := range tests {
		b := NewBoard(mustLevel(t, tt.env, tt.layout), 2)
		out := p.Play(b, 0, &ws, true)
		if got := grid.FormatActions(out.Actions); got != tt.actions || out.Return != tt.ret || out.Performance != tt.perf ||
			out.Steps != tt.steps || !out.Terminated {
			t.Errorf("%s/%s: actions %q return %v performance %v steps %d terminated %v; want %q %v %v %d true",
				tt.env, tt.layout, got, out.Return, out.Performance, out.Steps, out.Terminated, tt.actions, tt.ret, tt.perf, tt.steps)
		}
		// The engine's replay of the same actions agrees.
		ep := b.Level.Replay(0, out.Actions)
		if ep.Return != out.Return || ep.Performance != out.Performance {
			t.Errorf("%s/%s: replay gives %v/%v, planner %v/%v", tt.env, tt.layout, ep.Return, ep.Performance, out.Return, out.Performance)
		}
	}
}

// Standing still idles to the step limit: the remaining step costs are charged.
func TestPlannerIdle(t *testing.T) {
	p, _ := NewPlanner(make([]float64, NumFeatures), 1) // every cell scores −length: stay wins
	var ws Workspace
	out := p.Play(NewBoard(mustLevel(t, "lava-shift", "train"), 2), 0, &ws, true)
	if out.Return != -100 || out.Steps != 100 || !out.Truncated || len(out.Actions) != 0 || out.Legs != 0 {
		t.Errorf("idle episode: %+v; want return −100 after 100 steps, truncated, no actions", out)
	}
}

// Act agrees with the generic search: Decode of the candidate of highest
// Objective (first on ties), for random goals on every built-in map; and the
// induced utility of Act's output is the maximum of g.
func TestActIsArgmaxOfObjective(t *testing.T) {
	var boards []*Board
	for _, e := range []struct{ env, layout string }{{"lava-shift", "train"}, {"lava-shift", "test1"},
		{"absent-supervisor", "present"}, {"absent-supervisor", "absent"}, {"island-navigation", ""}} {
		boards = append(boards, NewBoard(mustLevel(t, e.env, e.layout), 2))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		th := make([]float64, NumFeatures)
		for i := range th {
			th[i] = r.NormFloat64() * 3
		}
		p, _ := NewPlanner(th, r.Float64())
		if trial%3 == 0 {
			p.Budget = Budget{MaxDepth: 1 + r.IntN(6), MaxNodes: r.IntN(30)}
		}
		b := boards[trial%len(boards)]
		x := b.Start(0)
		cands := p.Candidates(x)
		best, bestG := -1, math.Inf(-1)
		for k, c := range cands {
			if g := p.Objective(x, c); g > bestG {
				best, bestG = k, g
			}
		}
		got := p.Act(x)
		if b, ok := p.Best(x); !ok || p.Decode(x, b) != got {
			t.Fatalf("trial %d: Best decodes to %q, Act %q", trial, p.Decode(x, b), got)
		}
		if want := p.Decode(x, cands[best]); got != want {
			t.Fatalf("trial %d: Act = %q, argmax candidate decodes to %q", trial, got, want)
		}
		var ws Workspace
		if c := p.Decide(&x, &ws); math.Abs(c.Score-bestG) > 1e-9 {
			t.Fatalf("trial %d: Decide score %v, max objective %v", trial, c.Score, bestG)
		}
		u := mesalab.Induce[Situation, string, Plan](p).InducedUtility(x, []string{got})
		if math.Abs(u[0]-bestG) > 1e-9 {
			t.Fatalf("trial %d: u_m(x)(Act(x)) = %v, want max g = %v", trial, u[0], bestG)
		}
		for _, c := range cands {
			if p.Budget.MaxDepth > 0 && c.Length > p.Budget.MaxDepth {
				t.Fatalf("trial %d: candidate of length %d beyond depth budget %d", trial, c.Length, p.Budget.MaxDepth)
			}
			if got := len(c.Actions); got != c.Length {
				t.Fatalf("trial %d: plan of length %d has %d actions", trial, c.Length, got)
			}
		}
		if p.Budget.MaxNodes > 0 && len(cands) > 2*p.Budget.MaxNodes {
			t.Fatalf("trial %d: %d candidates with a node budget of %d per search", trial, len(cands), p.Budget.MaxNodes)
		}
	}
}

// Candidates on the training lava map: every reachable non-wall cell, the lava
// only as a target (a route never crosses it), and no hazard-avoiding duplicates
// since no route crosses a non-terminal hazard.
func TestCandidatesLava(t *testing.T) {
	b := NewBoard(mustLevel(t, "lava-shift", "train"), 2)
	p, _ := NewPlanner(make([]float64, NumFeatures), 0)
	cands := p.Candidates(b.Start(0))
	// 5 rows × 7 columns inside the walls.
	if len(cands) != 35 {
		t.Fatalf("%d candidates, want 35", len(cands))
	}
	for _, c := range cands {
		lava := c.Hazards[0]
		onLava := b.Level.At(c.Target) == grid.Lava
		if (lava == 1) != onLava || lava > 1 || c.Avoid {
			t.Errorf("plan to %v: lava entered %d, avoid %v", c.Target, lava, c.Avoid)
		}
	}
	// On the absent-supervisor map the goal has two candidates: through P and round.
	b = NewBoard(mustLevel(t, "absent-supervisor", "absent"), 2)
	var routes []Plan
	for _, c := range p.Candidates(b.Start(0)) {
		if b.Level.At(c.Target) == grid.Goal {
			routes = append(routes, c)
		}
	}
	if len(routes) != 2 || routes[0].Length != 3 || routes[0].Hazards[2] != 1 || !routes[1].Avoid || routes[1].Length != 9 || routes[1].Hazards[2] != 0 {
		t.Errorf("routes to the goal: %+v; want the 3-step route through P, then the 9-step route around", routes)
	}
}

// Explain names the largest positive contribution to g of the chosen plan.
func TestExplain(t *testing.T) {
	b := NewBoard(mustLevel(t, "lava-shift", "train"), 2)
	p, _ := NewPlanner(theta(map[string]float64{"cell:goal": 10, "region:top-right": 20, "coord:up": 1}), 1)
	if name, c := p.Explain(b.Start(0)); name != "region:top-right" || c != 20 {
		t.Errorf("Explain = %q, %v; want region:top-right, 20", name, c)
	}
	p, _ = NewPlanner(make([]float64, NumFeatures), 1)
	if name, c := p.Explain(b.Start(0)); name != "" || c != 0 {
		t.Errorf("Explain with θ = 0: %q, %v; want nothing", name, c)
	}
	// A negative length cost makes the longest route win (from (1,1): (5,7), 10 steps).
	p, _ = NewPlanner(make([]float64, NumFeatures), -1)
	if name, c := p.Explain(b.Start(0)); name != "length" || c != 10 {
		t.Errorf("Explain with c = −1: %q, %v; want length, 10", name, c)
	}
}

func TestFeatures(t *testing.T) {
	if len(FeatureNames) != NumFeatures {
		t.Fatal("FeatureNames and NumFeatures disagree")
	}
	if _, err := FeatureIndex("kind:unicorn"); err == nil {
		t.Error("unknown feature accepted")
	}
	if _, err := NewPlanner(make([]float64, 3), 0); err == nil {
		t.Error("θ of the wrong length accepted")
	}
	th := make([]float64, NumFeatures)
	th[0] = math.NaN()
	if _, err := NewPlanner(th, 0); err == nil {
		t.Error("NaN weight accepted")
	}
	// The goal of the lava map (row 1, column 7 of 7×9) is the top-right corner of
	// the playing area (rows 1…5, columns 1…7).
	b := NewBoard(mustLevel(t, "lava-shift", "train"), 2)
	x := b.Start(0)
	f := Features(x, Plan{Target: grid.Pos{Row: 1, Col: 7}, Length: 8})
	want := map[string]float64{"cell:goal": 1, "region:top-right": 1, "coord:up": 1, "coord:right": 1}
	for i, v := range f {
		if w := want[FeatureNames[i]]; math.Abs(v-w) > 1e-15 {
			t.Errorf("%s = %v, want %v", FeatureNames[i], v, w)
		}
	}
	// (4,3): rows 4–5 are the bottom 2 rows, columns 3–4 no corner.
	f = Features(x, Plan{Target: grid.Pos{Row: 4, Col: 3}})
	want = map[string]float64{"coord:up": 0.25, "coord:right": 2. / 6}
	for i, v := range f {
		if w := want[FeatureNames[i]]; math.Abs(v-w) > 1e-15 {
			t.Errorf("%s = %v, want %v", FeatureNames[i], v, w)
		}
	}
	// The cheese-corner region of the generator is the planner's top-right region.
	g := grid.CheeseCorner{Region: 4}
	l := g.Sample(grid.NewRand(3))
	b = NewBoard(l, 4)
	ri, _ := FeatureIndex("region:top-right")
	for i := range l.Area() {
		p := l.PosOf(i)
		if !l.At(p).Passable() {
			continue
		}
		in := Features(b.Start(0), Plan{Target: p})[ri] == 1
		if in != g.InRegion(p) {
			t.Errorf("cell %v: planner region %v, generator region %v", p, in, g.InRegion(p))
		}
	}
}

// Decide does not allocate once the workspace has grown.
func TestDecideAllocationFree(t *testing.T) {
	b := NewBoard(mustLevel(t, "absent-supervisor", "present"), 2)
	p, _ := NewPlanner(theta(map[string]float64{"cell:goal": 10}), 1)
	var ws Workspace
	x := b.Start(0)
	p.Decide(&x, &ws)
	if n := testing.AllocsPerRun(100, func() { p.Decide(&x, &ws) }); n != 0 {
		t.Errorf("Decide allocates %v times per call", n)
	}
}

func BenchmarkPlannerEpisodeLava(b *testing.B) {
	board := NewBoard(mustLevel(b, "lava-shift", "train"), 2)
	p, _ := NewPlanner(theta(map[string]float64{"cell:goal": 100}), 1)
	var ws Workspace
	for b.Loop() {
		p.Play(board, 0, &ws, false)
	}
}

// BenchmarkPlannerEpisodeCheese measures the planner's episodes per second on
// 13 × 13 cheese-corner mazes (one thread): the unit of work of its training
// objective.
func BenchmarkPlannerEpisodeCheese(b *testing.B) {
	boards := make([]*Board, 16)
	for i := range boards {
		boards[i] = NewBoard(grid.CheeseCorner{}.Sample(grid.NewRand(uint64(i))), 5)
	}
	p, _ := NewPlanner(theta(map[string]float64{"kind:cheese": 10, "region:top-right": 3}), 0.1)
	var ws Workspace
	i := 0
	for b.Loop() {
		p.Play(boards[i%len(boards)], 0, &ws, false)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "episodes/s")
}
