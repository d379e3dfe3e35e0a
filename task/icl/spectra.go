package icl

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Spectra holds the eigenvalues λ_j of Ŝ = (1/N) XᵀX for a sample of context inputs.
// Every linear reference algorithm from W = 0 is a spectral filter of Ŝ, so its loss
// is an exact expectation over w, the label noise and the query given the spectrum,
// and a Monte-Carlo average only over X. This estimates the losses with much less
// variance than sampling whole tasks, which makes tuning a learning rate smooth.
//
// With w ~ N(0, I) and g = (1/N) Xᵀy = Ŝw + (1/N)Xᵀε (noise covariance σ_ε²Ŝ/N), per
// eigen-direction j:
//
//	K steps of GD:  (1 − ηλ_j)^{2K} + (σ_ε²/N)(1 − (1 − ηλ_j)^K)²/λ_j
//	ridge r:        ρ²/(λ_j + ρ)² + (σ_ε²/N) λ_j/(λ_j + ρ)²,  ρ = r/N
//	min-norm LS:    1 if λ_j = 0, else (σ_ε²/N)/λ_j
//
// and MSE = σ² Σ_j (…) + σ_ε².
type Spectra struct {
	Spec   Spec
	Lambda []float64 // n×d eigenvalues, task-major
}

// SampleSpectra draws n context inputs from spec s and keeps the spectra of their
// Ŝ.
func SampleSpectra(s Spec, n int, r *rand.Rand) (*Spectra, error) {
	dist, err := NewDistribution("spectra", s)
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("icl: spectra of %d tasks, want at least 1", n)
	}
	d := s.D
	sp := &Spectra{Spec: s, Lambda: make([]float64, 0, n*d)}
	t := NewTask(s)
	S := mat.NewSymDense(d, nil)
	var eig mat.EigenSym
	for range n {
		dist.SampleInto(r, t)
		for a := range d {
			for b := a; b < d; b++ {
				var v float64
				for i := range s.N {
					x := t.Input(i)
					v += x[a] * x[b]
				}
				S.SetSym(a, b, v/float64(s.N))
			}
		}
		if !eig.Factorize(S, false) {
			return nil, fmt.Errorf("icl: eigen-decomposition of Ŝ did not converge")
		}
		for _, l := range eig.Values(nil) {
			sp.Lambda = append(sp.Lambda, math.Max(l, 0))
		}
	}
	return sp, nil
}

// tasks is the number of spectra.
func (sp *Spectra) tasks() int { return len(sp.Lambda) / sp.Spec.D }

// mse turns the mean per-task Σ_j term into an MSE.
func (sp *Spectra) mse(sum float64) float64 {
	return sp.Spec.InputVariance()*sum/float64(sp.tasks()) + sp.Spec.Noise*sp.Spec.Noise
}

// zeroEig is the cut-off below which an eigenvalue of Ŝ counts as zero.
func (sp *Spectra) zeroEig() float64 { return 1e-12 * sp.Spec.InputVariance() }

// GDLoss is the MSE of K steps of gradient descent from W = 0 with learning rate
// eta.
func (sp *Spectra) GDLoss(eta float64, steps int) float64 {
	noise := sp.Spec.Noise * sp.Spec.Noise / float64(sp.Spec.N)
	var sum float64
	for _, l := range sp.Lambda {
		p := powi(1-eta*l, steps)
		sum += p * p
		if l > sp.zeroEig() {
			sum += noise * (1 - p) * (1 - p) / l
		}
	}
	return sp.mse(sum)
}

// RidgeLoss is the MSE of ridge regression with regulariser r > 0 ([Ridge]).
func (sp *Spectra) RidgeLoss(r float64) float64 {
	noise := sp.Spec.Noise * sp.Spec.Noise / float64(sp.Spec.N)
	rho := r / float64(sp.Spec.N)
	var sum float64
	for _, l := range sp.Lambda {
		q := l + rho
		sum += (rho*rho + noise*l) / (q * q)
	}
	return sp.mse(sum)
}

// LeastSquaresLoss is the MSE of the minimum-norm least-squares solution, the limit
// of gradient descent from 0. Without noise and with N ≥ d it is 0; with noise and
// N = d it has no finite mean (the smallest eigenvalue of Ŝ has mass near 0), and
// the sample average is dominated by its worst task.
func (sp *Spectra) LeastSquaresLoss() float64 {
	noise := sp.Spec.Noise * sp.Spec.Noise / float64(sp.Spec.N)
	var sum float64
	for _, l := range sp.Lambda {
		if l > sp.zeroEig() {
			sum += noise / l
		} else {
			sum++
		}
	}
	return sp.mse(sum)
}

// TuneGD returns the learning rate minimising the K-step GD loss on these spectra
// and that loss: a scan of 64 rates on (0, 4η₁*] (η₁* the one-step optimum)
// refined by golden-section search around the best, to a relative width of 1e-8. For K = 1 it converges to the
// closed form η* as the number of spectra grows.
func (sp *Spectra) TuneGD(steps int) (eta, mse float64) {
	hi := 4 * sp.Spec.OptimalEta()
	const grid = 64
	best, bestLoss := 0.0, math.Inf(1)
	for i := 1; i <= grid; i++ {
		e := hi * float64(i) / grid
		if l := sp.GDLoss(e, steps); l < bestLoss {
			best, bestLoss = e, l
		}
	}
	a, b := math.Max(best-hi/grid, 0), best+hi/grid
	const phi = 0.6180339887498949
	c, d := b-phi*(b-a), a+phi*(b-a)
	fc, fd := sp.GDLoss(c, steps), sp.GDLoss(d, steps)
	for range 40 {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - phi*(b-a)
			fc = sp.GDLoss(c, steps)
		} else {
			a, c, fc = c, d, fd
			d = a + phi*(b-a)
			fd = sp.GDLoss(d, steps)
		}
	}
	eta = (a + b) / 2
	return eta, sp.GDLoss(eta, steps)
}

// powi is x^k for k ≥ 0 by repeated squaring.
func powi(x float64, k int) float64 {
	p := 1.0
	for k > 0 {
		if k&1 == 1 {
			p *= x
		}
		x *= x
		k >>= 1
	}
	return p
}
