package spec_test

import (
	"fmt"

	"github.com/mesalab/mesalab/spec"
)

func ExampleParse() {
	s, err := spec.Parse("explore.yaml", []byte(`experiment: td0-3state
seeds: 2
params:
  episodes: 500
sweep:
  grid:
    epsilon: [0.1, 0.30]
    seed: {from: 1, to: 3}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Experiment, s.Params, s.Sweep.Grid, s.Sweep.Size())

	_, err = spec.Parse("typo.yaml", []byte("experiment: td0-3state\nparams:\n  epsilonn: 0.1\n"))
	fmt.Println(err)
	// Output:
	// td0-3state map[episodes:500] [{epsilon [0.1 0.3]} {seed [1 2 3]}] 6
	// typo.yaml:3:3: field params.epsilonn: experiment td0-3state has no parameter "epsilonn" (it takes: episodes, epsilon)
}
