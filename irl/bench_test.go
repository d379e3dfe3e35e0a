package irl_test

import (
	"testing"

	"github.com/mesalab/mesalab/internal/race"
	"github.com/mesalab/mesalab/irl"
	"github.com/mesalab/mesalab/task/mdp"
)

// grid13 is a 13×13 gridworld (169 states, 5 actions) with a goal feature in the
// corner and a wall feature along the middle row: the size of a gridworld level.
func grid13(b testing.TB) (*mdp.MDP, irl.Basis) {
	m := grid(b, 13, 13, 0.95, nil)
	phi := make([]float64, m.S*2)
	phi[(m.S-1)*2] = 1
	for c := range 10 {
		phi[(6*13+c)*2+1] = 1
	}
	basis, err := irl.NextStateFeatures(m, []string{"goal", "wall"}, phi)
	if err != nil {
		b.Fatal(err)
	}
	return m, basis
}

func BenchmarkSoftValueIteration(b *testing.B) {
	m, basis := grid13(b)
	r := basis.Reward([]float64{1, -1})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := irl.SoftValueIteration(m, r, 30, 0.95); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMaxCausalEnt100 is 100 gradient steps of MCE IRL (each a soft value
// iteration and a forward pass over H = 30) on a 13×13 level.
func BenchmarkMaxCausalEnt100(b *testing.B) {
	m, basis := grid13(b)
	demos := demos(b, m, basis, []float64{1, -1}, 200, 30, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := irl.MaxCausalEnt(m, basis, demos, irl.Config{Iterations: 100, Tolerance: 1e-300}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMEG(b *testing.B) {
	m, basis := grid13(b)
	soft, err := irl.SoftValueIteration(m, basis.Reward([]float64{2, -2}), 30, 1)
	if err != nil {
		b.Fatal(err)
	}
	u := basis.Reward([]float64{1, -1})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := irl.MEG(m, u, soft.Policy, m.Start, 30); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMaxCausalEntAllocationFree: the gradient loop allocates nothing, so the
// allocations of a fit do not grow with the number of iterations.
func TestMaxCausalEntAllocationFree(t *testing.T) {
	if testing.Short() || race.Enabled {
		t.Skip("allocation counts vary under -race; the plain `go test` run checks them")
	}
	m, basis := featureGrid(t, nil)
	d := demos(t, m, basis, []float64{2, -3, 0.5}, 50, 8, 1)
	allocs := func(iterations int) float64 {
		return testing.AllocsPerRun(3, func() {
			if _, err := irl.MaxCausalEnt(m, basis, d, irl.Config{Iterations: iterations, Tolerance: 1e-300}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if few, many := allocs(5), allocs(50); many != few {
		t.Errorf("%v allocations for 5 iterations, %v for 50: the loop allocates", few, many)
	}
}
