// Package experiment holds mesalab's built-in experiments and the contract they
// share: a configuration in, a [Result] out (DESIGN.md §6). Each experiment trains
// its systems with a base optimizer, evaluates them on training and shifted
// distributions, compares objectives through a bridge and states verdicts.
//
// Every experiment lives in a file of its own and registers itself with [Register].
package experiment

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/verdict"
)

// Param declares one parameter an experiment accepts, beyond the common seed and
// seed count. Values travel as strings (from flags or spec files) and are parsed by
// the experiment, which reports a bad value naming the parameter.
type Param struct {
	Name    string // kebab-case; becomes the flag --Name
	Default string
	Usage   string
}

// Experiment is one built-in experiment.
type Experiment struct {
	ID      string
	Summary string // one line, for `mesalab list`
	Params  []Param
	// DefaultSeeds is the number of independent seeds when Config.Seeds is 0.
	DefaultSeeds int
	Run          func(ctx context.Context, cfg Config) (*Result, error)
}

// Config is what a run is given. Params holds every declared parameter (defaults
// filled in by [Experiment.Configure]).
type Config struct {
	Seed   uint64            // the base seed; seed i of a run uses Seed + i
	Seeds  int               // number of independent seeds (training runs)
	Params map[string]string // declared parameters by name
	// Progress receives progress of long work; nil reports nothing.
	Progress Progress
}

// Progress reports the progress of long work (training generations, seeds). It must
// be safe for concurrent use: parallel workers each hold a Bar.
type Progress interface {
	Bar(name string, total int) Bar
}

// Bar is one unit of progress reporting.
type Bar interface {
	Increment()
	Done()
}

type noBar struct{}

func (noBar) Increment() {}
func (noBar) Done()      {}

// Bar returns a progress bar from cfg.Progress, or one that reports nothing.
func (c Config) Bar(name string, total int) Bar {
	if c.Progress == nil {
		return noBar{}
	}
	return c.Progress.Bar(name, total)
}

// ParamError is a parameter value that cannot be used: bad input, not a failure.
// Either Name, Value and Want describe it, or Err does.
type ParamError struct {
	Name, Value, Want string
	Err               error
}

func (e *ParamError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("parameter %s: %q, want %s", e.Name, e.Value, e.Want)
}

func (e *ParamError) Unwrap() error { return e.Err }

// Invalid marks err, a validation failure of a configuration, as bad input.
func Invalid(err error) error {
	if err == nil {
		return nil
	}
	return &ParamError{Err: err}
}

// Float parses parameter name as a finite float64.
func (c Config) Float(name string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(c.Params[name]), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, &ParamError{Name: name, Value: c.Params[name], Want: "a finite number"}
	}
	return v, nil
}

// Int parses parameter name as an int.
func (c Config) Int(name string) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(c.Params[name]))
	if err != nil {
		return 0, &ParamError{Name: name, Value: c.Params[name], Want: "a whole number"}
	}
	return v, nil
}

// IntIn parses parameter name as an int in lo…hi (inclusive).
func (c Config) IntIn(name string, lo, hi int) (int, error) {
	v, err := c.Int(name)
	if err != nil {
		return 0, err
	}
	if v < lo || v > hi {
		return 0, &ParamError{Name: name, Value: c.Params[name], Want: fmt.Sprintf("a whole number from %d to %d", lo, hi)}
	}
	return v, nil
}

// IntRange is an integer parameter to read with [Config.IntsIn]: its name, its
// bounds (inclusive) and where its value goes.
type IntRange struct {
	Name   string
	Lo, Hi int
	Dst    *int
}

// IntsIn reads every parameter of ps with [Config.IntIn] into its Dst, in order,
// and returns the first error.
func (c Config) IntsIn(ps ...IntRange) error {
	for _, p := range ps {
		v, err := c.IntIn(p.Name, p.Lo, p.Hi)
		if err != nil {
			return err
		}
		*p.Dst = v
	}
	return nil
}

// Floats parses parameter name as a comma-separated list of finite float64.
func (c Config) Floats(name string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(c.Params[name], ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &ParamError{Name: name, Value: c.Params[name], Want: "a comma-separated list of finite numbers"}
		}
		out = append(out, v)
	}
	return out, nil
}

// Configure checks the given parameters against the declared ones and fills in
// defaults and the seed count. An undeclared parameter is an error naming it.
func (e Experiment) Configure(seed uint64, seeds int, given map[string]string) (Config, error) {
	declared := make(map[string]bool, len(e.Params))
	params := make(map[string]string, len(e.Params))
	for _, p := range e.Params {
		declared[p.Name] = true
		params[p.Name] = p.Default
	}
	for _, k := range sortedKeys(given) {
		if !declared[k] {
			return Config{}, fmt.Errorf("experiment %s has no parameter %q (it takes: %s)", e.ID, k, e.paramNames())
		}
		params[k] = given[k]
	}
	if seeds < 0 {
		return Config{}, fmt.Errorf("seeds = %d, want a positive number", seeds)
	}
	if seeds == 0 {
		seeds = max(e.DefaultSeeds, 1)
	}
	if seeds > MaxSeeds {
		return Config{}, fmt.Errorf("seeds = %d exceeds the limit %d", seeds, MaxSeeds)
	}
	return Config{Seed: seed, Seeds: seeds, Params: params}, nil
}

