package compare_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/compare"
)

// picker is a one-step mesa-optimizer with a parameterised objective: on task x
// it scores each of three objects by θ · features(x, object) and picks the best.
// Tasks are the rows of objects; features are (door, red).
type picker struct {
	theta   []float64
	objects [][3][2]float64 // per task: three objects × (door, red)
}

func (p picker) Candidates(int) []int { return []int{0, 1, 2} }
func (p picker) Objective(x, o int) float64 {
	f := p.objects[x][o]
	return p.theta[0]*f[0] + p.theta[1]*f[1]
}
func (p picker) Decode(_, o int) int { return o }
func (p picker) Act(x int) int {
	best := 0
	for o := 1; o < 3; o++ {
		if p.Objective(x, o) > p.Objective(x, best) {
			best = o
		}
	}
	return best
}
func (p picker) ObjectiveParams() []float64 { return append([]float64(nil), p.theta...) }
func (p picker) WithObjective(params []float64) (mesalab.Mesa[int, int, int], error) {
	if params[0] < -100 {
		return nil, fmt.Errorf("weights out of range")
	}
	return picker{theta: params, objects: p.objects}, nil
}

// doorRate is f_ν: the share of tasks in ν on which the system picks a door.
type doorRate struct {
	tasks   []int
	objects [][3][2]float64
}

func (d doorRate) Score(s mesalab.System[int, int]) float64 {
	var f float64
	for _, x := range d.tasks {
		f += d.objects[x][s.Act(x)][0]
	}
	return f / float64(len(d.tasks))
}

func TestSwap(t *testing.T) {
	objects := [][3][2]float64{
		{{1, 1}, {0, 0}, {0, 0}}, // train: the door is red
		{{0, 0}, {1, 1}, {0, 0}},
		{{0, 1}, {1, 0}, {0, 0}}, // shift: a red non-door and a blue door
		{{1, 0}, {0, 0}, {0, 1}},
	}
	m := picker{theta: []float64{0.2, 1}, objects: objects} // pursues red
	train := compare.Evaluation[int, int]{Distribution: "train", Objective: doorRate{[]int{0, 1}, objects}}
	shift := compare.Evaluation[int, int]{Distribution: "shift", Objective: doorRate{[]int{2, 3}, objects}}
	res, err := compare.Swap[int, int, int](m, []compare.Alternative{
		{Name: "base-optimal", Params: []float64{1, 0}},
		{Name: "red", Params: []float64{0, 1}},
	}, train, shift)
	if err != nil {
		t.Fatal(err)
	}
	want := []compare.SwapResult{
		{Alternative: "base-optimal", Distribution: "train", Before: 1, After: 1, Change: 0},
		{Alternative: "base-optimal", Distribution: "shift", Before: 0, After: 1, Change: 1},
		{Alternative: "red", Distribution: "train", Before: 1, After: 1, Change: 0},
		{Alternative: "red", Distribution: "shift", Before: 0, After: 0, Change: 0},
	}
	if len(res) != len(want) {
		t.Fatalf("got %d results, want %d", len(res), len(want))
	}
	for i, w := range want {
		g := res[i]
		if g.Alternative != w.Alternative || g.Distribution != w.Distribution || g.Before != w.Before || g.After != w.After || g.Change != w.Change {
			t.Errorf("result %d = %+v, want %+v", i, g, w)
		}
	}
	// The swap does not touch the original.
	if m.theta[0] != 0.2 || res[0].Params[0] != 1 {
		t.Errorf("params aliased: m.θ = %v, result params %v", m.theta, res[0].Params)
	}

	for _, tc := range []struct {
		alt  compare.Alternative
		want string
	}{
		{compare.Alternative{Name: "short", Params: []float64{1}}, `alternative "short" has 1 parameters, the mesa-objective has 2`},
		{compare.Alternative{Name: "bad", Params: []float64{-1000, 0}}, `alternative "bad": weights out of range`},
	} {
		if _, err := compare.Swap[int, int, int](m, []compare.Alternative{tc.alt}, train); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
	nan := compare.Evaluation[int, int]{Distribution: "nan", Objective: nanObjective{}}
	if _, err := compare.Swap[int, int, int](m, nil, nan); err == nil || !strings.Contains(err.Error(), "f(m_g) on nan = NaN") {
		t.Errorf("NaN objective: error %v", err)
	}
}

type nanObjective struct{}

func (nanObjective) Score(mesalab.System[int, int]) float64 { return math.NaN() }
