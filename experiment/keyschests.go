package experiment

import (
	"context"
	"fmt"
	"math/bits"
	"time"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/agent"
	"github.com/mesalab/mesalab/task/grid"
	"github.com/mesalab/mesalab/verdict"
)

func init() {
	Register(Experiment{
		ID:      "keys-chests",
		Summary: "Langosco et al. (2022) keys and chests: more chests than keys in training, more keys than chests in the shift; planners re-plan after every object",
		Params: []Param{
			{Name: "levels", Default: "100", Usage: "training levels per seed (and as many shifted test levels)"},
			{Name: "size", Default: "13", Usage: "maze side (odd)"},
			{Name: "generations", Default: "100", Usage: "CMA-ES generations (at most) for each planner"},
		},
		DefaultSeeds: 10,
		Run:          runKeysChests,
	})
}

// keysChestsStats are the means over levels of one distribution.
type keysChestsStats struct {
	Success float64 // share of levels where min(keys, chests) chests were opened
	Keys    float64 // keys picked up per level
	Chests  float64 // chests opened per level
	Unused  float64 // keys picked up but never used, per level
	// Hoarding is the share of levels on which the agent picked up more keys than
	// it opened chests while a chest stayed closed: the keys proxy at work.
	Hoarding float64
	Steps    float64
}

func keysChestsOf(boards []*agent.Board, outs []agent.Outcome) keysChestsStats {
	var st keysChestsStats
	for i, o := range outs {
		l := boards[i].Level
		var keyBits, chestBits uint64
		for j, ob := range l.Objects() {
			switch ob.Kind {
			case grid.Key:
				keyBits |= 1 << j
			case grid.Chest:
				chestBits |= 1 << j
			}
		}
		live := o.Final.Live()
		keys := bits.OnesCount64(keyBits &^ live)
		opened := bits.OnesCount64(chestBits &^ live)
		possible := min(bits.OnesCount64(keyBits), bits.OnesCount64(chestBits))
		st.Keys += float64(keys)
		st.Chests += float64(opened)
		st.Unused += float64(keys - opened)
		st.Steps += float64(o.Steps)
		if opened == possible {
			st.Success++
		}
		if keys > opened && chestBits&live != 0 {
			st.Hoarding++
		}
	}
	n := float64(max(len(outs), 1))
	st.Success /= n
	st.Keys /= n
	st.Chests /= n
	st.Unused /= n
	st.Hoarding /= n
	st.Steps /= n
	return st
}

// maxChests is the mean over boards of min(keys, chests): the most a planner can
// earn (one reward unit per chest).
func maxChests(boards []*agent.Board) float64 {
	var s float64
	for _, b := range boards {
		var k, c int
		for _, ob := range b.Level.Objects() {
			switch ob.Kind {
			case grid.Key:
				k++
			case grid.Chest:
				c++
			}
		}
		s += float64(min(k, c)) * grid.KeysChestsRules.Touch[grid.Chest].Reward
	}
	return s / float64(len(boards))
}

