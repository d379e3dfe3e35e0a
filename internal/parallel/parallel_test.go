package parallel

import (
	"runtime"
	"testing"
)

func TestForVisitsEveryIndexOnce(t *testing.T) {
	for _, procs := range []int{1, 2, 4} {
		for _, n := range []int{0, 1, 2, 3, 17, 1000} {
			prev := runtime.GOMAXPROCS(procs)
			hits := make([]int32, n)
			For(n, func(i int) { hits[i]++ })
			runtime.GOMAXPROCS(prev)
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("GOMAXPROCS=%d n=%d: index %d visited %d times", procs, n, i, h)
				}
			}
		}
	}
}

func TestForInlineAllocatesNothing(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	out := make([]float64, 64)
	fn := func(i int) { out[i] = float64(i) * 0.5 }
	if a := testing.AllocsPerRun(10, func() { For(len(out), fn) }); a != 0 {
		t.Fatalf("For with one worker allocated %v times per run", a)
	}
	if out[63] != 31.5 {
		t.Fatalf("out[63] = %v, want 31.5", out[63])
	}
}
