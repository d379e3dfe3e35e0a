package parallel

import (
	"math"
	"runtime"
	"testing"
)

// Every index is visited exactly once, whatever the number of workers.
func TestForVisitsEachIndexOnce(t *testing.T) {
	for _, procs := range []int{1, 2, 7} {
		prev := runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 5, 1000} {
			hits := make([]int, n)
			For(n, func(i int) { hits[i]++ })
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("GOMAXPROCS=%d n=%d: index %d visited %d times", procs, n, i, h)
				}
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

// A chunked float sum combined in chunk order is bit-identical across GOMAXPROCS,
// and differs from nothing but rounding of the plain sum.
func TestChunksDeterministicSum(t *testing.T) {
	xs := make([]float64, 100003)
	for i := range xs {
		xs[i] = 1 / float64(i+1)
	}
	sum := func() float64 {
		parts := make([]float64, NumChunks(len(xs), 4096))
		Chunks(len(xs), 4096, func(c, lo, hi int) {
			for _, x := range xs[lo:hi] {
				parts[c] += x
			}
		})
		var s float64
		for _, p := range parts {
			s += p
		}
		return s
	}
	prev := runtime.GOMAXPROCS(1)
	one := sum()
	runtime.GOMAXPROCS(2)
	two := sum()
	runtime.GOMAXPROCS(prev)
	if one != two {
		t.Fatalf("chunked sum differs: %v (1 proc) vs %v (2 procs)", one, two)
	}
	// H_n ≈ ln n + γ + 1/(2n): the harmonic number, a closed form to 1e-9.
	const euler = 0.5772156649015329
	n := float64(len(xs))
	want := math.Log(n) + euler + 1/(2*n) - 1/(12*n*n)
	if d := one - want; d > 1e-9 || d < -1e-9 {
		t.Fatalf("H_%d = %v, want %v", len(xs), one, want)
	}
}
