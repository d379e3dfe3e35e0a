// Package parallel runs index-addressed work on every core with results that do
// not depend on how many cores there are.
//
// The contract that makes results bit-identical whatever GOMAXPROCS is: fn(i)
// writes only what belongs to index i (a slot of a result slice), and the caller
// combines the slots in index order afterwards. Which worker runs which index, and
// when, is left to the scheduler and never shows in the result.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls fn(i) for every i in [0, n), on min(GOMAXPROCS, n) goroutines, and
// returns when all calls have returned. With one worker (GOMAXPROCS = 1 or n = 1)
// it runs inline in index order and allocates nothing.
func For(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
		}
	}
	wg.Add(workers - 1)
	for range workers - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
