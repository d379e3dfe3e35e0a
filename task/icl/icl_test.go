package icl

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func sample(t testing.TB, s Spec, n int, seed uint64) []*Task {
	t.Helper()
	d, err := NewDistribution("test", s)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	tasks := make([]*Task, n)
	for i := range tasks {
		tasks[i] = d.Sample(r)
	}
	return tasks
}

// meanSE returns the mean of f over tasks and its standard error.
func meanSE(tasks []*Task, f func(*Task) float64) (mean, se float64) {
	var s, s2 float64
	for _, t := range tasks {
		v := f(t)
		s += v
		s2 += v * v
	}
	n := float64(len(tasks))
	mean = s / n
	return mean, math.Sqrt(math.Max(s2/n-mean*mean, 0) / n)
}

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

// referenceSpectra are 2·10⁴ spectra of the reference setting, shared by tests.
var referenceSpectra = sync.OnceValues(func() (*Spectra, error) {
	return SampleSpectra(Reference(), 20000, rand.New(rand.NewPCG(2, 2)))
})

// The closed forms reproduce the reference table (d = N = 10, U(−0.5, 0.5)).
func TestClosedFormsReferenceTable(t *testing.T) {
	s := Reference()
	tests := []struct {
		name      string
		got, want float64
	}{
		{"zero predictor MSE", s.ZeroLoss(), 0.83333},
		{"zero predictor ½·MSE", s.ZeroLoss() / 2, 0.41667},
		{"η*", s.OptimalEta(), 6.0606},
		{"η*/N", s.OptimalEta() / float64(s.N), 0.60606},
		{"one GD step at η*, MSE", s.OptimalGDLoss(), 0.41246},
		{"one GD step at η*, ½·MSE", s.OptimalGDLoss() / 2, 0.20623},
		{"MSE(η*) via MSE(η)", s.GDLoss(s.OptimalEta()), 0.41246},
		{"MSE(0) is the zero predictor", s.GDLoss(0), 0.83333},
	}
	for _, tc := range tests {
		if math.Abs(tc.got-tc.want) > 5e-5 {
			t.Errorf("%s = %.6f, want %.5f", tc.name, tc.got, tc.want)
		}
	}
	// The noiseless closed form of the reference: σ²d(d+κ−2)/(N+d+κ−2).
	s2, d, n := s.InputVariance(), float64(s.D), float64(s.N)
	if want := s2 * d * (d + Kurtosis - 2) / (n + d + Kurtosis - 2); math.Abs(s.OptimalGDLoss()-want) > 1e-15 {
		t.Errorf("MSE(η*) = %v, want σ²d(d+κ−2)/(N+d+κ−2) = %v", s.OptimalGDLoss(), want)
	}
}

// The closed form of one GD step agrees with Monte-Carlo on 2·10⁴ sampled tasks to
// within 1% (and four standard errors), with and without label noise and for
// learning rates on both sides of η*. The query is integrated out exactly
// (QueryError); w, the context and the noise are sampled.
func TestClosedFormMatchesMonteCarlo(t *testing.T) {
	specs := []Spec{
		Reference(),
		{D: 10, N: 10, Scale: 0.5, Noise: 0.3},
		{D: 5, N: 20, Scale: 1, Noise: 0.1},
		{D: 10, N: 5, Scale: 0.5},
	}
	for _, s := range specs {
		tasks := sample(t, s, 20000, 11)
		for _, f := range []float64{0.5, 1, 1.5} {
			eta := f * s.OptimalEta()
			var w []float64
			mc, se := meanSE(tasks, func(task *Task) float64 {
				w = GD(task, eta, 1, w)
				return QueryError(task, w)
			})
			want := s.GDLoss(eta)
			if relErr(mc, want) > 0.01 || math.Abs(mc-want) > 4*se {
				t.Errorf("%v, η = %.4g: Monte-Carlo MSE %.5f ± %.5f, closed form %.5f", s, eta, mc, se, want)
			}
		}
	}
}

// η* minimises the closed form, and the closed form is a parabola in η.
func TestOptimalEtaMinimises(t *testing.T) {
	for _, s := range []Spec{Reference(), {D: 3, N: 7, Scale: 2, Noise: 0.5}} {
		e := s.OptimalEta()
		for _, de := range []float64{-0.1, -1e-3, 1e-3, 0.1} {
			if s.GDLoss(e+de) <= s.GDLoss(e) {
				t.Errorf("%v: MSE(η*%+g) = %v ≤ MSE(η*) = %v", s, de, s.GDLoss(e+de), s.GDLoss(e))
			}
		}
		if got := s.GDLoss(e); math.Abs(got-s.OptimalGDLoss()) > 1e-12 {
			t.Errorf("%v: GDLoss(η*) = %v, OptimalGDLoss = %v", s, got, s.OptimalGDLoss())
		}
	}
}

