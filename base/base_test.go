package base

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// sphere is −‖x − a‖², maximal (0) at a.
func sphere(a []float64) Objective {
	return func(x []float64) float64 {
		var s float64
		for i, v := range x {
			d := v - a[i]
			s += d * d
		}
		return -s
	}
}

// rosenbrock is −Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², maximal (0) at (1, …, 1).
func rosenbrock(x []float64) float64 {
	var s float64
	for i := 0; i+1 < len(x); i++ {
		a, b := x[i+1]-x[i]*x[i], 1-x[i]
		s += 100*a*a + b*b
	}
	return -s
}

func dist(x, y []float64) float64 {
	var s float64
	for i := range x {
		s += (x[i] - y[i]) * (x[i] - y[i])
	}
	return math.Sqrt(s)
}

func ones(n int, v float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = v
	}
	return x
}

// Each optimizer reaches the known optimum of a closed-form problem.
func TestOptimizersReachKnownOptima(t *testing.T) {
	shift := []float64{1, -2, 3, 0.5, -0.25}
	rosenStart := ones(6, -0.5)
	tests := []struct {
		name  string
		run   func() (Result, error)
		opt   []float64
		tolX  float64
		tolF  float64
		maxEv int
	}{
		{"random search sphere 2D", func() (Result, error) {
			return RandomSearch{Dim: 2, Sigma: 2, Population: 50, Generations: 80, Seed: 3}.Run(sphere([]float64{0.5, -1}), nil)
		}, []float64{0.5, -1}, 0.1, 0.01, 4000},
		{"(1+1)-ES sphere 5D", func() (Result, error) {
			return OnePlusOne{Dim: 5, Sigma: 1, Generations: 3000, Seed: 1}.Run(sphere(shift), nil)
		}, shift, 1e-6, 1e-12, 3001},
		{"CMA-ES sphere 5D", func() (Result, error) {
			return CMAES{Dim: 5, Sigma: 1, Generations: 400, Seed: 1}.Run(sphere(shift), nil)
		}, shift, 1e-6, 1e-12, 400 * 8},
		{"CMA-ES Rosenbrock 6D", func() (Result, error) {
			return CMAES{Dim: 6, Start: rosenStart, Sigma: 0.5, Generations: 3000, Seed: 7}.Run(rosenbrock, nil)
		}, ones(6, 1), 1e-5, 1e-10, 3000 * 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.run()
			if err != nil {
				t.Fatal(err)
			}
			if d := dist(res.Theta, tt.opt); d > tt.tolX {
				t.Errorf("‖θ − θ*‖ = %.3g > %.3g (θ = %v)", d, tt.tolX, res.Theta)
			}
			if -res.Value > tt.tolF {
				t.Errorf("f(θ) = %.3g, want within %.3g of the optimum 0", res.Value, tt.tolF)
			}
			if res.Evaluations > tt.maxEv || res.Generations != len(res.Trace) {
				t.Errorf("evaluations %d (max %d), generations %d, trace %d", res.Evaluations, tt.maxEv, res.Generations, len(res.Trace))
			}
			for i := 1; i < len(res.Trace); i++ {
				if res.Trace[i] < res.Trace[i-1] {
					t.Fatalf("best-so-far trace decreases at %d: %v → %v", i, res.Trace[i-1], res.Trace[i])
				}
			}
		})
	}
}

// Cross-check of two independent searches: CMA-ES and the (1+1)-ES, with different
// adaptation rules, find the same Rosenbrock optimum.
func TestCMAESAgreesWithOnePlusOne(t *testing.T) {
	const n = 4
	start := ones(n, -0.5)
	cma, err := CMAES{Dim: n, Start: start, Sigma: 0.5, Generations: 3000, Seed: 2}.Run(rosenbrock, nil)
	if err != nil {
		t.Fatal(err)
	}
	es, err := OnePlusOne{Dim: n, Start: start, Sigma: 0.5, Generations: 200000, Seed: 2}.Run(rosenbrock, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := dist(cma.Theta, es.Theta); d > 1e-4 {
		t.Errorf("CMA-ES %v, (1+1)-ES %v: distance %.3g", cma.Theta, es.Theta, d)
	}
	if d := dist(cma.Theta, ones(n, 1)); d > 1e-5 {
		t.Errorf("CMA-ES %v is %.3g from (1,…,1)", cma.Theta, d)
	}
}

// Results are bit-identical whatever GOMAXPROCS is, and depend on the seed.
func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	runs := map[string]func(seed uint64) Result{
		"random": func(seed uint64) Result {
			r, _ := RandomSearch{Dim: 3, Sigma: 1, Population: 9, Generations: 20, Seed: seed}.Run(rosenbrock, nil)
			return r
		},
		"cmaes": func(seed uint64) Result {
			r, _ := CMAES{Dim: 3, Sigma: 0.3, Generations: 60, Seed: seed}.Run(rosenbrock, nil)
			return r
		},
		"oneplusone": func(seed uint64) Result {
			r, _ := OnePlusOne{Dim: 3, Sigma: 0.3, Generations: 200, Seed: seed}.Run(rosenbrock, nil)
			return r
		},
		"reinforce": func(seed uint64) Result {
			r, _ := Reinforce{Dim: 4, Batch: 7, Iterations: 30, Seed: seed}.Run(bandit([]float64{0, 1, 0.5, 0.2}, 1), nil)
			return r
		},
	}
	for name, run := range runs {
		prev := runtime.GOMAXPROCS(1)
		one := run(5)
		runtime.GOMAXPROCS(4)
		four := run(5)
		other := run(6)
		runtime.GOMAXPROCS(prev)
		if !slices.Equal(one.Theta, four.Theta) || !slices.Equal(one.Trace, four.Trace) || one.Value != four.Value {
			t.Errorf("%s: GOMAXPROCS 1 and 4 differ: %v vs %v", name, one.Theta, four.Theta)
		}
		if slices.Equal(one.Theta, other.Theta) {
			t.Errorf("%s: seeds 5 and 6 give the same θ %v", name, one.Theta)
		}
	}
}

