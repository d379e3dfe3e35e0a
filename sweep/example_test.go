package sweep_test

import (
	"fmt"

	"github.com/mesalab/mesalab/spec"
	"github.com/mesalab/mesalab/sweep"
)

func ExampleExpand() {
	s, _ := spec.Parse("s.yaml", []byte("experiment: td0-3state\nsweep:\n  grid:\n    epsilon: [0.1, 0.3]\n    seed: [1, 2]\n"))
	points, _ := sweep.Expand(s)
	shard := sweep.Shard{I: 1, N: 2}
	for _, p := range points {
		fmt.Println(p.Index, p.Key, shard.Owns(p.Index))
	}
	// Output:
	// 0 epsilon=0.1&seed=1&seeds=1 false
	// 1 epsilon=0.1&seed=2&seeds=1 true
	// 2 epsilon=0.3&seed=1&seeds=1 false
	// 3 epsilon=0.3&seed=2&seeds=1 true
}