// The spectral losses reproduce the reference table's tuned K-step GD and ridge
// values, and the closed form of one step.
func TestSpectraReproduceReferenceTable(t *testing.T) {
	sp, err := referenceSpectra()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sp.GDLoss(Reference().OptimalEta(), 1), Reference().OptimalGDLoss(); relErr(got, want) > 0.003 {
		t.Errorf("one step at η*: spectral MSE %.5f, closed form %.5f", got, want)
	}
	eta1, mse1 := sp.TuneGD(1)
	if relErr(eta1, Reference().OptimalEta()) > 0.01 || relErr(mse1, 0.41246) > 0.003 {
		t.Errorf("tuned one step: η = %.4f, MSE = %.5f; want η* = 6.0606, 0.41246", eta1, mse1)
	}
	for _, tc := range []struct {
		steps int
		want  float64
	}{{2, 0.3127}, {3, 0.2652}, {4, 0.2361}, {5, 0.2168}} {
		eta, got := sp.TuneGD(tc.steps)
		if relErr(got, tc.want) > 0.01 {
			t.Errorf("GD, %d steps, tuned η = %.4f: MSE %.4f, reference %.4f", tc.steps, eta, got, tc.want)
		}
	}
	for _, tc := range []struct{ r, want float64 }{
		{1e-4, 0.0066}, {1e-3, 0.0201}, {1e-2, 0.0559}, {1e-1, 0.1507}, {1, 0.4014},
	} {
		if got := sp.RidgeLoss(tc.r); relErr(got, tc.want) > 0.02 {
			t.Errorf("ridge r = %g: MSE %.4f, reference %.4f", tc.r, got, tc.want)
		}
	}
	if got := sp.LeastSquaresLoss(); got != 0 {
		t.Errorf("noiseless least squares with N = d: MSE %v, want 0", got)
	}
}

// The spectral losses agree with losses of the algorithms run on sampled tasks: an
// independent check of the filter formulas, with and without noise.
func TestSpectraMatchSampledAlgorithms(t *testing.T) {
	for _, s := range []Spec{Reference(), {D: 8, N: 16, Scale: 0.5, Noise: 0.2}} {
		sp, err := referenceSpectra()
		if s != Reference() {
			sp, err = SampleSpectra(s, 10000, rand.New(rand.NewPCG(3, 3)))
		}
		if err != nil {
			t.Fatal(err)
		}
		tasks := sample(t, s, 10000, 4)
		for _, steps := range []int{2, 5} {
			eta, want := sp.TuneGD(steps)
			var w []float64
			got, se := meanSE(tasks, func(task *Task) float64 {
				w = GD(task, eta, steps, w)
				return QueryError(task, w)
			})
			spSE := spectralSE(sp, func(b *Spectra) float64 { return b.GDLoss(eta, steps) })
			if relErr(got, want) > 0.05 || math.Abs(got-want) > 4*math.Hypot(se, spSE) {
				t.Errorf("%v: %d GD steps at η = %.4f: sampled MSE %.5f ± %.5f, spectral %.5f ± %.5f", s, steps, eta, got, se, want, spSE)
			}
		}
		for _, r := range []float64{0.01, 1} {
			got, se := meanSE(tasks[:4000], func(task *Task) float64 {
				w, ok := Ridge(task, r)
				if !ok {
					t.Fatalf("ridge r = %g failed", r)
				}
				return QueryError(task, w)
			})
			want := sp.RidgeLoss(r)
			spSE := spectralSE(sp, func(b *Spectra) float64 { return b.RidgeLoss(r) })
			if relErr(got, want) > 0.05 || math.Abs(got-want) > 4*math.Hypot(se, spSE) {
				t.Errorf("%v: ridge r = %g: sampled MSE %.5f ± %.5f, spectral %.5f ± %.5f", s, r, got, se, want, spSE)
			}
		}
	}
}

// spectralSE estimates the standard error of a spectral loss from 20 blocks.
func spectralSE(sp *Spectra, f func(*Spectra) float64) float64 {
	const blocks = 20
	d := sp.Spec.D
	per := len(sp.Lambda) / d / blocks
	var s, s2 float64
	for b := range blocks {
		v := f(&Spectra{Spec: sp.Spec, Lambda: sp.Lambda[b*per*d : (b+1)*per*d]})
		s += v
		s2 += v * v
	}
	m := s / blocks
	return math.Sqrt((s2/blocks - m*m) / (blocks - 1))
}

