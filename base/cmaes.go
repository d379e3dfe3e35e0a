package base

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// CMAES is the covariance matrix adaptation evolution strategy, (μ/μ_w, λ)-CMA-ES
// with rank-one and rank-μ updates and cumulative step-size adaptation, as given in
// N. Hansen, "The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772 (2016),
// Appendix A (the algorithm summary) with the default parameters of its Table 1,
// restricted to positive recombination weights (the w_i of rank > μ are 0; no
// active update).
//
// Each generation draws λ candidates x_k = m + σ·B·D·z_k, z_k ~ N(0, I), from one
// PCG stream, evaluates them in parallel, ranks them by f (ties by index), moves m
// to the weighted mean of the best μ, and adapts σ and C = B·D²·Bᵀ. C is
// re-factorised (symmetric eigendecomposition, gonum mat.EigenSym) every
// generation, which costs O(n³) and is negligible for the n ≤ 100 used here.
//
// gonum's optimize.CmaEsChol is not used: it is driven by optimize.Minimize, whose
// concurrent evaluation model and termination rules do not fit a per-generation
// observer with a deterministic parallel evaluation of the whole population, and it
// implements the Cholesky variant of Krause et al. (2016) rather than the
// tutorial's update.
type CMAES struct {
	Dim         int
	Start       []float64 // initial mean m₀ (zeros if nil)
	Sigma       float64   // σ₀ > 0
	Lambda      int       // population λ (default 4 + ⌊3 ln n⌋)
	Generations int       // generations (default 100 + 150(n+3)²/√λ, the tutorial's budget scale)
	Seed        uint64
	// TolSigma stops the run when σ·max(D) falls below it (default 1e-12).
	TolSigma float64
	// Restarts enables IPOP-CMA-ES (Auger & Hansen, "A Restart CMA Evolution
	// Strategy With Increasing Population Size", CEC 2005): up to Restarts times,
	// when a run has not improved its best value for Stall generations (or σ has
	// collapsed), CMA-ES starts afresh from Start + Sigma·N(0, I) with σ₀, C = I and
	// twice the population. The best candidate over all runs is returned and the
	// total number of generations stays within Generations.
	Restarts, Stall int
}

// Run maximises f from Start. It returns the best candidate ever evaluated.
func (c CMAES) Run(f Objective, observe Observer) (Result, error) {
	m0, err := checkStart("CMA-ES", c.Dim, c.Start)
	if err != nil {
		return Result{}, err
	}
	if err := checkPositive("CMA-ES", "Sigma", c.Sigma); err != nil {
		return Result{}, err
	}
	nf := float64(c.Dim)
	lambda := c.Lambda
	if lambda <= 0 {
		lambda = 4 + int(math.Floor(3*math.Log(nf)))
	}
	if lambda < 2 {
		return Result{}, fmt.Errorf("CMA-ES: Lambda = %d, want at least 2", lambda)
	}
	if c.Restarts < 0 || c.Stall < 0 {
		return Result{}, fmt.Errorf("CMA-ES: Restarts = %d, Stall = %d, want ≥ 0", c.Restarts, c.Stall)
	}
	gens := c.Generations
	if gens <= 0 {
		gens = 100 + int(150*(nf+3)*(nf+3)/math.Sqrt(float64(lambda)))
	}
	tol := c.TolSigma
	if tol <= 0 {
		tol = 1e-12
	}
	r := rand.New(rand.NewPCG(c.Seed, 0x636d61657321))
	res := Result{Theta: append([]float64(nil), m0...), Value: negInf}
	m := append([]float64(nil), m0...)
	for restart := 0; ; restart++ {
		st := newCMAState(m, c.Sigma, lambda)
		runBest, since := negInf, 0
		for res.Generations < gens {
			stop, err := st.generation(f, r, &res)
			if err != nil {
				return res, err
			}
			if observe != nil && observe(Generation{Index: res.Generations - 1, Evaluations: res.Evaluations,
				Best: res.Value, Mean: mean(st.fs), Sigma: st.sigma}) {
				return res, nil
			}
			if st.bestF > runBest {
				runBest, since = st.bestF, 0
			} else {
				since++
			}
			if stop || st.sigma*st.maxD < tol {
				break
			}
			if c.Stall > 0 && since >= c.Stall && restart < c.Restarts {
				break
			}
		}
		if res.Generations >= gens || restart >= c.Restarts {
			return res, nil
		}
		// IPOP: a new start around m₀ and a doubled population.
		lambda *= 2
		for i := range m {
			m[i] = m0[i] + c.Sigma*r.NormFloat64()
		}
	}
}

