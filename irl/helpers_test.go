package irl_test

import (
	"math"
	"testing"

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

// epic is a test-local EPIC pseudometric (Gleave et al., "Quantifying Differences
// in Reward Functions", ICLR 2021, Def. 4.1 and §4) with uniform D_S and D_A for
// the canonicalisation and uniform coverage over all (s, a, s′):
//
//	C(R)(s,a,s′) = R(s,a,s′) + E[γ R(s′,A,S′) − R(s,A,S′) − γ R(S,A,S′)],
//	EPIC(R_A, R_B) = √((1 − ρ(C(R_A), C(R_B)))/2).
//
// It stands in for compare's EPIC until that lands (issue 3); it is checked against
// the authors' reference numbers in TestEPICReference.
func epic(ra, rb []float64, S, A int, gamma float64) float64 {
	ca, cb := canonical(ra, S, A, gamma), canonical(rb, S, A, gamma)
	n := float64(len(ca))
	var ma, mb float64
	for i := range ca {
		ma += ca[i] / n
		mb += cb[i] / n
	}
	var va, vb, cov float64
	for i := range ca {
		va += (ca[i] - ma) * (ca[i] - ma)
		vb += (cb[i] - mb) * (cb[i] - mb)
		cov += (ca[i] - ma) * (cb[i] - mb)
	}
	if va == 0 || vb == 0 {
		if va == vb {
			return 0
		}
		return math.Sqrt(0.5)
	}
	rho := math.Min(1, cov/math.Sqrt(va*vb))
	return math.Sqrt((1 - rho) / 2)
}

func canonical(r []float64, S, A int, gamma float64) []float64 {
	// phi[x] = E_{A,S′}[R(x, A, S′)], mean = E_S[phi].
	phi := make([]float64, S)
	for x := range S {
		for a := range A {
			for s2 := range S {
				phi[x] += r[(x*A+a)*S+s2] / float64(A*S)
			}
		}
	}
	var mean float64
	for _, p := range phi {
		mean += p / float64(S)
	}
	c := make([]float64, len(r))
	for s := range S {
		for a := range A {
			for s2 := range S {
				i := (s*A+a)*S + s2
				c[i] = r[i] + gamma*phi[s2] - phi[s] - gamma*mean
			}
		}
	}
	return c
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

// TestEPICReference checks the test-local EPIC against the reference numbers of
// shared/reference/epic_gridworld_3x3.json (uniform coverage over all 405 triples,
// γ = 0.99), computed with the authors' code.
func TestEPICReference(t *testing.T) {
	const S, A, gamma = 9, 5, 0.99
	state := map[string][9]float64{
		"sparse_goal": {0, 0, 0, 0, 0, 0, 0, 0, 1},
		"dense_goal":  {0, 0, 0, 0, 0, 0, 0, 0, 1},
		"dirt_path":   {0, -1, -1, 0, 0, 0, -1, -1, 4},
		"cliff_walk":  {0, -1, -1, 0, 0, 0, -4, -4, 4},
		"center_goal": {0, 0, 0, 0, 1, 0, 0, 0, 0},
	}
	potential := map[string][9]float64{
		"dense_goal": {-4, -3, -2, -3, -2, -1, -2, -1, 0},
	}
	reward := func(name string) []float64 {
		r := make([]float64, S*A*S)
		sr, pot := state[name], potential[name]
		for s := range S {
			for a := range A {
				for s2 := range S {
					r[(s*A+a)*S+s2] = sr[s] + gamma*pot[s2] - pot[s]
				}
			}
		}
		return r
	}
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"sparse_goal", "dirt_path", 0.1601822430069671},
		{"dense_goal", "cliff_walk", 0.36755921346106835},
		{"dirt_path", "cliff_walk", 0.2672128220964298},
		{"sparse_goal", "center_goal", 0.75},
		{"sparse_goal", "dense_goal", 0},
	} {
		if got := epic(reward(tc.a), reward(tc.b), S, A, gamma); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("EPIC(%s, %s) = %.12f, want %.12f", tc.a, tc.b, got, tc.want)
		}
	}
}