// GD++ with the reference's tuned η = 13.5, γ = 0.18 reaches the table's MSE for
// K = 2, and with γ = 0 it is exactly K-step GD.
func TestGDPlusPlus(t *testing.T) {
	tasks := sample(t, Reference(), 10000, 5)
	got, se := meanSE(tasks, func(task *Task) float64 { return QueryError(task, GDPlusPlus(task, 13.5, 0.18, 2)) })
	if relErr(got, 0.2232) > 0.02 {
		t.Errorf("GD++ K = 2: MSE %.4f ± %.4f, reference 0.2232", got, se)
	}
	for _, task := range tasks[:50] {
		for _, steps := range []int{1, 3} {
			pp, gd := GDPlusPlus(task, 5, 0, steps), GD(task, 5, steps, nil)
			for j := range pp {
				if math.Abs(pp[j]-gd[j]) > 1e-12*(1+math.Abs(gd[j])) {
					t.Fatalf("GD++ with γ = 0, %d steps: weight %d = %v, GD gives %v", steps, j, pp[j], gd[j])
				}
			}
		}
	}
	// The prediction is linear in the query: the weights predict what the token
	// updates compute for any query.
	task := tasks[0]
	v := GDPlusPlus(task, 13.5, 0.18, 2)
	if got, want := Dot(v, task.Query), gdppTokens(task, 13.5, 0.18, 2); math.Abs(got-want) > 1e-12 {
		t.Errorf("GD++ weights predict %v, token updates %v", got, want)
	}
}

// gdppTokens runs GD++ literally on the tokens, query included, and returns minus
// the query's final label.
func gdppTokens(t *Task, eta, gamma float64, steps int) float64 {
	d, n := t.Spec.D, t.Spec.N
	xs := make([][]float64, n+1)
	ys := make([]float64, n+1)
	for i := range n {
		xs[i] = append([]float64(nil), t.Input(i)...)
		ys[i] = t.Y[i]
	}
	xs[n] = append([]float64(nil), t.Query...)
	for range steps {
		nx := make([][]float64, n+1)
		ny := make([]float64, n+1)
		for j := range n + 1 {
			nx[j] = append([]float64(nil), xs[j]...)
			ny[j] = ys[j]
			for i := range n {
				dt := Dot(xs[i], xs[j])
				ny[j] -= eta / float64(n) * ys[i] * dt
				for a := range d {
					nx[j][a] -= gamma * xs[i][a] * dt
				}
			}
		}
		xs, ys = nx, ny
	}
	return -ys[n]
}

// Exact least squares recovers w without noise when N ≥ d (also when X is close to
// singular), returns the minimum-norm solution when N < d, and agrees with the
// SVD-based posterior mean; gradient descent from 0 converges to it.
func TestLeastSquares(t *testing.T) {
	t.Run("N ≥ d recovers w", func(t *testing.T) {
		for _, s := range []Spec{Reference(), {D: 4, N: 9, Scale: 1}} {
			var worst float64
			for _, task := range sample(t, s, 2000, 6) {
				w, rank := LeastSquares(task)
				if rank != s.D {
					t.Fatalf("%v: rank %d, want %d", s, rank, s.D)
				}
				for j := range w {
					worst = math.Max(worst, math.Abs(w[j]-task.W[j]))
				}
			}
			// N = d: XᵀX is often near-singular; pivoted QR in float64 still recovers w.
			if worst > 1e-6 {
				t.Errorf("%v: max |w_LS − w| = %g", s, worst)
			}
		}
	})
	t.Run("N < d gives the minimum-norm interpolant", func(t *testing.T) {
		s := Spec{D: 6, N: 3, Scale: 0.5}
		for _, task := range sample(t, s, 100, 7) {
			w, rank := LeastSquares(task)
			if rank != s.N {
				t.Fatalf("rank %d, want %d", rank, s.N)
			}
			if l := Loss(task, w); l > 1e-20 {
				t.Fatalf("in-context loss %g at the interpolant, want 0", l)
			}
			pm := PosteriorMean(task)
			gd := GD(task, 40, 4000, nil)
			for j := range w {
				if math.Abs(w[j]-pm[j]) > 1e-9 || math.Abs(w[j]-gd[j]) > 1e-6 {
					t.Fatalf("weight %d: least squares %v, posterior mean %v, GD limit %v", j, w[j], pm[j], gd[j])
				}
			}
		}
	})
	t.Run("noiseless posterior mean is least squares", func(t *testing.T) {
		for _, task := range sample(t, Spec{D: 5, N: 8, Scale: 0.5}, 200, 8) {
			w, _ := LeastSquares(task)
			pm := PosteriorMean(task)
			for j := range w {
				if math.Abs(w[j]-pm[j]) > 1e-9 {
					t.Fatalf("weight %d: least squares (QR) %v, posterior mean (SVD) %v", j, w[j], pm[j])
				}
			}
		}
	})
}

