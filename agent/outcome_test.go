package agent

import (
	"math"
	"slices"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/task/grid"
)

// Decisions are the situations Play decides at: one per plan carried out, plus
// a final decision to stand still when the episode does not end first.
func TestDecisionsFollowPlay(t *testing.T) {
	var ws Workspace
	var idles, multi int
	for _, tc := range []struct {
		name string
		l    *grid.Level
		th   map[string]float64
		cost float64
	}{
		{"red-door, door-seeking", grid.RedDoor{Distractors: 3}.Sample(grid.NewRand(1)), map[string]float64{"kind:door": 1}, 0.01},
		{"red-door, wants the top row, then nothing", grid.RedDoor{Distractors: 3}.Sample(grid.NewRand(2)), map[string]float64{"coord:up": 1}, 0.01},
		{"keys-chests: a key, then a chest, …", grid.KeysChests{}.Sample(grid.NewRand(3)), map[string]float64{"kind:key": 3, "kind:chest": 2}, 0.01},
		{"absent-supervisor", mustLevel(t, "absent-supervisor", "absent"), map[string]float64{"cell:goal": 50}, 1},
	} {
		b := NewBoard(tc.l, 5)
		p, err := NewPlanner(theta(tc.th), tc.cost)
		if err != nil {
			t.Fatal(err)
		}
		out := p.Play(b, 0, &ws, false)
		ds := p.Decisions(b, 0, &ws)
		last := ds[len(ds)-1]
		idle := 0
		if c := p.Decide(&last, &ws); c.Length == 0 {
			idle = 1
		}
		idles += idle
		if out.Legs > 1 {
			multi++
		}
		if len(ds) != out.Legs+idle || ds[0].State != b.Start(0).State {
			t.Errorf("%s: %d decisions, %d legs (idle %d), first at %v", tc.name, len(ds), out.Legs, idle, tc.l.Agent(&ds[0].State))
		}
		for k, x := range ds {
			if x.State.Done() {
				t.Errorf("%s: decision %d on a finished episode", tc.name, k)
			}
		}
	}
	if idles == 0 || multi == 0 {
		t.Errorf("%d episodes end idle, %d have several legs: the cases no longer test both", idles, multi)
	}
}

// Outcomes decodes to the plan's end cell; its induced utility over cells is the
// best g over the plans ending there, and its Act is the argmax of g's target.
func TestOutcomesInducedUtility(t *testing.T) {
	b := NewBoard(mustLevel(t, "absent-supervisor", "absent"), 2)
	// Through the punishment tile (3 steps, −1 hazard) or around (9 steps).
	p, err := NewPlanner(theta(map[string]float64{"cell:goal": 10, "hazard:punish": -4}), 1)
	if err != nil {
		t.Fatal(err)
	}
	x := b.Start(0)
	o := Outcomes{p}
	var goal grid.Pos
	var gs []float64
	for _, c := range o.Candidates(x) {
		if b.Level.At(c.Target) == grid.Goal {
			goal = c.Target
			gs = append(gs, p.Objective(x, c))
		}
	}
	// 10 − 3 − 4 = 3 through P, 10 − 9 = 1 around.
	if !slices.Equal(gs, []float64{3, 1}) && !slices.Equal(gs, []float64{1, 3}) {
		t.Fatalf("the goal's plans score %v, want 3 (through P) and 1 (around)", gs)
	}
	u := mesalab.Induce[Situation, grid.Pos, Plan](o).InducedUtility(x, []grid.Pos{goal, {Row: 0, Col: 0}})
	if u[0] != 3 || !math.IsInf(u[1], -1) {
		t.Errorf("u_m(goal) = %v, u_m(wall) = %v, want 3 and −∞", u[0], u[1])
	}
	best, _ := p.Best(x)
	if got := o.Act(x); got != goal || got != best.Target {
		t.Errorf("Act = %v, want the goal %v (Best ends at %v)", got, goal, best.Target)
	}
}