// cmaState is the adaptive state of one CMA-ES run (one restart).
type cmaState struct {
	n, lambda, mu        int
	w                    []float64
	mueff                float64
	cs, ds, chiN, cc, c1 float64
	cmu                  float64
	sigma, maxD          float64
	m, ps, pc, D         []float64
	C                    *mat.SymDense
	B                    *mat.Dense
	eig                  mat.EigenSym
	xs, ys               [][]float64
	z, fs, yw, tmp       []float64
	g                    int // generations of this run
	bestF                float64
}

func newCMAState(m []float64, sigma float64, lambda int) *cmaState {
	n := len(m)
	nf := float64(n)
	st := &cmaState{n: n, lambda: lambda, mu: lambda / 2, sigma: sigma, maxD: 1, bestF: negInf}
	// Selection and recombination (Table 1).
	st.w = make([]float64, st.mu)
	var sw float64
	for i := range st.w {
		st.w[i] = math.Log(float64(lambda+1)/2) - math.Log(float64(i+1))
		sw += st.w[i]
	}
	var sw2 float64
	for i := range st.w {
		st.w[i] /= sw
		sw2 += st.w[i] * st.w[i]
	}
	mueff := 1 / sw2
	st.mueff = mueff
	// Step-size control.
	st.cs = (mueff + 2) / (nf + mueff + 5)
	st.ds = 1 + 2*math.Max(0, math.Sqrt((mueff-1)/(nf+1))-1) + st.cs
	st.chiN = math.Sqrt(nf) * (1 - 1/(4*nf) + 1/(21*nf*nf)) // E‖N(0, I)‖
	// Covariance adaptation (α_cov = 2).
	st.cc = (4 + mueff/nf) / (nf + 4 + 2*mueff/nf)
	st.c1 = 2 / ((nf+1.3)*(nf+1.3) + mueff)
	st.cmu = math.Min(1-st.c1, 2*(mueff-2+1/mueff)/((nf+2)*(nf+2)+mueff))

	st.m = append([]float64(nil), m...)
	st.ps = make([]float64, n)
	st.pc = make([]float64, n)
	st.D = make([]float64, n)
	st.C = mat.NewSymDense(n, nil)
	st.B = mat.NewDense(n, n, nil)
	for i := range n {
		st.C.SetSym(i, i, 1)
		st.B.Set(i, i, 1)
		st.D[i] = 1
	}
	st.xs = make([][]float64, lambda)
	st.ys = make([][]float64, lambda)
	for k := range st.xs {
		st.xs[k] = make([]float64, n)
		st.ys[k] = make([]float64, n)
	}
	st.z = make([]float64, n)
	st.fs = make([]float64, lambda)
	st.yw = make([]float64, n)
	st.tmp = make([]float64, n)
	return st
}