// With label noise the posterior mean (SVD) equals ridge with r = σ_ε² (Cholesky),
// two independent computations, and it has the lowest MSE of the ridge family.
func TestPosteriorMeanIsRidgeAndOptimal(t *testing.T) {
	s := Spec{D: 10, N: 10, Scale: 0.5, Noise: 0.3}
	tasks := sample(t, s, 5000, 9)
	for _, task := range tasks[:200] {
		pm := PosteriorMean(task)
		rd, ok := Ridge(task, s.Noise*s.Noise)
		if !ok {
			t.Fatal("ridge failed")
		}
		for j := range pm {
			if math.Abs(pm[j]-rd[j]) > 1e-10*(1+math.Abs(rd[j])) {
				t.Fatalf("weight %d: posterior mean %v, ridge(σ²) %v", j, pm[j], rd[j])
			}
		}
	}
	loss := func(f func(*Task) []float64) float64 {
		m, _ := meanSE(tasks, func(task *Task) float64 { return QueryError(task, f(task)) })
		return m
	}
	bayes := loss(PosteriorMean)
	for _, r := range []float64{s.Noise * s.Noise / 3, s.Noise * s.Noise * 3} {
		other := loss(func(task *Task) []float64 { w, _ := Ridge(task, r); return w })
		if other <= bayes {
			t.Errorf("ridge r = %g: MSE %v ≤ Bayes %v", r, other, bayes)
		}
	}
	if gd := loss(func(task *Task) []float64 { return GD(task, s.OptimalEta(), 1, nil) }); gd <= bayes {
		t.Errorf("one GD step at η*: MSE %v ≤ Bayes %v", gd, bayes)
	}
}

// The predictive variance is σ_ε² + x_qᵀ σ_ε²(XᵀX + σ_ε²I)⁻¹ x_q, 0 without noise
// when N ≥ d, and the squared norm of x_q's null-space part when N < d.
func TestPredictiveVariance(t *testing.T) {
	t.Run("noisy", func(t *testing.T) {
		s := Spec{D: 4, N: 6, Scale: 0.5, Noise: 0.4}
		for _, task := range sample(t, s, 50, 10) {
			x := mat.NewDense(s.N, s.D, task.X)
			var a mat.Dense
			a.Mul(x.T(), x)
			for j := range s.D {
				a.Set(j, j, a.At(j, j)+s.Noise*s.Noise)
			}
			var sol mat.VecDense
			if err := sol.SolveVec(&a, mat.NewVecDense(s.D, task.Query)); err != nil {
				t.Fatal(err)
			}
			want := s.Noise*s.Noise*mat.Dot(&sol, mat.NewVecDense(s.D, task.Query)) + s.Noise*s.Noise
			if got := PredictiveVariance(task); math.Abs(got-want) > 1e-12 {
				t.Fatalf("predictive variance %v, want %v", got, want)
			}
		}
	})
	t.Run("noiseless, N ≥ d", func(t *testing.T) {
		for _, task := range sample(t, Reference(), 50, 11) {
			if got := PredictiveVariance(task); got > 1e-20 {
				t.Fatalf("predictive variance %v, want 0", got)
			}
		}
	})
	t.Run("noiseless, N < d", func(t *testing.T) {
		s := Spec{D: 3, N: 1, Scale: 0.5}
		for _, task := range sample(t, s, 50, 12) {
			x := task.Input(0)
			p := Dot(x, task.Query) / Dot(x, x)
			var want float64
			for j := range x {
				r := task.Query[j] - p*x[j]
				want += r * r
			}
			if got := PredictiveVariance(task); math.Abs(got-want) > 1e-12 {
				t.Fatalf("predictive variance %v, want ‖x_q⊥‖² = %v", got, want)
			}
		}
	})
}