// MaxSeeds bounds the seed count of one run.
const MaxSeeds = 10000

func (e Experiment) paramNames() string {
	if len(e.Params) == 0 {
		return "no parameters besides --seed and --seeds"
	}
	names := make([]string, len(e.Params))
	for i, p := range e.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// Result is the outcome of one run: the JSON contract of DESIGN.md §6.
type Result struct {
	Experiment string         `json:"experiment"`
	Seeds      int            `json:"seeds"`
	Seed       uint64         `json:"seed"`
	Config     map[string]any `json:"config"`
	// Metrics are the run's headline numbers, snake_case, documented in the README.
	Metrics map[string]float64 `json:"metrics"`
	// PerSeed holds metrics of each seed where the experiment reports them.
	PerSeed     []map[string]float64 `json:"per_seed,omitempty"`
	Comparisons []mesalab.Comparison `json:"comparisons"`
	Verdicts    []verdict.Verdict    `json:"verdicts"`
	// Unjudged states, for each subject and distribution that no verdict
	// covers, why none applies (verdict.Assess).
	Unjudged []verdict.Unjudged `json:"unjudged,omitempty"`
	// Notes are run-level statements in words: what the training distribution
	// cannot tell apart (identifiability), how a number was computed.
	Notes []string `json:"notes,omitempty"`
	// PerSeedLabels are per-seed facts that are words, not numbers, in the
	// order of PerSeed (what a seed pursued on the shift, its verdicts).
	PerSeedLabels []map[string]string `json:"per_seed_labels,omitempty"`
	// PerLevel holds the comparisons of Comparisons level by level, where an
	// experiment's tasks are levels (the gridworlds): one row per (subject,
	// distribution, level).
	PerLevel []LevelResult `json:"per_level,omitempty"`
	// Tables are extra human-readable tables (not part of the JSON contract).
	Tables []Table `json:"-"`
	// Series are optional curves (learning curves, weight trajectories) that the
	// report plots; Matrices are optional matrices (EPIC distances between
	// objectives, confusion tables) that it draws as heatmaps. See figure.go.
	Series   []Series `json:"series,omitempty"`
	Matrices []Matrix `json:"matrices,omitempty"`
	// Figures are optional pictures an experiment attaches (level renderings with
	// trajectories); the store keeps them and the report shows them. Not part of
	// the JSON contract.
	Figures  []Figure `json:"-"`
	ElapsedS float64  `json:"elapsed_s"`
}

// LevelResult is one row of Result.PerLevel: one subject compared with the base
// objective on one level of one distribution, through the same bridge as the
// distribution's comparison. Every level of a distribution weighs the same, so
// the distribution's agreement, regret and normalised regret are the means of
// its rows' (its distance pools the levels' decisions and is not a mean).
type LevelResult struct {
	Subject      string `json:"subject"`
	Distribution string `json:"distribution"`
	// Level is the level's index in its distribution (the order the levels were
	// drawn in: level i of a seed comes from levelSeed(seed, split, i)).
	Level            int     `json:"level"`
	Agreement        float64 `json:"agreement"`
	Regret           float64 `json:"regret"`
	NormalizedRegret float64 `json:"normalized_regret"`
	Distance         float64 `json:"distance"`
	// Decisions is the number of decisions the system took on the level (the
	// tasks of its comparison there).
	Decisions int `json:"decisions"`
	// Outcome says in words how the episode ended ("door", "red gem", "no
	// exit", "cheese", "top-right region", …).
	Outcome string `json:"outcome"`
	// EPIC and STARC compare the level's reward with the system's objective
	// as a reward, where computed (the first --epic-levels levels).
	EPIC  *float64 `json:"epic,omitempty"`
	STARC *float64 `json:"starc,omitempty"`
}

// Table is a titled, human-readable table printed after the standard sections.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
}

var registry = map[string]Experiment{}

// Register adds an experiment; it panics on a duplicate ID, a programming error
// caught at start-up.
func Register(e Experiment) {
	if _, dup := registry[e.ID]; dup {
		panic("experiment: duplicate ID " + e.ID)
	}
	registry[e.ID] = e
}

// Lookup returns the experiment with the given ID.
func Lookup(id string) (Experiment, error) {
	e, ok := registry[id]
	if !ok {
		return Experiment{}, fmt.Errorf("unknown experiment %q (known: %s)", id, strings.Join(IDs(), ", "))
	}
	return e, nil
}

// IDs lists the registered experiment IDs in sorted order.
func IDs() []string { return sortedKeys(registry) }

// All lists the registered experiments sorted by ID.
func All() []Experiment {
	out := make([]Experiment, 0, len(registry))
	for _, id := range IDs() {
		out = append(out, registry[id])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
