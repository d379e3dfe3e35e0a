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
}

// Run maximises f from Start. It returns the best candidate ever evaluated.
func (c CMAES) Run(f Objective, observe Observer) (Result, error) {
	m, err := checkStart("CMA-ES", c.Dim, c.Start)
	if err != nil {
		return Result{}, err
	}
	if err := checkPositive("CMA-ES", "Sigma", c.Sigma); err != nil {
		return Result{}, err
	}
	n := c.Dim
	nf := float64(n)
	lambda := c.Lambda
	if lambda <= 0 {
		lambda = 4 + int(math.Floor(3*math.Log(nf)))
	}
	if lambda < 2 {
		return Result{}, fmt.Errorf("CMA-ES: Lambda = %d, want at least 2", lambda)
	}
	gens := c.Generations
	if gens <= 0 {
		gens = 100 + int(150*(nf+3)*(nf+3)/math.Sqrt(float64(lambda)))
	}
	tol := c.TolSigma
	if tol <= 0 {
		tol = 1e-12
	}

	// Selection and recombination (Table 1).
	mu := lambda / 2
	w := make([]float64, mu)
	var sw float64
	for i := range w {
		w[i] = math.Log(float64(lambda+1)/2) - math.Log(float64(i+1))
		sw += w[i]
	}
	var sw2 float64
	for i := range w {
		w[i] /= sw
		sw2 += w[i] * w[i]
	}
	mueff := 1 / sw2
	// Step-size control.
	cs := (mueff + 2) / (nf + mueff + 5)
	ds := 1 + 2*math.Max(0, math.Sqrt((mueff-1)/(nf+1))-1) + cs
	chiN := math.Sqrt(nf) * (1 - 1/(4*nf) + 1/(21*nf*nf)) // E‖N(0, I)‖
	// Covariance adaptation (α_cov = 2).
	cc := (4 + mueff/nf) / (nf + 4 + 2*mueff/nf)
	c1 := 2 / ((nf+1.3)*(nf+1.3) + mueff)
	cmu := math.Min(1-c1, 2*(mueff-2+1/mueff)/((nf+2)*(nf+2)+mueff))

	sigma := c.Sigma
	ps := make([]float64, n)
	pc := make([]float64, n)
	C := mat.NewSymDense(n, nil)
	B := mat.NewDense(n, n, nil)
	D := make([]float64, n)
	for i := range n {
		C.SetSym(i, i, 1)
		B.Set(i, i, 1)
		D[i] = 1
	}
	var eig mat.EigenSym

	r := rand.New(rand.NewPCG(c.Seed, 0x636d61657321))
	xs := make([][]float64, lambda)
	ys := make([][]float64, lambda)
	for k := range xs {
		xs[k] = make([]float64, n)
		ys[k] = make([]float64, n)
	}
	z := make([]float64, n)
	fs := make([]float64, lambda)
	yw := make([]float64, n)
	tmp := make([]float64, n)
	res := Result{Theta: append([]float64(nil), m...), Value: negInf}

	for g := range gens {
		// Sample: y_k = B·D·z_k, x_k = m + σ·y_k.
		for k := range lambda {
			for i := range z {
				z[i] = D[i] * r.NormFloat64()
			}
			for i := range n {
				var s float64
				for j := range n {
					s += B.At(i, j) * z[j]
				}
				ys[k][i] = s
				xs[k][i] = m[i] + sigma*s
			}
		}
		evaluate(f, xs, fs)
		order := rank(fs)
		if fs[order[0]] > res.Value {
			res.Value = fs[order[0]]
			copy(res.Theta, xs[order[0]])
		}
		res.Evaluations += lambda
		res.Generations = g + 1
		res.Trace = append(res.Trace, res.Value)

		// Recombination: ⟨y⟩_w and the new mean (c_m = 1).
		clear(yw)
		for i := range mu {
			for j, v := range ys[order[i]] {
				yw[j] += w[i] * v
			}
		}
		for j := range m {
			m[j] += sigma * yw[j]
		}
		// p_σ ← (1−c_σ)p_σ + √(c_σ(2−c_σ)μ_eff)·C^{-1/2}⟨y⟩_w, C^{-1/2} = B·D⁻¹·Bᵀ.
		for j := range n {
			var s float64
			for i := range n {
				s += B.At(i, j) * yw[i]
			}
			tmp[j] = s / D[j]
		}
		kps := math.Sqrt(cs * (2 - cs) * mueff)
		var psNorm float64
		for i := range n {
			var s float64
			for j := range n {
				s += B.At(i, j) * tmp[j]
			}
			ps[i] = (1-cs)*ps[i] + kps*s
			psNorm += ps[i] * ps[i]
		}
		psNorm = math.Sqrt(psNorm)
		// h_σ stalls the update of p_c when ‖p_σ‖ is large.
		hs := 0.0
		if psNorm/math.Sqrt(1-math.Pow(1-cs, 2*float64(g+1))) < (1.4+2/(nf+1))*chiN {
			hs = 1
		}
		kpc := hs * math.Sqrt(cc*(2-cc)*mueff)
		for i := range n {
			pc[i] = (1-cc)*pc[i] + kpc*yw[i]
		}
		// C ← (1 + c₁δ(h_σ) − c₁ − c_μ)C + c₁p_c p_cᵀ + c_μ Σ w_i y_i y_iᵀ.
		decay := 1 + c1*(1-hs)*cc*(2-cc) - c1 - cmu
		for i := range n {
			for j := i; j < n; j++ {
				v := decay*C.At(i, j) + c1*pc[i]*pc[j]
				var s float64
				for k := range mu {
					y := ys[order[k]]
					s += w[k] * y[i] * y[j]
				}
				C.SetSym(i, j, v+cmu*s)
			}
		}
		// σ ← σ·exp((c_σ/d_σ)(‖p_σ‖/E‖N(0,I)‖ − 1)).
		sigma *= math.Exp((cs / ds) * (psNorm/chiN - 1))

		if !eig.Factorize(C, true) {
			return res, fmt.Errorf("CMA-ES: eigendecomposition of C failed at generation %d", g)
		}
		vals := eig.Values(nil)
		eig.VectorsTo(B)
		maxD := 0.0
		for i, v := range vals {
			D[i] = math.Sqrt(math.Max(v, 1e-300))
			maxD = math.Max(maxD, D[i])
		}
		if observe != nil && observe(Generation{Index: g, Evaluations: res.Evaluations, Best: res.Value, Mean: mean(fs), Sigma: sigma}) {
			break
		}
		if sigma*maxD < tol || math.IsNaN(sigma) || math.IsInf(sigma, 0) {
			break
		}
	}
	return res, nil
}