// generation samples, evaluates and ranks one population, updates res with the
// best candidate, and adapts m, σ and C (Hansen 2016, Appendix A). stop reports a
// numerical breakdown of σ.
func (st *cmaState) generation(f Objective, r *rand.Rand, res *Result) (stop bool, err error) {
	n, mu, w := st.n, st.mu, st.w
	B, D, m := st.B, st.D, st.m
	nf := float64(n)
	// Sample: y_k = B·D·z_k, x_k = m + σ·y_k.
	for k := range st.lambda {
		for i := range st.z {
			st.z[i] = D[i] * r.NormFloat64()
		}
		for i := range n {
			var s float64
			for j := range n {
				s += B.At(i, j) * st.z[j]
			}
			st.ys[k][i] = s
			st.xs[k][i] = m[i] + st.sigma*s
		}
	}
	evaluate(f, st.xs, st.fs)
	order := rank(st.fs)
	if v := st.fs[order[0]]; v > res.Value {
		res.Value = v
		copy(res.Theta, st.xs[order[0]])
	}
	st.bestF = math.Max(st.bestF, st.fs[order[0]])
	res.Evaluations += st.lambda
	res.Generations++
	res.Trace = append(res.Trace, res.Value)
	st.g++

	// Recombination: ⟨y⟩_w and the new mean (c_m = 1).
	yw := st.yw
	clear(yw)
	for i := range mu {
		for j, v := range st.ys[order[i]] {
			yw[j] += w[i] * v
		}
	}
	for j := range m {
		m[j] += st.sigma * yw[j]
	}
	// p_σ ← (1−c_σ)p_σ + √(c_σ(2−c_σ)μ_eff)·C^{-1/2}⟨y⟩_w, C^{-1/2} = B·D⁻¹·Bᵀ.
	for j := range n {
		var s float64
		for i := range n {
			s += B.At(i, j) * yw[i]
		}
		st.tmp[j] = s / D[j]
	}
	cs := st.cs
	kps := math.Sqrt(cs * (2 - cs) * st.mueff)
	var psNorm float64
	for i := range n {
		var s float64
		for j := range n {
			s += B.At(i, j) * st.tmp[j]
		}
		st.ps[i] = (1-cs)*st.ps[i] + kps*s
		psNorm += st.ps[i] * st.ps[i]
	}
	psNorm = math.Sqrt(psNorm)
	// h_σ stalls the update of p_c when ‖p_σ‖ is large.
	hs := 0.0
	if psNorm/math.Sqrt(1-math.Pow(1-cs, 2*float64(st.g))) < (1.4+2/(nf+1))*st.chiN {
		hs = 1
	}
	cc, c1, cmu := st.cc, st.c1, st.cmu
	kpc := hs * math.Sqrt(cc*(2-cc)*st.mueff)
	for i := range n {
		st.pc[i] = (1-cc)*st.pc[i] + kpc*yw[i]
	}
	// C ← (1 + c₁δ(h_σ) − c₁ − c_μ)C + c₁p_c p_cᵀ + c_μ Σ w_i y_i y_iᵀ.
	decay := 1 + c1*(1-hs)*cc*(2-cc) - c1 - cmu
	for i := range n {
		for j := i; j < n; j++ {
			v := decay*st.C.At(i, j) + c1*st.pc[i]*st.pc[j]
			var s float64
			for k := range mu {
				y := st.ys[order[k]]
				s += w[k] * y[i] * y[j]
			}
			st.C.SetSym(i, j, v+cmu*s)
		}
	}
	// σ ← σ·exp((c_σ/d_σ)(‖p_σ‖/E‖N(0,I)‖ − 1)).
	st.sigma *= math.Exp((cs / st.ds) * (psNorm/st.chiN - 1))
	if math.IsNaN(st.sigma) || math.IsInf(st.sigma, 0) {
		return true, nil
	}
	if !st.eig.Factorize(st.C, true) {
		return true, fmt.Errorf("CMA-ES: eigendecomposition of C failed at generation %d", res.Generations-1)
	}
	vals := st.eig.Values(nil)
	st.eig.VectorsTo(B)
	st.maxD = 0
	for i, v := range vals {
		D[i] = math.Sqrt(math.Max(v, 1e-300))
		st.maxD = math.Max(st.maxD, D[i])
	}
	return false, nil
}
