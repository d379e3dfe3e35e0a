package icl

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// The reference algorithms. Each reads only what a learner sees (the context and,
// where it predicts, the query) and returns a weight vector v; its prediction is
// v·x_q. All are linear predictors in x_q, which is what makes the "model diff" and
// "model cos" of von Oswald et al. (2023) well defined: ∂ŷ/∂x_q = v.

// Gradient writes ∇L(v) = (1/N) Σ_i (v·x_i − y_i) x_i, the gradient of the
// in-context least-squares loss [Loss], into dst and returns it.
func Gradient(t *Task, v, dst []float64) []float64 {
	dst = resize(dst, t.Spec.D)
	clear(dst)
	inv := 1 / float64(t.Spec.N)
	for i, y := range t.Y {
		x := t.Input(i)
		r := (Dot(v, x) - y) * inv
		for j := range dst {
			dst[j] += r * x[j]
		}
	}
	return dst
}

// GDTrajectory returns the iterates W_0 = 0, W_1, …, W_K of K steps of gradient
// descent on the in-context loss L with learning rate eta:
//
//	W_{k+1} = W_k − η ∇L(W_k).
//
// W_1 = (η/N) Σ_i y_i x_i is the update one linear self-attention layer implements
// (von Oswald et al. 2023, Proposition 1); K steps are what K layers of the
// construction implement.
func GDTrajectory(t *Task, eta float64, steps int) [][]float64 {
	traj := make([][]float64, steps+1)
	traj[0] = make([]float64, t.Spec.D)
	g := make([]float64, t.Spec.D)
	for k := range steps {
		Gradient(t, traj[k], g)
		next := make([]float64, t.Spec.D)
		for j := range next {
			next[j] = traj[k][j] - eta*g[j]
		}
		traj[k+1] = next
	}
	return traj
}

// GD returns W_K, the weights after K gradient steps from W = 0 (see
// [GDTrajectory]), written into dst.
func GD(t *Task, eta float64, steps int, dst []float64) []float64 {
	d := t.Spec.D
	dst = resize(dst, d)
	clear(dst)
	g := make([]float64, d)
	for range steps {
		Gradient(t, dst, g)
		for j := range dst {
			dst[j] -= eta * g[j]
		}
	}
	return dst
}

// GDPlusPlus returns the weights of K steps of GD++ (von Oswald et al. 2023, §4):
// every step transforms all inputs, context and query, by the curvature correction
//
//	x_j ← (I − γ Σ_i x_i x_iᵀ) x_j
//
// and, simultaneously (from the same, untransformed tokens), takes a gradient step
// on the labels, y_j ← y_j − (η/N) Σ_i y_i x_iᵀ x_j, the query's label starting at
// 0. It is one linear self-attention layer per step; the prediction is minus the
// query's final label. With γ = 0 it is K-step GD. In the reference setting the
// tuned K = 2 values are η = 13.5, γ = 0.18.
//
// The prediction is linear in x_q: with R_k the accumulated transformation of the
// query, ŷ = Σ_k (η/N) (R_kᵀ Σ_i y_i^(k) x_i^(k))·x_q, and the bracket is returned.
func GDPlusPlus(t *Task, eta, gamma float64, steps int) []float64 {
	d, n := t.Spec.D, t.Spec.N
	xs := append([]float64(nil), t.X...)
	ys := append([]float64(nil), t.Y...)
	R := make([]float64, d*d) // R_k, row-major: x_q^(k) = R_k x_q
	for j := range d {
		R[j*d+j] = 1
	}
	v := make([]float64, d)
	h := make([]float64, d)
	S := make([]float64, d*d)
	SR := make([]float64, d*d)
	nextX := make([]float64, len(xs))
	nextY := make([]float64, n)
	for range steps {
		// h = Σ_i y_i x_i and S = Σ_i x_i x_iᵀ from this step's tokens.
		clear(h)
		clear(S)
		for i := range n {
			x := xs[i*d : (i+1)*d]
			for a := range d {
				h[a] += ys[i] * x[a]
				for b := range d {
					S[a*d+b] += x[a] * x[b]
				}
			}
		}
		// The query's weights gain (η/N) R_kᵀ h.
		for b := range d {
			for a := range d {
				v[a] += eta / float64(n) * R[b*d+a] * h[b]
			}
		}
		// Context labels take the gradient step; context inputs and the query's
		// transformation take the curvature correction.
		for j := range n {
			xj := xs[j*d : (j+1)*d]
			var dy float64
			for i := range n {
				dy += ys[i] * Dot(xs[i*d:(i+1)*d], xj)
			}
			nextY[j] = ys[j] - eta/float64(n)*dy
			for a := range d {
				nextX[j*d+a] = xj[a] - gamma*Dot(S[a*d:(a+1)*d], xj)
			}
		}
		for a := range d {
			for b := range d {
				var s float64
				for k := range d {
					s += S[a*d+k] * R[k*d+b]
				}
				SR[a*d+b] = s
			}
		}
		for i := range R {
			R[i] -= gamma * SR[i]
		}
		xs, nextX = nextX, xs
		ys, nextY = nextY, ys
	}
	return v
}

