package compare

import "math"

// Accumulator computes a weighted Pearson correlation ρ between two utilities over
// (task, output) pairs, one task at a time, and the Pearson distance √((1−ρ)/2)
// (Gleave et al., "Quantifying Differences in Reward Functions", ICLR 2021, §4).
//
// With AddCentred each task's utilities are centred over its outputs first, which
// makes the distance invariant to a per-task additive constant and to positive
// rescaling: it is EPIC with γ = 0 on one-step tasks.
//
// Degenerate cases are defined, never NaN: if both sides have zero variance they
// agree (ρ = 1, distance 0); if exactly one has, ρ = 0 (distance √½ ≈ 0.7071),
// since a constant utility expresses no preference to agree or disagree with.
type Accumulator struct {
	w, x, y, xx, yy, xy float64
}

// Add adds one pair (x, y) with weight w ≥ 0.
func (a *Accumulator) Add(x, y, w float64) {
	a.w += w
	a.x += w * x
	a.y += w * y
	a.xx += w * x * x
	a.yy += w * y * y
	a.xy += w * x * y
}

// AddCentred adds one task: utilities u and v over the same outputs, each centred
// over the outputs where both are finite (an output with u or v = ±∞, such as one
// no mesa candidate decodes to, is left out). The task's weight w is spread evenly
// over those outputs.
func (a *Accumulator) AddCentred(u, v []float64, w float64) {
	var n int
	var mu, mv float64
	for k := range u {
		if finite(u[k]) && finite(v[k]) {
			n++
			mu += u[k]
			mv += v[k]
		}
	}
	if n == 0 {
		return
	}
	mu /= float64(n)
	mv /= float64(n)
	wk := w / float64(n)
	for k := range u {
		if finite(u[k]) && finite(v[k]) {
			a.Add(u[k]-mu, v[k]-mv, wk)
		}
	}
}

// Rho returns the weighted correlation with the degenerate cases of the type doc.
func (a *Accumulator) Rho() float64 {
	if a.w <= 0 {
		return 1
	}
	mx, my := a.x/a.w, a.y/a.w
	vx := a.xx/a.w - mx*mx
	vy := a.yy/a.w - my*my
	cov := a.xy/a.w - mx*my
	// Variances this small relative to the second moments are rounding noise.
	zx := vx <= 1e-12*(a.xx/a.w)+1e-300
	zy := vy <= 1e-12*(a.yy/a.w)+1e-300
	switch {
	case zx && zy:
		return 1
	case zx || zy:
		return 0
	}
	return math.Max(-1, math.Min(1, cov/math.Sqrt(vx*vy)))
}

// Distance returns √((1−ρ)/2) ∈ [0, 1].
func (a *Accumulator) Distance() float64 { return math.Sqrt((1 - a.Rho()) / 2) }

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
