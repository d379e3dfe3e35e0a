package icl_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/mesalab/mesalab/task/icl"
)

// The closed forms of one gradient step in the reference setting.
func ExampleSpec_OptimalEta() {
	s := icl.Reference()
	fmt.Printf("η* = %.4f, η*/N = %.5f\n", s.OptimalEta(), s.OptimalEta()/float64(s.N))
	fmt.Printf("½·MSE: zero predictor %.5f, one GD step at η* %.5f\n", s.ZeroLoss()/2, s.OptimalGDLoss()/2)
	// Output:
	// η* = 6.0606, η*/N = 0.60606
	// ½·MSE: zero predictor 0.41667, one GD step at η* 0.20623
}

// Sample a task and run the reference algorithms on it.
func ExampleGD() {
	dist, err := icl.NewDistribution("train", icl.Reference())
	if err != nil {
		panic(err)
	}
	t := dist.Sample(rand.New(rand.NewPCG(1, 2)))
	one := icl.GD(t, icl.Reference().OptimalEta(), 1, nil)
	ls, rank := icl.LeastSquares(t)
	fmt.Printf("one GD step: in-context loss %.3f → %.3f\n", icl.Loss(t, make([]float64, 10)), icl.Loss(t, one))
	fmt.Printf("least squares: rank %d, in-context loss < 1e-20: %v, |ŷ − y_q| < 1e-9: %v\n",
		rank, icl.Loss(t, ls) < 1e-20, abs(icl.Dot(ls, t.Query)-t.Target) < 1e-9)
	// Output:
	// one GD step: in-context loss 0.722 → 0.178
	// least squares: rank 10, in-context loss < 1e-20: true, |ŷ − y_q| < 1e-9: true
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