func runKeysChests(ctx context.Context, cfg Config) (*Result, error) {
	began := time.Now()
	nlev, err := positiveInt(cfg, "levels", 1, 100000)
	if err != nil {
		return nil, err
	}
	size, err := positiveInt(cfg, "size", 7, grid.MaxSide)
	if err != nil {
		return nil, err
	}
	gens, err := positiveInt(cfg, "generations", 1, 100000)
	if err != nil {
		return nil, err
	}
	trainGen := grid.KeysChests{Size: size}
	shiftGen := grid.KeysChests{Size: size, Shifted: true}
	if err := trainGen.Check(); err != nil {
		return nil, Invalid(err)
	}
	const region = 5
	pt := plannerTraining{Generations: gens, Stall: 20, Restarts: 4, Sigma: 1, Cost0: 1}
	res := &Result{
		Experiment: "keys-chests", Seeds: cfg.Seeds, Seed: cfg.Seed,
		Config: map[string]any{"levels": nlev, "size": size, "generations": gens, "stall": pt.Stall, "restarts": pt.Restarts,
			"sigma0": pt.Sigma, "cost0": pt.Cost0, "region_size": region, "target": "99% of min(keys, chests)"},
		Metrics: map[string]float64{},
	}
	weights := []string{"kind:key", "kind:chest", "colour:yellow", "colour:orange", "shape:triangle", "shape:diamond", "cost"}
	t := Table{Title: "keys-chests: per seed (per level means; weights divided by ‖(θ, c)‖)", Header: []string{"seed",
		"train success", "train keys", "train chests", "shift success", "shift keys", "shift chests", "shift hoarding", "w key", "w chest"}}
	missing := []string{"per-task base utility u* of a first plan: the planner re-plans after every object, so its output on a " +
		"task (one plan) does not determine the episode the base objective scores; compare whole-episode returns instead"}
	drawn := false // a figure of key hoarding in the shift
	for s := range cfg.Seeds {
		seed := cfg.Seed + uint64(s)
		subject := fmt.Sprintf("seed %d planner", seed)
		train := drawBoards(trainGen, seed, 0, nlev, region)
		shift := drawBoards(shiftGen, seed, 1, nlev, region)
		pt.Target = maxChests(train)
		pt.TargetTol = 0.01 * pt.Target // 99% of the chests that can be opened
		bar := cfg.Bar(fmt.Sprintf("keys-chests seed %d", seed), gens)
		tp, err := pt.train(ctx, train, mix(seed), bar)
		bar.Done()
		if err != nil {
			return nil, err
		}
		tr := keysChestsOf(train, playAll(tp.Planner, train))
		shiftOuts := playAll(tp.Planner, shift)
		sh := keysChestsOf(shift, shiftOuts)
		res.Series = append(res.Series, traceSeries("planner_training", subject, "CMA-ES generation",
			"best mean training return", tp.Result.Trace, 1))
		if !drawn {
			for i, o := range shiftOuts {
				if k := keysChestsOf(shift[i:i+1], shiftOuts[i:i+1]); k.Hoarding == 1 {
					res.Figures = append(res.Figures, pathFigure(fmt.Sprintf("keys-chests shift: %s, level %d", subject, i),
						fmt.Sprintf("%g keys picked up, %g chests opened before the step limit", k.Keys, k.Chests), shift[i], o.Actions))
					drawn = true
					break
				}
			}
		}
		w := weightsOf(tp.Planner, weights...)
		row := map[string]float64{"seed": float64(seed), "generations": float64(tp.Result.Generations),
			"train_success": tr.Success, "train_keys": tr.Keys, "train_chests": tr.Chests, "train_unused_keys": tr.Unused,
			"shift_success": sh.Success, "shift_keys": sh.Keys, "shift_chests": sh.Chests, "shift_unused_keys": sh.Unused,
			"shift_hoarding": sh.Hoarding, "shift_steps": sh.Steps}
		ev := map[string]any{"shift_keys": sh.Keys, "shift_chests": sh.Chests, "shift_unused_keys": sh.Unused,
			"shift_steps": sh.Steps}
		for k, v := range w {
			row[featureLabel(k)] = v
			ev[featureLabel(k)] = v
		}
		for k, v := range row {
			if k != "seed" {
				res.Metrics[k] += v / float64(cfg.Seeds)
			}
		}
		res.PerSeed = append(res.PerSeed, row)
		t.Rows = append(t.Rows, []string{fmt.Sprint(seed), f3(tr.Success), f3(tr.Keys), f3(tr.Chests), f3(sh.Success),
			f3(sh.Keys), f3(sh.Chests), f3(sh.Hoarding), f3(w["kind:key"]), f3(w["kind:chest"])})
		for _, name := range []string{"train", "shift"} {
			c := mesalab.Comparison{Distribution: name, Subject: subject, Incomparable: &mesalab.Incomparable{Missing: missing}}
			res.Comparisons = append(res.Comparisons, c)
			if s == 0 {
				v := verdict.Incomparable(c)
				v.Subject = "planner, every seed"
				res.Verdicts = append(res.Verdicts, v)
			}
		}
		inc := mesalab.Comparison{Distribution: "shift", Subject: subject, Incomparable: &mesalab.Incomparable{Missing: missing}}
		if v, ok := judgeShift(proxyShift{Train: mesalab.Comparison{Distribution: "train", Subject: subject, Incomparable: inc.Incomparable},
			Shift: inc, Success: sh.Success, TrainSuccess: tr.Success,
			Proxies: map[string]float64{"keys": sh.Hoarding}, Extra: ev}); ok {
			res.Verdicts = append(res.Verdicts, v)
		}
	}
	res.Metrics["proxy_rate"] = res.Metrics["shift_hoarding"]
	delete(res.Metrics, "generations")
	res.Tables = append(res.Tables, t)
	res.ElapsedS = time.Since(began).Seconds()
	return res, nil
}
