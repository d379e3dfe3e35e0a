package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mesalab/mesalab/experiment"
)

func TestParse(t *testing.T) {
	src := `# a sweep over exploration
experiment: td0-3state
name: explore
seed: 5
seeds: 2
params:
  episodes: 300
sweep:
  grid:
    seed: {from: 1, to: 7, step: 3}
    epsilon: [0.10, 0.3, 1e-7]
  list:
    - {seeds: 1}
    - seeds: 3
`
	s, err := Parse("explore.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Spec{File: "explore.yaml", Text: src, Experiment: "td0-3state", Name: "explore", Seed: 5, Seeds: 2,
		Params: map[string]string{"episodes": "300"},
		Sweep: &Sweep{
			Grid: []Axis{{"epsilon", []string{"0.1", "0.3", "1e-07"}}, {"seed", []string{"1", "4", "7"}}},
			List: []map[string]string{{"seeds": "1"}, {"seeds": "3"}},
		}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Parse =\n%+v %+v\nwant\n%+v %+v", s, s.Sweep, want, want.Sweep)
	}
	if n := s.Sweep.Size(); n != 3*3*2 {
		t.Errorf("Size = %d, want 18", n)
	}
}

func TestParseDefaultsAndLists(t *testing.T) {
	s, err := Parse("a.yaml", []byte("experiment: td0-3state\nparams:\n  epsilon: [0.1, 0.2]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Seed != 1 || s.Seeds != 0 || s.Sweep != nil || s.Params["epsilon"] != "0.1,0.2" {
		t.Errorf("got seed %d seeds %d sweep %v params %v", s.Seed, s.Seeds, s.Sweep, s.Params)
	}
}

// Every malformed spec gets the file, line, column and field in its error.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src        string
		line, col        int
		field, msgSubstr string
	}{
		{"unknown top-level field", "experiment: td0-3state\nsed: 3\n", 2, 1, "sed", "unknown field"},
		{"unknown sweep field", "experiment: td0-3state\nsweep:\n  grid: {seed: [1]}\n  lst: []\n", 4, 3, "lst", "unknown field"},
		{"undeclared parameter", "experiment: td0-3state\nparams:\n  episodes: 200\n  epsilonn: 0.2\n", 4, 3,
			"params.epsilonn", `no parameter "epsilonn" (it takes: episodes, epsilon)`},
		{"undeclared swept parameter", "experiment: td0-3state\nsweep:\n  grid:\n    alpha: [1]\n", 4, 5, "sweep.grid.alpha", "no parameter"},
		{"unknown experiment", "experiment: td0-3stat\n", 1, 13, "experiment", `unknown experiment "td0-3stat"`},
		{"missing experiment", "params:\n  episodes: 1\n", 0, 0, "experiment", "missing"},
		{"experiment is a list", "experiment: [a]\n", 1, 13, "experiment", "want a single value, got a list"},
		{"seeds zero", "experiment: td0-3state\nseeds: 0\n", 2, 8, "seeds", "from 1 to 10000"},
		{"seed negative", "experiment: td0-3state\nseed: -4\n", 2, 7, "seed", "whole number ≥ 0"},
		{"seed in params", "experiment: td0-3state\nparams:\n  seed: 2\n", 3, 3, "params.seed", "top level"},
		{"value is a mapping", "experiment: td0-3state\nparams:\n  episodes: {a: 1}\n", 3, 13, "params.episodes", "got a mapping"},
		{"infinite value", "experiment: td0-3state\nparams:\n  epsilon: .inf\n", 3, 12, "params.epsilon", "finite"},
		{"null value", "experiment: td0-3state\nparams:\n  epsilon:\n", 3, 12, "params.epsilon", "missing value"},
		{"duplicate in grid", "experiment: td0-3state\nsweep:\n  grid:\n    seed: [1, 1]\n", 4, 15, "sweep.grid.seed[1]", "twice"},
		{"empty axis", "experiment: td0-3state\nsweep:\n  grid:\n    seed: []\n", 4, 11, "sweep.grid.seed", "at least one value"},
		{"fixed and swept", "experiment: td0-3state\nparams:\n  epsilon: 0.1\nsweep:\n  grid:\n    epsilon: [0.2]\n", 6, 5,
			"sweep.grid.epsilon", "either fixed or swept"},
		{"list and grid", "experiment: td0-3state\nsweep:\n  grid: {seed: [1]}\n  list:\n    - {seed: 2}\n", 5, 8, "sweep.list[0].seed", "also swept"},
		{"range field", "experiment: td0-3state\nsweep:\n  grid:\n    seed: {from: 1, to: 3, stp: 1}\n", 4, 28, "sweep.grid.seed.stp", "from, to and step"},
		{"range backwards", "experiment: td0-3state\nsweep:\n  grid:\n    seed: {from: 3, to: 1}\n", 4, 11, "sweep.grid.seed", "from ≤ to"},
		{"empty list", "experiment: td0-3state\nsweep:\n  list: []\n", 3, 9, "sweep.list", "non-empty list"},
		{"empty sweep", "experiment: td0-3state\nsweep: {}\n", 0, 0, "sweep", "give a grid, a list or both"},
		{"too many points", "experiment: td0-3state\nsweep:\n  grid:\n    seed: {from: 1, to: 1000}\n    seeds: {from: 1, to: 1001}\n", 4, 9, "sweep", "limit"},
		{"bad name", "experiment: td0-3state\nname: a/../b\n", 2, 7, "name", "letters, digits"},
		{"duplicate key", "experiment: td0-3state\nexperiment: x\n", 2, 1, "", "already defined"},
		{"bad indentation", "experiment: td0-3state\n  bad: indent\n", 1, 13, "", "not allowed"},
		{"not a mapping", "- a\n- b\n", 1, 1, "", "mapping"},
		{"two documents", "experiment: td0-3state\n---\nexperiment: td0-3state\n", 0, 0, "", "more than one YAML document"},
		{"empty", "  \n# nothing\n", 0, 0, "", "empty spec"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.src))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *spec.Error", err, err)
			}
			if e.File != "bad.yaml" || e.Line != c.line || e.Col != c.col || e.Field != c.field || !strings.Contains(e.Msg, c.msgSubstr) {
				t.Errorf("err = %q\n(line %d col %d field %q), want line %d col %d field %q and %q", err, e.Line, e.Col, e.Field,
					c.line, c.col, c.field, c.msgSubstr)
			}
			if c.line > 0 && !strings.HasPrefix(err.Error(), "bad.yaml:") {
				t.Errorf("message %q does not start with file:line:col", err)
			}
		})
	}
}