// The observer sees every generation in order and can stop the run.
func TestObserverStops(t *testing.T) {
	var seen []int
	obs := func(g Generation) bool {
		seen = append(seen, g.Index)
		return g.Index == 2
	}
	res, err := CMAES{Dim: 2, Sigma: 1, Generations: 50}.Run(sphere([]float64{0, 0}), obs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Generations != 3 || !slices.Equal(seen, []int{0, 1, 2}) {
		t.Errorf("generations %d, observed %v; want 3 and [0 1 2]", res.Generations, seen)
	}
}

func TestBadSettings(t *testing.T) {
	f := sphere([]float64{0, 0})
	errs := []struct {
		name string
		err  error
	}{
		{"dim 0", func() error { _, err := CMAES{Dim: 0, Sigma: 1}.Run(f, nil); return err }()},
		{"start length", func() error { _, err := OnePlusOne{Dim: 2, Start: []float64{1}, Sigma: 1}.Run(f, nil); return err }()},
		{"sigma 0", func() error { _, err := RandomSearch{Dim: 2}.Run(f, nil); return err }()},
		{"NaN start", func() error {
			_, err := CMAES{Dim: 2, Start: []float64{math.NaN(), 0}, Sigma: 1}.Run(f, nil)
			return err
		}()},
		{"lambda 1", func() error { _, err := CMAES{Dim: 2, Sigma: 1, Lambda: 1}.Run(f, nil); return err }()},
		{"batch 1", func() error { _, err := Reinforce{Dim: 2, Batch: 1}.Run(bandit([]float64{0, 1}, 0), nil); return err }()},
		{"alpha −1", func() error { _, err := Reinforce{Dim: 2, Alpha: -1}.Run(bandit([]float64{0, 1}, 0), nil); return err }()},
	}
	for _, e := range errs {
		if e.err == nil {
			t.Errorf("%s: no error", e.name)
		}
	}
}

// A NaN objective value never wins.
func TestNaNNeverWins(t *testing.T) {
	f := func(x []float64) float64 {
		if x[0] > 0 {
			return math.NaN()
		}
		return x[0]
	}
	res, err := RandomSearch{Dim: 1, Sigma: 1, Population: 20, Generations: 5, Seed: 1}.Run(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !(res.Theta[0] <= 0) || res.Value != res.Theta[0] {
		t.Errorf("best θ = %v with value %v; want θ ≤ 0 and value = θ", res.Theta, res.Value)
	}
}

// bandit is a one-step episode of a softmax policy over len(means) arms with
// logits θ: reward means[a] + noise·N(0,1).
func bandit(means []float64, noise float64) Rollout {
	return func(theta []float64, _ int, r *rand.Rand, gRet, gLog []float64) float64 {
		p := Softmax(theta, make([]float64, len(theta)))
		a := Sample(p, r)
		g := means[a] + noise*r.NormFloat64()
		for k := range p {
			d := -p[k]
			if k == a {
				d++
			}
			gRet[k] += g * d
			gLog[k] += d
		}
		return g
	}
}

// REINFORCE on a noisy 5-armed bandit puts ≥ 0.95 of the probability on the best
// arm (mean 1, gap 0.3 to the next).
func TestReinforceBandit(t *testing.T) {
	means := []float64{0.2, 0.7, 1, 0.1, 0.5}
	res, err := Reinforce{Dim: 5, Alpha: 0.1, Batch: 32, Iterations: 300, Seed: 1}.Run(bandit(means, 0.5), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := Softmax(res.Theta, make([]float64, 5))
	if p[2] < 0.95 {
		t.Errorf("π(best arm) = %.3f, want ≥ 0.95 (π = %v)", p[2], p)
	}
	if last := res.Trace[len(res.Trace)-1]; last < 0.85 {
		t.Errorf("mean return of the last batch %.3f, want ≥ 0.85", last)
	}
}

// The leave-one-out estimator is unbiased: over many episodes it matches the exact
// softmax-bandit gradient ∂J/∂θ_b = π_b (μ_b − J), J = Σ π_a μ_a.
func TestPolicyGradientMatchesExact(t *testing.T) {
	means := []float64{0.3, -1, 2}
	theta := []float64{0.5, 0, -0.5}
	p := Softmax(theta, make([]float64, 3))
	var J float64
	for a := range p {
		J += p[a] * means[a]
	}
	const N = 200000
	rets := make([]float64, N)
	gRet := make([][]float64, N)
	gLog := make([][]float64, N)
	roll := bandit(means, 0)
	r := rand.New(rand.NewPCG(9, 9))
	var total float64
	for i := range N {
		gRet[i], gLog[i] = make([]float64, 3), make([]float64, 3)
		rets[i] = roll(theta, i, r, gRet[i], gLog[i])
		total += rets[i]
	}
	grad := make([]float64, 3)
	policyGradient(rets, total, gRet, gLog, grad)
	for b := range grad {
		want := p[b] * (means[b] - J)
		if math.Abs(grad[b]-want) > 0.01 {
			t.Errorf("∂J/∂θ_%d: estimate %.4f, exact %.4f", b, grad[b], want)
		}
	}
}

// Adam's first step is α·sign(g) (m̂ = g, v̂ = g²), whatever the scale of g.
func TestAdamFirstStep(t *testing.T) {
	for _, g := range [][]float64{{3, -0.001}, {1e6, -1e-3}} {
		theta := []float64{1, 1}
		NewAdam(2, 0.1).Ascend(theta, g)
		if math.Abs(theta[0]-1.1) > 1e-6 || math.Abs(theta[1]-0.9) > 1e-4 {
			t.Errorf("g = %v: θ after one step = %v, want [1.1 0.9]", g, theta)
		}
	}
}

func TestSoftmaxAndSample(t *testing.T) {
	p := Softmax([]float64{0, math.Log(2), math.Log(3), math.Inf(-1)}, make([]float64, 4))
	for k, want := range []float64{1. / 6, 2. / 6, 3. / 6, 0} {
		if math.Abs(p[k]-want) > 1e-15 {
			t.Errorf("p[%d] = %v, want %v", k, p[k], want)
		}
	}
	r := rand.New(rand.NewPCG(1, 1))
	counts := make([]int, 4)
	const n = 60000
	for range n {
		counts[Sample(p, r)]++
	}
	for k, c := range counts {
		if math.Abs(float64(c)/n-p[k]) > 0.01 {
			t.Errorf("arm %d drawn %d/%d times, p = %v", k, c, n, p[k])
		}
	}
}

// IPOP restarts: on a constant objective every run stalls after Stall
// generations without improvement, so with λ₀ = 6 (n = 2) the runs take 6
// generations each at λ = 6, 12 and 24, and the last run, at λ = 48, uses the
// remaining 30 − 18 generations: 36 + 72 + 144 + 12·48 = 828 evaluations.
func TestCMAESRestarts(t *testing.T) {
	flat := func([]float64) float64 { return 1 }
	res, err := CMAES{Dim: 2, Sigma: 1, Generations: 30, Restarts: 3, Stall: 5, Seed: 1}.Run(flat, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Generations != 30 || res.Evaluations != 828 {
		t.Errorf("generations %d, evaluations %d; want 30, 828", res.Generations, res.Evaluations)
	}
	// A restart escapes a plateau the first run is stuck on: from 0 with σ₀ = 0.1
	// the step function 1[x₀ > 1] is flat for the first run's samples.
	step := func(x []float64) float64 {
		if x[0] > 1 {
			return 1
		}
		return 0
	}
	one, _ := CMAES{Dim: 2, Sigma: 0.1, Generations: 3, Seed: 1}.Run(step, nil)
	many, _ := CMAES{Dim: 2, Sigma: 1, Generations: 200, Restarts: 5, Stall: 10, Seed: 1}.Run(step, nil)
	if one.Value != 0 || many.Value != 1 {
		t.Errorf("plateau: one short run %v, with restarts %v; want 0 then 1", one.Value, many.Value)
	}
	if _, err := (CMAES{Dim: 2, Sigma: 1, Restarts: -1}).Run(flat, nil); err == nil {
		t.Error("negative Restarts accepted")
	}
}
