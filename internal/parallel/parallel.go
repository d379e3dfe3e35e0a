// Package parallel runs independent work items on every core while keeping results
// deterministic: item i always writes its own slot i, and any reduction is done by
// the caller in index order, so the output does not depend on GOMAXPROCS or on
// which worker ran which item.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers returns how many goroutines For uses for n items: min(n, GOMAXPROCS).
func Workers(n int) int {
	return max(1, min(n, runtime.GOMAXPROCS(0)))
}

// For calls fn(i) for every i in [0, n), on Workers(n) goroutines, and returns when
// all calls have returned. fn must only write state owned by item i. Items are
// handed out dynamically, so uneven items balance across cores.
func For(n int, fn func(i int)) {
	if n <= 0 {
		return
	}
	w := Workers(n)
	if w == 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// Chunks splits [0, n) into fixed chunks of at most size items, independent of the
// number of workers, so per-chunk partial sums combined in chunk order give the same
// bits on any machine. It calls fn(chunk, lo, hi) for each chunk in parallel.
func Chunks(n, size int, fn func(chunk, lo, hi int)) {
	if size <= 0 {
		size = 1
	}
	count := (n + size - 1) / size
	For(count, func(c int) {
		lo := c * size
		fn(c, lo, min(lo+size, n))
	})
}

// NumChunks is the number of chunks Chunks makes of n items.
func NumChunks(n, size int) int {
	if size <= 0 {
		size = 1
	}
	return (n + size - 1) / size
}