// The Bayes bridge: u* peaks at the Bayes prediction, the probe outputs are kept,
// and −E[u*(ŷ)] over tasks estimates the MSE of ŷ.
func TestBridge(t *testing.T) {
	s := Spec{D: 5, N: 5, Scale: 0.5, Noise: 0.2}
	dist, err := NewDistribution("noisy", s)
	if err != nil {
		t.Fatal(err)
	}
	b := Bridge(dist, func(task *Task) []float64 { return []float64{0, 1} })
	if len(b.Missing()) != 0 {
		t.Fatalf("bridge misses %v", b.Missing())
	}
	r := rand.New(rand.NewPCG(1, 1))
	var negU, sq float64
	const n = 20000
	for range n {
		task := dist.Sample(r)
		outs := b.Outputs(task)
		if len(outs) != 3 || outs[0] != 0 || outs[1] != 1 || math.Abs(outs[2]-BayesPrediction(task)) > 1e-10 {
			t.Fatalf("outputs %v, want [0 1 Bayes]", outs)
		}
		mu := outs[2]
		for _, o := range []float64{mu - 0.1, mu + 0.1, 0} {
			if b.Utility(task, o) >= b.Utility(task, mu) {
				t.Fatalf("u*(%v) ≥ u*(Bayes %v)", o, mu)
			}
		}
		yhat := Dot(GD(task, s.OptimalEta(), 1, nil), task.Query)
		negU -= b.Utility(task, yhat)
		sq += (yhat - task.Target) * (yhat - task.Target)
	}
	if relErr(negU/n, sq/n) > 0.03 {
		t.Errorf("−E[u*(ŷ)] = %v, sampled MSE %v", negU/n, sq/n)
	}
	if relErr(negU/n, s.OptimalGDLoss()) > 0.03 {
		t.Errorf("−E[u*(ŷ)] = %v, closed-form MSE %v", negU/n, s.OptimalGDLoss())
	}
}

// Sampling is deterministic and SampleInto does not allocate.
func TestSampleInto(t *testing.T) {
	dist, err := NewDistribution("train", Reference())
	if err != nil {
		t.Fatal(err)
	}
	a := dist.Sample(rand.New(rand.NewPCG(5, 5)))
	b := NewTask(Reference())
	dist.SampleInto(rand.New(rand.NewPCG(5, 5)), b)
	if a.Target != b.Target || a.X[37] != b.X[37] || a.W[3] != b.W[3] {
		t.Fatal("equal seeds gave different tasks")
	}
	for _, x := range append(append([]float64(nil), a.X...), a.Query...) {
		if math.Abs(x) > 0.5 {
			t.Fatalf("input %v outside [−0.5, 0.5]", x)
		}
	}
	r := rand.New(rand.NewPCG(6, 6))
	if n := testing.AllocsPerRun(100, func() { dist.SampleInto(r, b) }); n != 0 {
		t.Errorf("SampleInto allocates %v times", n)
	}
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{D: 0, N: 10, Scale: 0.5}, "input dimension d = 0"},
		{Spec{D: 10, N: 0, Scale: 0.5}, "context size N = 0"},
		{Spec{D: 10, N: MaxDim + 1, Scale: 0.5}, "context size N"},
		{Spec{D: 10, N: 10, Scale: 0}, "input scale a = 0"},
		{Spec{D: 10, N: 10, Scale: math.NaN()}, "input scale a = NaN"},
		{Spec{D: 10, N: 10, Scale: 0.5, Noise: -1}, "label noise σ_ε = -1"},
		{Spec{D: 10, N: 10, Scale: 0.5, Noise: math.Inf(1)}, "label noise"},
	}
	for _, tc := range tests {
		_, err := NewDistribution("x", tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "distribution x") {
			t.Errorf("%+v: error %v, want one naming %q and the distribution", tc.spec, err, tc.want)
		}
	}
	if err := Reference().Validate(); err != nil {
		t.Errorf("reference spec: %v", err)
	}
	if _, err := SampleSpectra(Reference(), 0, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("spectra of 0 tasks accepted")
	}
}

// The posterior of the bridge (one full SVD) predicts what the posterior mean
// (thin SVD solve) predicts, and its variance is PredictiveVariance's.
func TestPosteriorConsistent(t *testing.T) {
	for _, s := range []Spec{Reference(), {D: 6, N: 3, Scale: 0.5}, {D: 4, N: 9, Scale: 1, Noise: 0.3}, {D: 7, N: 2, Scale: 0.5, Noise: 0.1}} {
		for _, task := range sample(t, s, 100, 13) {
			p := NewPosterior(task)
			if want := Dot(PosteriorMean(task), task.Query); math.Abs(p.Prediction-want) > 1e-10*(1+math.Abs(want)) {
				t.Fatalf("%v: posterior prediction %v, posterior mean · x_q %v", s, p.Prediction, want)
			}
			if p.Variance != PredictiveVariance(task) || p.Variance < s.Noise*s.Noise {
				t.Fatalf("%v: variance %v, PredictiveVariance %v", s, p.Variance, PredictiveVariance(task))
			}
		}
	}
}
