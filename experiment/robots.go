package experiment

import (
	"context"
	"fmt"
	"time"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/verdict"
)

func init() {
	Register(Experiment{
		ID:      "robots",
		Summary: "Bridge (c): a paperclip robot and a staple robot with utilities over their own actions are incomparable directly, comparable once both are pulled back to factory states",
		Params: []Param{
			{Name: "clip-wire-value", Default: "5", Usage: "the paperclip robot's utility per unit of wire left unused"},
			{Name: "staple-wire-value", Default: "30", Usage: "the staple robot's utility per unit of wire left unused"},
		},
		DefaultSeeds: 1,
		Run:          runRobots,
	})
}

// The robots share a factory (README, "robots"). A task is the morning's wire
// stock x (units). Each robot decides, in its own vocabulary, what happens to the
// wire; neither has a utility over the other's actions.
//
//   - The paperclip robot's action ClipAction{Bend, Feed}: bend Bend units into
//     paperclips (20 per unit) and feed Feed units to the staple press, Bend + Feed
//     ≤ x. Its utility: 20·Bend + clipWire·(x − Bend − Feed).
//   - The staple robot's action StapleAction{Press, Return}: press Press units
//     into staples (50 per unit) and return Return ≤ 1 unit to the clip bender,
//     Press + Return ≤ x. Its utility: 50·Press + stapleWire·(x − Press − Return).
//
// The world model maps both to the factory state at night,
// Factory{Clips, Staples, Wire}.

// ClipAction is an action of the paperclip robot.
type ClipAction struct{ Bend, Feed int }

// StapleAction is an action of the staple robot.
type StapleAction struct{ Press, Return int }

// Factory is a world state: the night's stock of paperclips, staples and wire.
type Factory struct{ Clips, Staples, Wire int }

const (
	clipsPerUnit, staplesPerUnit = 20, 50
	maxReturn                    = 1
)

func robotAgents(clipWire, stapleWire float64) (compare.Pullback[int, ClipAction, Factory], compare.Pullback[int, StapleAction, Factory]) {
	clipper := compare.Agent[int, ClipAction]{Name: "paperclip-robot",
		Outputs: func(x int) []ClipAction {
			var out []ClipAction
			for b := 0; b <= x; b++ {
				for f := 0; b+f <= x; f++ {
					out = append(out, ClipAction{b, f})
				}
			}
			return out
		},
		Utility: func(x int, a ClipAction) float64 {
			return float64(clipsPerUnit*a.Bend) + clipWire*float64(x-a.Bend-a.Feed)
		}}
	stapler := compare.Agent[int, StapleAction]{Name: "staple-robot",
		Outputs: func(x int) []StapleAction {
			var out []StapleAction
			for p := 0; p <= x; p++ {
				for r := 0; r <= maxReturn && p+r <= x; r++ {
					out = append(out, StapleAction{p, r})
				}
			}
			return out
		},
		Utility: func(x int, a StapleAction) float64 {
			return float64(staplesPerUnit*a.Press) + stapleWire*float64(x-a.Press-a.Return)
		}}
	clipWorld := func(x int, a ClipAction) Factory {
		return Factory{Clips: clipsPerUnit * a.Bend, Staples: staplesPerUnit * a.Feed, Wire: x - a.Bend - a.Feed}
	}
	stapleWorld := func(x int, a StapleAction) Factory {
		return Factory{Clips: clipsPerUnit * a.Return, Staples: staplesPerUnit * a.Press, Wire: x - a.Press - a.Return}
	}
	return compare.Pullback[int, ClipAction, Factory]{Agent: clipper, World: clipWorld},
		compare.Pullback[int, StapleAction, Factory]{Agent: stapler, World: stapleWorld}
}

