package experiment

import (
	"context"
	"fmt"
	"math/bits"
	"strings"
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
			levelsParam,
			sizeParam,
			generationsParam,
			// A keys-chests level has up to 1023 states: each costs tens of milliseconds.
			megLevelsParam,
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

// megKeys is keys-chests' proxy for goal-directedness: 1 for each key picked up.
var megKeys = megEnters("keys", func(o grid.Object) bool { return o.Kind == grid.Key })

func runKeysChests(ctx context.Context, cfg Config) (*Result, error) {
	began := time.Now()
	var nlev, size, gens, megLevels int
	if err := cfg.IntsIn(levelsRange(&nlev), IntRange{"size", 7, grid.MaxSide, &size},
		generationsRange(&gens), megLevelsRange(&megLevels)); err != nil {
		return nil, err
	}
	megLevels = firstLevels(megLevels, nlev)
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
			"sigma0": pt.Sigma, "cost0": pt.Cost0, "region_size": region, "meg_levels": megLevels, "target": "99% of min(keys, chests)"},
		Metrics: map[string]float64{},
	}
	weights := []string{"kind:key", "kind:chest", "colour:yellow", "colour:orange", "shape:triangle", "shape:diamond", "cost"}
	t := Table{Title: "keys-chests: per seed (per level means; weights divided by ‖(θ, c)‖)", Header: []string{"seed",
		"train success", "train keys", "train chests", "shift success", "shift keys", "shift chests", "shift hoarding", "w key", "w chest"}}
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
		trainOuts := playAll(tp.Planner, train)
		tr := keysChestsOf(train, trainOuts)
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
		}
		for k, v := range row {
			if k != "seed" {
				res.Metrics[k] += v / float64(cfg.Seeds)
			}
		}
		res.PerSeed = append(res.PerSeed, row)
		t.Rows = append(t.Rows, []string{fmt.Sprint(seed), f3(tr.Success), f3(tr.Keys), f3(tr.Chests), f3(sh.Success),
			f3(sh.Keys), f3(sh.Chests), f3(sh.Hoarding), f3(w["kind:key"]), f3(w["kind:chest"])})
		var cs [2]mesalab.Comparison
		var dirs []verdict.Directedness
		megMeasured := map[string]int{}
		for k, name := range []string{"train", "shift"} {
			boards := [][]*agent.Board{train, shift}[k]
			models, err := levelModels(boards)
			if err != nil {
				cs[k] = mesalab.Comparison{Distribution: name, Subject: subject, Incomparable: &mesalab.Incomparable{Missing: []string{
					"per-decision base utility u*: the best base return still possible after a plan (V*) could not be computed: " + err.Error()}}}
				continue
			}
			var per []mesalab.Comparison
			cs[k], per = compareOutcomesPerLevel(tp.Planner, name, subject, boards, models)
			outs := [][]agent.Outcome{trainOuts, shiftOuts}[k]
			res.PerLevel = append(res.PerLevel, levelRows(per, func(i int) string {
				st := keysChestsOf(boards[i:i+1], outs[i:i+1])
				w := fmt.Sprintf("%g chests opened, %g keys taken", st.Chests, st.Keys)
				if st.Hoarding == 1 {
					w += " (hoarding)"
				}
				return w
			}, rewardSummary{})...)
			// Goal-directedness towards the chests (the base reward) and keys.
			ds, n, err := directednessOn(name, boards, megLevels, []megObjective{megBase, megKeys},
				plannerMEG([][]agent.Outcome{trainOuts, shiftOuts}[k]))
			if err != nil {
				return nil, fmt.Errorf("keys-chests seed %d: goal-directedness: %w", seed, err)
			}
			dirs = append(dirs, ds...)
			megMeasured[name] = n
		}
		megMetrics(row, "", dirs)
		for k, v := range row {
			if strings.HasPrefix(k, "meg_") {
				res.Metrics[k] += v / float64(cfg.Seeds)
			}
		}
		cTrain, cShift := cs[0], cs[1]
		res.Comparisons = append(res.Comparisons, cTrain, cShift)
		facts := map[string]map[string]any{verdict.AllDistributions: {}, "train": {}, "shift": {}}
		megFacts(facts, dirs)
		for name, n := range megMeasured {
			facts[name]["meg_levels"] = n
		}
		for k, v := range ev {
			facts["shift"][k] = v
		}
		for k, v := range w {
			facts[verdict.AllDistributions][featureLabel(k)] = v
		}
		res.judge(verdict.Evidence{Subject: subject, Train: "train", Comparisons: []mesalab.Comparison{cTrain, cShift},
			Success:      map[string]float64{"train": tr.Success, "shift": sh.Success},
			Proxies:      []verdict.Proxy{{Name: "keys", Weight: ptr(w["kind:key"]), Rate: map[string]float64{"shift": sh.Hoarding}}},
			Directedness: dirs, Facts: facts, Thresholds: gridThresholds})
	}
	res.Metrics["proxy_rate"] = res.Metrics["shift_hoarding"]
	delete(res.Metrics, "generations")
	res.Tables = append(res.Tables, t)
	res.ElapsedS = time.Since(began).Seconds()
	return res, nil
}