// Ridge returns the ridge-regression weights w = (XᵀX + rI)⁻¹ Xᵀy (r ≥ 0), solved
// by a Cholesky factorisation of the normal equations. This is the one-shot
// solution of the "mesa-layer" (von Oswald et al., "Uncovering mesa-optimization
// algorithms in Transformers", 2023). ok is false when XᵀX + rI is not numerically
// positive definite (r = 0 with a singular XᵀX).
func Ridge(t *Task, r float64) (w []float64, ok bool) {
	d := t.Spec.D
	A := mat.NewSymDense(d, nil)
	b := mat.NewVecDense(d, nil)
	for i, y := range t.Y {
		x := t.Input(i)
		for a := range d {
			b.SetVec(a, b.AtVec(a)+y*x[a])
			for c := a; c < d; c++ {
				A.SetSym(a, c, A.At(a, c)+x[a]*x[c])
			}
		}
	}
	for a := range d {
		A.SetSym(a, a, A.At(a, a)+r)
	}
	var ch mat.Cholesky
	if !ch.Factorize(A) {
		return nil, false
	}
	var sol mat.VecDense
	if err := ch.SolveVecTo(&sol, b); err != nil {
		return nil, false
	}
	return sol.RawVector().Data, true
}

// LeastSquares returns an exact minimiser of the in-context loss L, the optimum
// of the mesa-objective g = −L, in float64. It factorises X P = Q R by Householder
// QR with column pivoting (LAPACK dgeqp3) and solves R z = Qᵀy; rank is the
// numerical rank (diagonal entries of R above max(N, d)·ε·|R₀₀|). When X has full
// column rank the minimiser is unique. When it does not (N < d, or a numerically
// singular X) the minimisers form an affine set, and the one returned is the
// minimum-norm solution X⁺y, computed by SVD: the limit of gradient descent from
// W = 0 as the number of steps grows.
func LeastSquares(t *Task) (w []float64, rank int) {
	d, n := t.Spec.D, t.Spec.N
	if n >= d {
		a := blas64.General{Rows: n, Cols: d, Stride: d, Data: append([]float64(nil), t.X...)}
		jpvt := make([]int, d)
		for j := range jpvt {
			jpvt[j] = -1
		}
		tau := make([]float64, d)
		work := make([]float64, 1)
		lapack64.Geqp3(a, jpvt, tau, work, -1)
		work = make([]float64, int(work[0]))
		lapack64.Geqp3(a, jpvt, tau, work, len(work))
		tol := float64(max(n, d)) * 0x1p-52 * math.Abs(a.Data[0])
		rank = 0
		for k := range d {
			if math.Abs(a.Data[k*d+k]) > tol {
				rank++
			}
		}
		if rank == d {
			c := blas64.General{Rows: n, Cols: 1, Stride: 1, Data: append([]float64(nil), t.Y...)}
			lapack64.Ormqr(blas.Left, blas.Trans, a, tau, c, work, -1)
			if need := int(work[0]); need > len(work) {
				work = make([]float64, need)
			}
			lapack64.Ormqr(blas.Left, blas.Trans, a, tau, c, work, len(work))
			r := blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: d, Stride: d, Data: a.Data[:d*d]}
			z := blas64.General{Rows: d, Cols: 1, Stride: 1, Data: c.Data[:d]}
			if lapack64.Trtrs(blas.NoTrans, r, z) {
				w = make([]float64, d)
				for k, col := range jpvt {
					w[col] = z.Data[k]
				}
				return w, rank
			}
		}
	}
	w, rank = svdSolve(t, 0)
	return w, rank
}