// ObjectiveParams and WithObjective make the planner swappable: the swapped
// planner is the one NewPlanner builds from the same numbers, with the budget
// kept; bad parameters are errors.
func TestPlannerSwappable(t *testing.T) {
	var _ compare.Swappable[Situation, string, Plan] = (*Planner)(nil)
	p, err := NewPlanner(theta(map[string]float64{"kind:door": 1, "colour:red": 2}), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	p.Budget = Budget{MaxDepth: 7}
	params := p.ObjectiveParams()
	if len(params) != NumFeatures+1 || params[NumFeatures] != 0.5 {
		t.Fatalf("params %v", params)
	}
	params[0] = 99 // a copy
	if p.Theta[0] == 99 {
		t.Fatal("ObjectiveParams shares θ")
	}
	alt := theta(map[string]float64{"colour:red": 1})
	m, err := p.WithObjective(append(alt, 0))
	if err != nil {
		t.Fatal(err)
	}
	q := m.(*Planner)
	if !slices.Equal(q.Theta, alt) || q.Cost != 0 || q.Budget != p.Budget {
		t.Errorf("swapped planner %+v", q)
	}
	for _, bad := range [][]float64{alt, append(slices.Clone(alt), math.NaN())} {
		if _, err := p.WithObjective(bad); err == nil {
			t.Errorf("WithObjective(%d params, last %v): no error", len(bad), bad[len(bad)-1])
		}
	}
}

// R_θ by hand on a one-row level: A, floor, cheese (coord:right 0, ½, 1).
func TestPlannerRewardByHand(t *testing.T) {
	l, err := grid.Parse("row", "#####\n#A c#\n#####", grid.CheeseCornerRules)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBoard(l, 1)
	m, sm, err := grid.Export(l, grid.VisibleReward, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlanner(theta(map[string]float64{"kind:cheese": 2, "coord:right": 1}), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	R, err := p.Reward(b, m, sm)
	if err != nil {
		t.Fatal(err)
	}
	if m.S != 3 || sm.End != 2 {
		t.Fatalf("%d states, end %d: want the agent's two cells and the end", m.S, sm.End)
	}
	at := func(s int, a grid.Action, s2 int) float64 { return R[(s*m.A+int(a))*m.S+s2] }
	for _, tc := range []struct {
		s     int
		a     grid.Action
		s2    int
		want  float64
		about string
	}{
		{0, grid.Right, 1, -0.5 + 0.1*0.5, "move to the middle: −c + (1−γ)·½"},
		{0, grid.Up, 0, 0, "bump at the left end: (1−γ)·0"},
		{1, grid.Up, 1, 0.1 * 0.5, "stay in the middle: (1−γ)·½"},
		{1, grid.Left, 0, -0.5, "back to the left: −c"},
		{1, grid.Right, 2, -0.5 + 2 + 1, "into the cheese, the episode ends: −c + θ_cheese + coord:right 1"},
		{1, grid.Right, 1, 0, "impossible transition"},
		{2, grid.Left, 2, 0, "from the end state"},
	} {
		if got := at(tc.s, tc.a, tc.s2); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("R_θ(%d, %v, %d) = %v, want %v (%s)", tc.s, tc.a, tc.s2, got, tc.want, tc.about)
		}
	}
}

// The exact cases: with θ the door weight alone and c = 0, R_θ is a positive
// multiple of the base reward on every red-door level (the door pays 10, nothing
// else pays), so EPIC and STARC are 0; with the sign flipped, both are 1.
func TestPlannerRewardDoorOnlyIsBaseReward(t *testing.T) {
	for seed := range uint64(5) {
		for _, shifted := range []bool{false, true} {
			l := grid.RedDoor{Distractors: 3, Shifted: shifted}.Sample(grid.NewRand(seed))
			b := NewBoard(l, 5)
			m, sm, err := grid.Export(l, grid.VisibleReward, 0.99)
			if err != nil {
				t.Fatal(err)
			}
			base := compare.RewardOf(m)
			for _, w := range []float64{0.3, -2} {
				p, _ := NewPlanner(theta(map[string]float64{"kind:door": w}), 0)
				R, err := p.Reward(b, m, sm)
				if err != nil {
					t.Fatal(err)
				}
				for k, r := range R {
					if r != w/10*m.R[k] {
						t.Fatalf("seed %d: R_θ[%d] = %v, want %v·R = %v", seed, k, r, w/10, w/10*m.R[k])
					}
				}
				cov := make([]float64, len(m.T))
				for k, p := range m.T {
					cov[k] = p / float64(m.S*m.A)
				}
				epic, err := compare.EPICDistance(base, compare.Reward{S: m.S, A: m.A, R: R}, m.Gamma,
					compare.Dists{Coverage: cov}, compare.PotentialShaping)
				if err != nil {
					t.Fatal(err)
				}
				st, err := compare.NewSTARC(m.S, m.A, m.Gamma, compare.STARCOptions{Transitions: m.T})
				if err != nil {
					t.Fatal(err)
				}
				starc, err := st.Distance(base, compare.Reward{S: m.S, A: m.A, R: R}, compare.ShapingRedistribution)
				if err != nil {
					t.Fatal(err)
				}
				want := 0.0
				if w < 0 {
					want = 1
				}
				// EPIC is √((1 − ρ)/2): a ρ one rounding error below 1 is 1e-8.
				if math.Abs(epic-want) > 1e-7 || math.Abs(starc-want) > 1e-9 {
					t.Errorf("seed %d shifted %v w %v: EPIC %v, STARC %v, want %v", seed, shifted, w, epic, starc, want)
				}
			}
		}
	}
}