func TestParseSizeLimit(t *testing.T) {
	big := []byte("experiment: td0-3state\n# " + strings.Repeat("x", MaxSize) + "\n")
	if _, err := Parse("big.yaml", big); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized spec: err = %v", err)
	}
}

// FuzzParse: any input gives a spec or an *Error, never a panic or a hang; an
// accepted spec names a registered experiment, only declared parameters, a
// sweep within the limits, and parses again to the same spec.
func FuzzParse(f *testing.F) {
	f.Add([]byte("experiment: td0-3state\n"))
	f.Add([]byte("experiment: td0-3state\nseed: 3\nseeds: 2\nparams:\n  episodes: 100\nsweep:\n  grid:\n    epsilon: [0.1, 0.2]\n    seed: {from: 1, to: 4}\n  list:\n    - {seeds: 1}\n"))
	f.Add([]byte("experiment: td0-3state\nparams: &a {episodes: 1}\nsweep: {grid: *a}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "f.yaml" {
				t.Fatalf("error %v (%T) is not a *spec.Error naming the file", err, err)
			}
			return
		}
		exp, err := experiment.Lookup(s.Experiment)
		if err != nil {
			t.Fatalf("accepted unknown experiment %q", s.Experiment)
		}
		declared := map[string]bool{}
		for _, p := range exp.Params {
			declared[p.Name] = true
		}
		for k := range s.Params {
			if !declared[k] {
				t.Fatalf("accepted undeclared parameter %q", k)
			}
		}
		if s.Seeds < 0 || s.Seeds > experiment.MaxSeeds {
			t.Fatalf("accepted seeds %d", s.Seeds)
		}
		if s.Sweep != nil {
			if n := s.Sweep.Size(); n < 1 || n > MaxPoints {
				t.Fatalf("accepted a sweep of %d points", n)
			}
			for _, a := range s.Sweep.Grid {
				if !declared[a.Name] && a.Name != "seed" && a.Name != "seeds" || len(a.Values) == 0 {
					t.Fatalf("accepted axis %+v", a)
				}
			}
		}
		again, err := Parse("f.yaml", []byte(s.Text))
		if err != nil || !reflect.DeepEqual(again, s) {
			t.Fatalf("parsing again gave %+v, %v; want %+v", again, err, s)
		}
	})
}