// PosteriorMean returns the Bayes posterior mean of w given the context under the
// task's prior w ~ N(0, I) and Gaussian label noise σ_ε:
//
//	E[w | X, y] = (XᵀX + σ_ε² I)⁻¹ Xᵀy = V diag(s/(s² + σ_ε²)) Uᵀy   (X = U diag(s) Vᵀ),
//
// the ridge solution with r = σ_ε². Without noise it is the limit σ_ε → 0: the
// minimum-norm interpolant X⁺y (directions X does not see keep their prior mean 0).
// Its prediction w̄·x_q is the Bayes-optimal prediction of y_q under squared error:
// the base objective's optimum given what the learner sees.
func PosteriorMean(t *Task) []float64 {
	w, _ := svdSolve(t, t.Spec.Noise*t.Spec.Noise)
	return w
}

// PredictiveVariance returns Var[y_q | context, x_q] = x_qᵀ Σ_post x_q + σ_ε² with
// Σ_post = σ_ε² (XᵀX + σ_ε² I)⁻¹ (the projector onto the null space of X when
// σ_ε = 0: directions the context does not reveal keep their prior variance 1).
// The expected squared error of a prediction ŷ given the context is
// (ŷ − w̄·x_q)² + PredictiveVariance.
func PredictiveVariance(t *Task) float64 {
	_, v := posteriorOf(t)
	return v
}

// posteriorOf returns the posterior prediction w̄·x_q and the predictive variance
// from one full SVD of X (NaN for both when it does not converge).
func posteriorOf(t *Task) (pred, variance float64) {
	d, n := t.Spec.D, t.Spec.N
	s2 := t.Spec.Noise * t.Spec.Noise
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(n, d, append([]float64(nil), t.X...)), mat.SVDFull) {
		return math.NaN(), math.NaN()
	}
	sv := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	tol := svdTol(t, sv)
	for j := range d {
		var p float64 // (Vᵀ x_q)_j
		for a := range d {
			p += v.At(a, j) * t.Query[a]
		}
		var sj float64
		if j < len(sv) {
			sj = sv[j]
		}
		post := 1.0 // an unseen direction keeps its prior variance
		switch {
		case s2 > 0:
			post = s2 / (sj*sj + s2)
		case sj > tol:
			post = 0
		}
		variance += post * p * p
		if sj > tol || (s2 > 0 && sj > 0) {
			var uy float64 // (Uᵀ y)_j
			for i := range n {
				uy += u.At(i, j) * t.Y[i]
			}
			pred += sj / (sj*sj + s2) * uy * p
		}
	}
	return pred, variance + s2
}

// svdTol is the cut-off below which a singular value counts as zero.
func svdTol(t *Task, sv []float64) float64 {
	if len(sv) == 0 {
		return 0
	}
	return float64(max(t.Spec.N, t.Spec.D)) * 0x1p-52 * sv[0]
}

// svdSolve returns V diag(f(s)) Uᵀ y with f(s) = s/(s² + r), f = 1/s for r = 0 and
// s above the tolerance, 0 below it; and the numerical rank.
func svdSolve(t *Task, r float64) ([]float64, int) {
	d, n := t.Spec.D, t.Spec.N
	w := make([]float64, d)
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(n, d, append([]float64(nil), t.X...)), mat.SVDThin) {
		for a := range w {
			w[a] = math.NaN() // non-finite inputs: no solution, and no panic
		}
		return w, 0
	}
	sv := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	tol := svdTol(t, sv)
	rank := 0
	for k, s := range sv {
		var f float64
		switch {
		case s > tol:
			rank++
			f = s / (s*s + r)
		case r > 0:
			f = s / (s*s + r)
		}
		if f == 0 {
			continue
		}
		var uy float64
		for i := range n {
			uy += u.At(i, k) * t.Y[i]
		}
		for a := range d {
			w[a] += v.At(a, k) * f * uy
		}
	}
	return w, rank
}
