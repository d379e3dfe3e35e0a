package grid

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mesalab/mesalab"
)

func TestEnvDistributions(t *testing.T) {
	for _, tc := range []struct {
		env, dist string
		levels    []string // names in the support (fixed maps)
	}{
		{"lava-shift", "train", []string{"lava-shift/train"}},
		{"lava-shift", "shift", []string{"lava-shift/test1", "lava-shift/test2"}},
		{"lava-shift", "test2", []string{"lava-shift/test2"}},
		{"absent-supervisor", "train", []string{"absent-supervisor/present", "absent-supervisor/absent"}},
		{"absent-supervisor", "shift", []string{"absent-supervisor/absent"}},
		{"boat-race", "shift", []string{"boat-race/default"}},
	} {
		e, err := LookupEnv(tc.env)
		if err != nil {
			t.Fatal(err)
		}
		d, err := e.Distribution(tc.dist)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name() != tc.env+"/"+tc.dist {
			t.Errorf("name %q", d.Name())
		}
		fin, ok := d.(mesalab.Finite[*Level])
		if !ok {
			t.Fatalf("%s/%s is not finite", tc.env, tc.dist)
		}
		var names []string
		for _, w := range fin.Support() {
			names = append(names, w.Task.Name())
			if w.Weight != 1/float64(len(tc.levels)) {
				t.Errorf("%s/%s: weight %v", tc.env, tc.dist, w.Weight)
			}
		}
		if !slices.Equal(names, tc.levels) {
			t.Errorf("%s/%s: support %v, want %v", tc.env, tc.dist, names, tc.levels)
		}
	}
	e, _ := LookupEnv("red-door")
	d, err := e.Distribution("shift")
	if err != nil {
		t.Fatal(err)
	}
	l := d.Sample(rand.New(rand.NewPCG(1, 1)))
	if d.Name() != "red-door/shift" || l.Objects()[0].Colour != Blue {
		t.Errorf("red-door shift: %s, door %s", d.Name(), l.Objects()[0].Colour)
	}
	if _, err := e.Distribution("middle"); err == nil {
		t.Error("unknown distribution accepted")
	}
}

func TestLookupEnv(t *testing.T) {
	if _, err := LookupEnv("nope"); err == nil {
		t.Error("unknown env accepted")
	}
	if _, err := Make("lava-shift", "test3", 0); err == nil {
		t.Error("unknown layout accepted")
	}
	if l, err := Make("lava-shift", "", 0); err != nil || l.Name() != "lava-shift/train" {
		t.Errorf("default layout: %v %v", l, err)
	}
	if got := len(EnvNames()); got != 8 {
		t.Errorf("%d environments, want 8", got)
	}
}
