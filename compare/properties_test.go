package compare

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// drawShape draws a small MDP shape.
func drawShape(t *rapid.T) (S, A int) {
	return rapid.IntRange(2, 6).Draw(t, "S"), rapid.IntRange(1, 4).Draw(t, "A")
}

// drawReward draws entries in [−10, 10] on a grid of 1/16: a reward either has a
// canonical form of a size well above rounding, or none at all. (A reward of
// size 1e-9 shaped by a potential of size 1 is numerically indistinguishable from
// pure shaping; that limit is not what the properties are about.)
func drawReward(t *rapid.T, S, A int, label string) Reward {
	r := rapid.SliceOfN(rapid.IntRange(-160, 160), S*A*S, S*A*S).Draw(t, label)
	out := make([]float64, len(r))
	for i, v := range r {
		out[i] = float64(v) / 16
	}
	return Reward{S: S, A: A, R: out}
}

// drawDist draws a distribution over n outcomes whose probabilities are 0 or at
// least 1/(8n) (weights of 1e-14 make every variance rounding noise).
func drawDist(t *rapid.T, n int, label string) []float64 {
	k := rapid.SliceOfN(rapid.IntRange(0, 8), n, n).Draw(t, label)
	k[rapid.IntRange(0, n-1).Draw(t, label+"-support")]++
	w := make([]float64, n)
	for i, v := range k {
		w[i] = float64(v)
	}
	var sum float64
	for _, x := range w {
		sum += x
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

func drawTransitions(t *rapid.T, S, A int) []float64 {
	T := make([]float64, S*A*S)
	for sa := range S * A {
		copy(T[sa*S:(sa+1)*S], drawDist(t, S, "T"))
	}
	return T
}

// drawEquivalent returns c·(R + γΦ(s′) − Φ(s)) + shift for a drawn Φ, c > 0, shift.
func drawEquivalent(t *rapid.T, r Reward, gamma float64) Reward {
	phi := rapid.SliceOfN(rapid.Float64Range(-100, 100), r.S, r.S).Draw(t, "Φ")
	c := rapid.Float64Range(0.01, 100).Draw(t, "scale")
	shift := rapid.Float64Range(-100, 100).Draw(t, "shift")
	if gamma == 1 {
		shift = 0 // a constant is shaping only when γ < 1; EPIC removes it anyway
	}
	return r.Shaped(gamma, phi).Affine(c, shift)
}

// redistribute adds to R a noise whose expectation over S′ ∼ T(s,a) is zero.
func redistribute(t *rapid.T, r Reward, T []float64) Reward {
	noise := rapid.SliceOfN(rapid.Float64Range(-10, 10), len(r.R), len(r.R)).Draw(t, "redistribution")
	out := make([]float64, len(r.R))
	for sa := range r.S * r.A {
		var e float64
		for s2 := range r.S {
			e += T[sa*r.S+s2] * noise[sa*r.S+s2]
		}
		for s2 := range r.S {
			out[sa*r.S+s2] = r.R[sa*r.S+s2] + noise[sa*r.S+s2] - e
		}
	}
	return Reward{S: r.S, A: r.A, R: out}
}

// nondegenerate reports whether R's EPIC canonical form is far from constant.
func nondegenerate(t *rapid.T, r Reward, gamma float64) bool {
	e, err := NewEPIC(r.S, r.A, gamma, Dists{})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.Canonicalize(r, nil)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range c {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return hi-lo > 1e-3
}

// mustOf returns a function that fails t on an error and passes the number on.
func mustOf(t *rapid.T) func(float64, error) float64 {
	return func(d float64, err error) float64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
}

func TestEPICProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mustDist := mustOf(t)
		S, A := drawShape(t)
		gamma := rapid.Float64Range(0, 1).Draw(t, "γ")
		r := drawReward(t, S, A, "R")
		var d Dists
		if rapid.Bool().Draw(t, "non-uniform") {
			d = Dists{States: drawDist(t, S, "D_S"), Actions: drawDist(t, A, "D_A")}
			if rapid.Bool().Draw(t, "coverage") {
				d.Coverage = drawDist(t, S*A*S, "D")
			}
		}
		eq := drawEquivalent(t, r, gamma)
		if got := mustDist(EPICDistance(r, eq, gamma, d, PotentialShaping)); !(got < 1e-6) {
			t.Fatalf("EPIC(R, shaped and rescaled R) = %g, want < 1e-6", got)
		}
		if nondegenerate(t, r, gamma) && d.Coverage == nil {
			if got := mustDist(EPICDistance(r, r.Affine(-1, 0), gamma, d, PotentialShaping)); math.Abs(got-1) > 1e-12 {
				t.Fatalf("EPIC(R, −R) = %v, want 1", got)
			}
		}
		b, c := drawReward(t, S, A, "B"), drawReward(t, S, A, "C")
		ab := mustDist(EPICDistance(r, b, gamma, d, PotentialShaping))
		ba := mustDist(EPICDistance(b, r, gamma, d, PotentialShaping))
		if ab != ba {
			t.Fatalf("EPIC not symmetric: d(R,B) = %v, d(B,R) = %v", ab, ba)
		}
		bc := mustDist(EPICDistance(b, c, gamma, d, PotentialShaping))
		ac := mustDist(EPICDistance(r, c, gamma, d, PotentialShaping))
		// √((1−ρ)/2) turns a rounding error ε in ρ into √ε near 0: a distance
		// computed as 0 may be 1e-8 (see the reference's tolerance note).
		if ac > ab+bc+1e-7 {
			t.Fatalf("triangle inequality: d(R,C) = %v > d(R,B) + d(B,C) = %v + %v", ac, ab, bc)
		}
		if ab < 0 || ab > 1 {
			t.Fatalf("EPIC = %v outside [0, 1]", ab)
		}
	})
}

func TestSTARCProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mustDist := mustOf(t)
		S, A := drawShape(t)
		gamma := rapid.Float64Range(0, 0.99).Draw(t, "γ")
		T := drawTransitions(t, S, A)
		r := drawReward(t, S, A, "R")
		opt := STARCOptions{Transitions: T}
		if rapid.Bool().Draw(t, "L1") {
			opt.Norm, opt.Metric = 1, 1
		}
		if rapid.Bool().Draw(t, "policy") {
			opt.Policy = make([]float64, S*A)
			for s := range S {
				copy(opt.Policy[s*A:(s+1)*A], drawDist(t, A, "π"))
			}
		}
		st, err := NewSTARC(S, A, gamma, opt)
		if err != nil {
			t.Fatal(err)
		}
		eq := drawEquivalent(t, redistribute(t, r, T), gamma)
		if got := mustDist(st.Distance(r, eq, ShapingRedistribution)); !(got < 1e-6) {
			t.Fatalf("STARC(R, redistributed, shaped and rescaled R) = %g, want < 1e-6", got)
		}
		b, c := drawReward(t, S, A, "B"), drawReward(t, S, A, "C")
		ab := mustDist(st.Distance(r, b, ShapingRedistribution))
		ba := mustDist(st.Distance(b, r, ShapingRedistribution))
		if math.Abs(ab-ba) > 1e-12 {
			t.Fatalf("STARC not symmetric: %v vs %v", ab, ba)
		}
		bc := mustDist(st.Distance(b, c, ShapingRedistribution))
		ac := mustDist(st.Distance(r, c, ShapingRedistribution))
		if ac > ab+bc+1e-7 {
			t.Fatalf("triangle inequality: d(R,C) = %v > %v + %v", ac, ab, bc)
		}
		if ab < 0 || ab > 1+1e-12 {
			t.Fatalf("STARC = %v outside [0, 1]", ab)
		}
		neg := mustDist(st.Distance(r, r.Affine(-1, 0), ShapingRedistribution))
		if cr, _ := st.Distance(r, Reward{S: S, A: A, R: make([]float64, S*A*S)}, ShapingRedistribution); cr != 0 && math.Abs(neg-1) > 1e-9 {
			t.Fatalf("STARC(R, −R) = %v, want 1", neg)
		}
	})
}

func TestDARDAndRegretInvariance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mustDist := mustOf(t)
		S, A := drawShape(t)
		gamma := rapid.Float64Range(0, 0.95).Draw(t, "γ")
		T := drawTransitions(t, S, A)
		r := drawReward(t, S, A, "R")
		eq := drawEquivalent(t, r, gamma)
		if got := mustDist(DARDDistance(r, eq, gamma, T, Dists{}, PotentialShaping)); !(got < 1e-6) {
			t.Fatalf("DARD(R, shaped and rescaled R) = %g, want < 1e-6", got)
		}
		eq2 := drawEquivalent(t, redistribute(t, r, T), gamma)
		for _, b := range []Reward{eq, eq2} {
			res, err := Regret(r, b, gamma, T, nil, ShapingRedistribution)
			if err != nil {
				t.Fatal(err)
			}
			if res.Normalized > 1e-9 || !res.Optimal {
				t.Fatalf("regret between equivalent rewards = %+v, want 0", res)
			}
			res, err = Regret(b, r, gamma, T, nil, ShapingRedistribution)
			if err != nil {
				t.Fatal(err)
			}
			if res.Normalized > 1e-9 || !res.Optimal {
				t.Fatalf("regret between equivalent rewards (swapped) = %+v, want 0", res)
			}
		}
	})
}
