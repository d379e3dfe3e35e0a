package base

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mesalab/mesalab/internal/parallel"
)

// Rollout plays one episode of the stochastic policy π_θ, drawing every random
// choice from r, and returns the episode's return G. It must add
//
//	Σ_t G_t · ∇_θ log π_θ(a_t | s_t)   to gReturn,
//	Σ_t       ∇_θ log π_θ(a_t | s_t)   to gLog,
//
// where G_t is the return from step t on (the reward-to-go). Both slices have the
// length of θ and arrive zeroed. episode is the run-wide episode index
// (iteration·Batch + i), which a caller may use to choose the task. Rollout is
// called concurrently and must not modify θ.
type Rollout func(theta []float64, episode int, r *rand.Rand, gReturn, gLog []float64) float64

// Reinforce is REINFORCE (Williams, "Simple statistical gradient-following
// algorithms for connectionist reinforcement learning", Machine Learning 8, 1992)
// with a baseline, stepped by [Adam]. Each iteration plays Batch episodes in
// parallel, episode i with its own PCG stream (Seed, iteration·Batch + i), and
// ascends
//
//	ĝ = (1/N) Σ_i Σ_t (G_t^i − b_i) ∇_θ log π_θ(a_t^i | s_t^i),
//
// with the leave-one-out baseline b_i = mean of the other episodes' returns (Kool,
// van Hoof & Welling, "Buy 4 REINFORCE samples, get a baseline for free!", 2019),
// which keeps ĝ unbiased because b_i does not depend on episode i.
type Reinforce struct {
	Dim        int
	Start      []float64 // θ₀ (zeros if nil)
	Alpha      float64   // Adam step size (default 0.05)
	Batch      int       // episodes per iteration (default 32, at least 2)
	Iterations int       // gradient steps (default 200)
	Seed       uint64
}

// Run trains θ by policy gradient. The result's Theta is the final θ, Value the
// mean return of the last batch, Trace the mean return of every batch.
func (rf Reinforce) Run(rollout Rollout, observe Observer) (Result, error) {
	theta, err := checkStart("REINFORCE", rf.Dim, rf.Start)
	if err != nil {
		return Result{}, err
	}
	alpha := rf.Alpha
	if alpha == 0 {
		alpha = 0.05
	}
	if err := checkPositive("REINFORCE", "Alpha", alpha); err != nil {
		return Result{}, err
	}
	batch := defaultInt(rf.Batch, 32)
	if batch < 2 {
		return Result{}, fmt.Errorf("REINFORCE: Batch = %d, want at least 2 (the baseline leaves one out)", batch)
	}
	iters := defaultInt(rf.Iterations, 200)
	n := rf.Dim
	gRet := make([][]float64, batch)
	gLog := make([][]float64, batch)
	for i := range gRet {
		gRet[i] = make([]float64, n)
		gLog[i] = make([]float64, n)
	}
	rets := make([]float64, batch)
	grad := make([]float64, n)
	adam := NewAdam(n, alpha)
	var res Result
	for it := range iters {
		parallel.For(batch, func(i int) {
			clear(gRet[i])
			clear(gLog[i])
			ep := it*batch + i
			r := rand.New(rand.NewPCG(rf.Seed, uint64(ep)))
			rets[i] = rollout(theta, ep, r, gRet[i], gLog[i])
		})
		var total float64
		for _, g := range rets {
			total += g
		}
		if math.IsNaN(total) || math.IsInf(total, 0) {
			return res, fmt.Errorf("REINFORCE: non-finite return at iteration %d", it)
		}
		policyGradient(rets, total, gRet, gLog, grad)
		adam.Ascend(theta, grad)
		res.Evaluations += batch
		res.Generations = it + 1
		res.Value = total / float64(batch)
		res.Trace = append(res.Trace, res.Value)
		if observe != nil && observe(Generation{Index: it, Evaluations: res.Evaluations, Best: res.Value, Mean: res.Value}) {
			break
		}
	}
	res.Theta = theta
	return res, nil
}

// policyGradient writes into grad the REINFORCE estimate with leave-one-out
// baseline, (1/N) Σ_i (gReturn_i − b_i·gLog_i), b_i = (total − G_i)/(N − 1).
func policyGradient(rets []float64, total float64, gRet, gLog [][]float64, grad []float64) {
	clear(grad)
	n := len(rets)
	for i := range n {
		b := (total - rets[i]) / float64(n-1)
		for j := range grad {
			grad[j] += gRet[i][j] - b*gLog[i][j]
		}
	}
	for j := range grad {
		grad[j] /= float64(n)
	}
}

// Softmax writes the probabilities π_k = exp(z_k − max z)/Σ exp(z_j − max z) of
// logits z into p (which may alias z) and returns p.
func Softmax(z, p []float64) []float64 {
	hi := math.Inf(-1)
	for _, v := range z {
		if v > hi {
			hi = v
		}
	}
	var s float64
	for k, v := range z {
		p[k] = math.Exp(v - hi)
		s += p[k]
	}
	for k := range p {
		p[k] /= s
	}
	return p
}

// Sample draws an index from the probabilities p (which sum to 1) by inversion;
// rounding slack goes to the last index of positive probability.
func Sample(p []float64, r *rand.Rand) int {
	u := r.Float64()
	last := 0
	for k, v := range p {
		if v > 0 {
			last = k
		}
		if u < v {
			return k
		}
		u -= v
	}
	return last
}