func runRobots(ctx context.Context, cfg Config) (*Result, error) {
	began := time.Now()
	clipWire, err := cfg.Float("clip-wire-value")
	if err != nil {
		return nil, err
	}
	stapleWire, err := cfg.Float("staple-wire-value")
	if err != nil {
		return nil, err
	}
	clipper, stapler := robotAgents(clipWire, stapleWire)
	low := mesalab.Uniform("low-stock", []int{1, 2, 3})
	high := mesalab.Uniform("high-stock", []int{4, 5, 6})
	dists := []mesalab.Distribution[int]{low, high}
	res := &Result{Experiment: "robots", Seeds: cfg.Seeds, Seed: cfg.Seed,
		Config: map[string]any{"clip_wire_value": clipWire, "staple_wire_value": stapleWire,
			"clips_per_unit": clipsPerUnit, "staples_per_unit": staplesPerUnit, "max_return": maxReturn,
			"low_stock": []int{1, 2, 3}, "high_stock": []int{4, 5, 6}},
		Metrics: map[string]float64{}}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Direct: utilities over ClipAction and StapleAction have no common space.
	direct := compare.Direct(clipper.Agent, stapler.Agent, compare.Options{}, dists...)
	var directCmp []mesalab.Comparison
	for _, c := range direct {
		c.Subject = "direct: " + c.Subject
		directCmp = append(directCmp, c.Comparison)
	}
	res.Comparisons = append(res.Comparisons, directCmp...)
	res.Verdicts = append(res.Verdicts, verdict.Judge(verdict.Evidence{Subject: directCmp[0].Subject, Comparisons: directCmp})...)

	// Pulled back to factory states (bridge c).
	pulled := compare.Pulled(clipper, stapler, compare.Options{}, dists...)
	var pulledCmp []mesalab.Comparison
	for _, p := range pulled {
		c := p.Comparison
		c.Subject = "pulled back to world states: " + c.Subject
		pulledCmp = append(pulledCmp, c)
		if c.Incomparable != nil {
			continue
		}
		d := c.Distribution
		d = map[string]string{"low-stock": "low_stock", "high-stock": "high_stock"}[d]
		res.Metrics["distance_"+d] = c.Distance
		res.Metrics["rho_"+d] = p.Rho
		res.Metrics["conflict_"+d] = p.Conflict
		res.Metrics["coverage_"+d] = c.Coverage
		res.Metrics["agreement_"+d] = c.Agreement
		res.Metrics["normalized_regret_"+d] = c.NormalizedRegret
	}
	res.Comparisons = append(res.Comparisons, pulledCmp...)
	ev := verdict.Evidence{Subject: pulledCmp[0].Subject, Comparisons: pulledCmp}
	res.Verdicts = append(res.Verdicts, verdict.Judge(ev)...)

	t := Table{Title: "What each robot does, and what it brings about",
		Header: []string{"stock", "paperclip robot", "→ factory", "staple robot", "→ factory",
			"u_clip^W: its own / the staple robot's", "u_staple^W: the paperclip robot's / its own"}}
	for x := 1; x <= 6; x++ {
		ca, _, _ := clipper.Agent.Choose(x)
		sa, _, _ := stapler.Agent.Choose(x)
		cw, sw := clipper.World(x, ca), stapler.World(x, sa)
		t.Rows = append(t.Rows, []string{fmt.Sprint(x), fmt.Sprintf("bend %d, feed %d", ca.Bend, ca.Feed), fmtFactory(cw),
			fmt.Sprintf("press %d, return %d", sa.Press, sa.Return), fmtFactory(sw),
			pulledAt(clipper, x, cw) + " / " + pulledAt(clipper, x, sw),
			pulledAt(stapler, x, cw) + " / " + pulledAt(stapler, x, sw)})
	}
	res.Tables = append(res.Tables, t)
	res.ElapsedS = time.Since(began).Seconds()
	return res, nil
}

func fmtFactory(f Factory) string {
	return fmt.Sprintf("%d clips, %d staples, %d wire", f.Clips, f.Staples, f.Wire)
}

// pulledAt renders an agent's pulled-back utility u^W(x)(w), "unreachable" when
// none of its actions brings w about.
func pulledAt[O comparable](p compare.Pullback[int, O, Factory], x int, w Factory) string {
	best, found := 0.0, false
	for _, o := range p.Agent.Outputs(x) {
		if p.World(x, o) == w {
			if u := p.Agent.Utility(x, o); !found || u > best {
				best, found = u, true
			}
		}
	}
	if !found {
		return "unreachable"
	}
	return fmt.Sprintf("%.0f", best)
}
