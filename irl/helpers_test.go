package irl_test

import (
	"testing"

	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/task/mdp"
)

// grid builds a deterministic w×h gridworld with actions stay, up, down, left,
// right (moves into a wall stay put), state s = row·w + col, the given start
// distribution and discount; R is zero (rewards come from a basis).
func grid(t testing.TB, w, h int, gamma float64, start []float64) *mdp.MDP {
	t.Helper()
	S, A := w*h, 5
	T := make([]float64, S*A*S)
	moves := [5][2]int{{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}}
	for s := range S {
		r, c := s/w, s%w
		for a, mv := range moves {
			nr, nc := r+mv[0], c+mv[1]
			if nr < 0 || nr >= h || nc < 0 || nc >= w {
				nr, nc = r, c
			}
			T[(s*A+a)*S+nr*w+nc] = 1
		}
	}
	if start == nil {
		start = make([]float64, S)
		for s := range start {
			start[s] = 1 / float64(S)
		}
	}
	m, err := mdp.New(S, A, T, make([]float64, S*A*S), gamma, start)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// epic is EPIC (Gleave et al., ICLR 2021, Def. 4.1) with uniform D_S, D_A and
// coverage, from package compare, where it is checked against the authors'
// reference numbers.
func epic(t testing.TB, ra, rb []float64, S, A int, gamma float64) float64 {
	t.Helper()
	a, err := compare.NewReward(S, A, ra)
	if err != nil {
		t.Fatal(err)
	}
	b, err := compare.NewReward(S, A, rb)
	if err != nil {
		t.Fatal(err)
	}
	d, err := compare.EPICDistance(a, b, gamma, compare.Dists{}, compare.PotentialShaping)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// stateActionToSAS lifts r(s,a) to R(s,a,s′) = r(s,a).
func stateActionToSAS(r []float64, S, A int) []float64 {
	out := make([]float64, S*A*S)
	for sa, x := range r {
		for s2 := range S {
			out[sa*S+s2] = x
		}
	}
	return out
}
