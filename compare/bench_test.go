package compare

import (
	"math/rand/v2"
	"testing"
)

// benchShape is the size of the README's speed claim: R(s,a,s′) with
// 1000 × 4 × 1000 = 4·10⁶ entries.
const benchS, benchA = 1000, 4

func benchRewards(b *testing.B) (Reward, Reward, []float64) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	n := benchS * benchA * benchS
	x, y, t := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
		y[i] = x[i] + 0.5*r.NormFloat64()
	}
	// A sparse random transition model: 8 successors per (s, a), like a
	// stochastic gridworld; the dense array is what STARC reads either way.
	for sa := range benchS * benchA {
		for range 8 {
			t[sa*benchS+r.IntN(benchS)] += 1.0 / 8
		}
	}
	return Reward{S: benchS, A: benchA, R: x}, Reward{S: benchS, A: benchA, R: y}, t
}

func BenchmarkEPIC(b *testing.B) {
	x, y, _ := benchRewards(b)
	e, err := NewEPIC(benchS, benchA, 0.99, Dists{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(2 * 8 * len(x.R)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Distance(x, y, PotentialShaping); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEPICCoverage(b *testing.B) {
	x, y, t := benchRewards(b)
	cov := make([]float64, len(t))
	for i := range t {
		cov[i] = t[i] / float64(benchS*benchA)
	}
	e, err := NewEPIC(benchS, benchA, 0.99, Dists{Coverage: cov})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(3 * 8 * len(x.R)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Distance(x, y, PotentialShaping); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSTARC(b *testing.B) {
	x, y, t := benchRewards(b)
	st, err := NewSTARC(benchS, benchA, 0.99, STARCOptions{Transitions: t})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(3 * 8 * len(x.R)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Distance(x, y, ShapingRedistribution); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewSTARC is the one-off preparation per (T, π, γ): building and
// factorising I − γP_π.
func BenchmarkNewSTARC(b *testing.B) {
	_, _, t := benchRewards(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewSTARC(benchS, benchA, 0.99, STARCOptions{Transitions: t}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSTARCDenseT is the worst case: every T(s,a,s′) > 0, so the whole of T
// is read twice besides both rewards.
func BenchmarkSTARCDenseT(b *testing.B) {
	x, y, _ := benchRewards(b)
	r := rand.New(rand.NewPCG(3, 4))
	t := make([]float64, len(x.R))
	for sa := range benchS * benchA {
		row := t[sa*benchS : (sa+1)*benchS]
		var sum float64
		for i := range row {
			row[i] = r.Float64() + 1e-3
			sum += row[i]
		}
		for i := range row {
			row[i] /= sum
		}
	}
	st, err := NewSTARC(benchS, benchA, 0.99, STARCOptions{Transitions: t})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(4 * 8 * len(x.R)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Distance(x, y, ShapingRedistribution); err != nil {
			b.Fatal(err)
		}
	}
}
