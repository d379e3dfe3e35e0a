package compare

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab/internal/parallel"
)

// chunkEntries is the number of reward entries a unit of parallel work covers
// (rounded to whole states s). It depends only on the shape of the rewards, never
// on the number of workers, so partial sums combine in the same order on any
// machine and results are bit-identical whatever GOMAXPROCS is.
const chunkEntries = 1 << 14

// zeroScale is the relative size below which a canonical reward counts as zero:
// a canonical reward whose spread is below zeroScale·max|R| is rounding noise
// (for instance the canonicalisation of a pure potential-shaping term).
const zeroScale = 1e-10

// EPIC is the Equivalent-Policy Invariant Comparison pseudometric of Gleave et al.,
// "Quantifying Differences in Reward Functions" (ICLR 2021), Def. 4.1, prepared for
// one shape (S, A), discount γ and set of distributions; it holds the workspace,
// so repeated calls to [EPIC.Distance] allocate nothing. Build it with [NewEPIC].
// An EPIC is not safe for concurrent use.
//
// EPIC canonicalises each reward,
//
//	C(R)(s,a,s′) = R(s,a,s′) + E[γR(s′,A,S′) − R(s,A,S′) − γR(S,A,S′)],  S, S′ ∼ D_S, A ∼ D_A,
//
// which removes potential shaping (C(R + γΦ(s′) − Φ(s)) = C(R)), and compares the
// canonical rewards by the Pearson distance D_ρ = √((1 − ρ)/2) with ρ the
// correlation under the coverage distribution D over (s, a, s′). ρ is clamped to
// [−1, 1], so D_ρ ∈ [0, 1]. Computed as in the authors' tabular code,
//
//	C(R)(s,a,s′) = R(s,a,s′) + γΦ(s′) − Φ(s) − γM,  Φ(x) = Σ_{a,t} D_A(a) D_S(t) R(x,a,t),  M = Σ_x D_S(x) Φ(x),
//
// with D_S, D_A and D uniform unless given. Degenerate cases are defined: two
// rewards whose canonical forms are both constant (both trivial: every policy is
// optimal) are at distance 0; one constant and one not are at √½ (ρ = 0).
//
// EPIC honours [PositiveAffine] and [PotentialShaping]; it is not invariant to
// S′-redistribution (use [STARC]) nor to everything that keeps optimal policies
// (use [Regret]).
type EPIC struct {
	s, a   int
	gamma  float64
	ds, da []float64 // D_S, D_A (uniform filled in)
	cov    []float64 // D over (s,a,s′), nil for uniform
	wrow   []float64 // Σ_{a,s′} D(s,a,s′) per s
	wcol   []float64 // Σ_{s,a} D(s,a,s′) per s′
	wsum   float64   // Σ D

	phiA, phiB []float64 // Φ of each reward
	gA, gB     []float64 // γΦ(s′)
	hA, hB     []float64 // Φ(s) + γM + mean, subtracted per state s
	rows       int       // states per chunk
	chunks     int
	part       []float64 // per-chunk partial sums, partStride each
	x, y       []float64 // the rewards being compared
	pass1      func(int)
	pass2      func(int)
}

const partStride = 5

// NewEPIC prepares EPIC for rewards over S states and A actions with discount
// γ ∈ [0, 1] and distributions d (nil entries uniform).
func NewEPIC(states, actions int, gamma float64, d Dists) (*EPIC, error) {
	if err := checkShape(states, actions); err != nil {
		return nil, err
	}
	if !(gamma >= 0 && gamma <= 1) {
		return nil, fmt.Errorf("EPIC: discount γ = %v, want 0 ≤ γ ≤ 1", gamma)
	}
	if err := d.Validate(states, actions); err != nil {
		return nil, fmt.Errorf("EPIC: %w", err)
	}
	e := &EPIC{
		s: states, a: actions, gamma: gamma,
		ds: uniformOr(d.States, states), da: uniformOr(d.Actions, actions), cov: d.Coverage,
		wrow: make([]float64, states), wcol: make([]float64, states),
		phiA: make([]float64, states), phiB: make([]float64, states),
		gA: make([]float64, states), gB: make([]float64, states),
		hA: make([]float64, states), hB: make([]float64, states),
	}
	e.rows = max(1, chunkEntries/(actions*states))
	e.chunks = (states + e.rows - 1) / e.rows
	e.part = make([]float64, e.chunks*partStride)
	if e.cov == nil {
		for i := range e.wrow {
			e.wrow[i] = 1 / float64(states)
			e.wcol[i] = 1 / float64(states)
		}
		e.wsum = 1
	} else {
		for s := range states {
			for a := range actions {
				base := (s*actions + a) * states
				for s2, w := range e.cov[base : base+states] {
					e.wrow[s] += w
					e.wcol[s2] += w
				}
			}
			e.wsum += e.wrow[s]
		}
	}
	e.pass1, e.pass2 = e.potentials, e.moments
	return e, nil
}

// Distance returns the EPIC distance between a and b under invariance class inv,
// or a *mesalab.Incomparable when EPIC cannot honour inv. It allocates nothing.
func (e *EPIC) Distance(a, b Reward, inv Invariance) (float64, error) {
	if err := within("EPIC", inv, []Invariance{PositiveAffine, PotentialShaping},
		"EPIC's canonicalisation removes potential shaping only; use STARC for S′-redistribution or regret for argmax sets"); err != nil {
		return 0, err
	}
	if err := e.check(a, b); err != nil {
		return 0, err
	}
	e.x, e.y = a.R, b.R
	defer func() { e.x, e.y = nil, nil }()
	parallel.For(e.chunks, e.pass1)
	var sumA, sumB, maxA, maxB float64
	for c := range e.chunks {
		p := e.part[c*partStride:]
		sumA += p[0]
		sumB += p[1]
		maxA = math.Max(maxA, p[2])
		maxB = math.Max(maxB, p[3])
	}
	e.shift(e.phiA, e.gA, e.hA, sumA)
	e.shift(e.phiB, e.gB, e.hB, sumB)
	parallel.For(e.chunks, e.pass2)
	var sxx, syy, sxy float64
	for c := range e.chunks {
		p := e.part[c*partStride:]
		sxx += p[0]
		syy += p[1]
		sxy += p[2]
	}
	return pearsonDistance(sxx, syy, sxy, e.wsum, maxA, maxB), nil
}

func (e *EPIC) check(a, b Reward) error {
	for _, r := range []Reward{a, b} {
		if r.S != e.s || r.A != e.a || len(r.R) != e.s*e.a*e.s {
			return fmt.Errorf("EPIC prepared for S=%d A=%d, got a reward with S=%d A=%d and %d entries", e.s, e.a, r.S, r.A, len(r.R))
		}
	}
	return nil
}

// shift turns Φ into the per-s′ and per-s terms of the centred canonical reward:
// g(s′) = γΦ(s′) and h(s) = Φ(s) + γM + μ, where μ is the D-mean of C(R), so that
// C(R)(s,a,s′) − μ = R(s,a,s′) + g(s′) − h(s).
func (e *EPIC) shift(phi, g, h []float64, sumWR float64) {
	var m, col, row float64
	for x, p := range phi {
		m += e.ds[x] * p
		col += e.wcol[x] * p
		row += e.wrow[x] * p
	}
	mean := (sumWR+e.gamma*col-row)/e.wsum - e.gamma*m
	for x, p := range phi {
		g[x] = e.gamma * p
		h[x] = p + e.gamma*m + mean
	}
}

// potentials is pass 1 over chunk c: Φ(s) of both rewards for the chunk's states,
// and the chunk's Σ D·R and max |R|.
func (e *EPIC) potentials(c int) {
	S, A := e.s, e.a
	var sumA, sumB, maxA, maxB float64
	for s := c * e.rows; s < min(S, (c+1)*e.rows); s++ {
		var phiA, phiB float64
		for a := range A {
			base := (s*A + a) * S
			xa, xb := e.x[base:base+S], e.y[base:base+S]
			var da, db, wa, wb, ma, mb float64
			if e.cov == nil {
				da, wa, ma = rowStats(xa, e.ds)
				db, wb, mb = rowStats(xb, e.ds)
			} else {
				w := e.cov[base : base+S]
				da, wa, ma = rowStatsW(xa, e.ds, w)
				db, wb, mb = rowStatsW(xb, e.ds, w)
			}
			phiA += e.da[a] * da
			phiB += e.da[a] * db
			sumA += wa
			sumB += wb
			maxA = math.Max(maxA, ma)
			maxB = math.Max(maxB, mb)
		}
		e.phiA[s], e.phiB[s] = phiA, phiB
	}
	if e.cov == nil {
		n := float64(S * A * S)
		sumA, sumB = sumA/n, sumB/n
	}
	p := e.part[c*partStride:]
	p[0], p[1], p[2], p[3] = sumA, sumB, maxA, maxB
}

// moments is pass 2 over chunk c: the D-weighted centred second moments of the
// two canonical rewards.
func (e *EPIC) moments(c int) {
	S, A := e.s, e.a
	var sxx, syy, sxy float64
	for s := c * e.rows; s < min(S, (c+1)*e.rows); s++ {
		for a := range A {
			base := (s*A + a) * S
			xa, xb := e.x[base:base+S], e.y[base:base+S]
			var xx, yy, xy float64
			if e.cov == nil {
				xx, yy, xy = rowMoments(xa, xb, e.gA, e.gB, e.hA[s], e.hB[s])
			} else {
				xx, yy, xy = rowMomentsW(xa, xb, e.gA, e.gB, e.cov[base:base+S], e.hA[s], e.hB[s])
			}
			sxx += xx
			syy += yy
			sxy += xy
		}
	}
	if e.cov == nil {
		n := float64(S * A * S)
		sxx, syy, sxy = sxx/n, syy/n, sxy/n
	}
	p := e.part[c*partStride:]
	p[0], p[1], p[2] = sxx, syy, sxy
}

// pearsonDistance turns D-weighted centred second moments (over total weight w)
// into √((1 − ρ)/2), with the degenerate cases of [EPIC]: a side whose standard
// deviation is below zeroScale times its scale counts as constant.
func pearsonDistance(sxx, syy, sxy, w, scaleX, scaleY float64) float64 {
	if w <= 0 {
		return 0
	}
	zx := math.Sqrt(math.Max(sxx, 0)/w) <= zeroScale*scaleX
	zy := math.Sqrt(math.Max(syy, 0)/w) <= zeroScale*scaleY
	var rho float64
	switch {
	case zx && zy:
		rho = 1
	case zx || zy:
		rho = 0
	default:
		rho = math.Max(-1, math.Min(1, sxy/math.Sqrt(sxx*syy)))
	}
	return math.Sqrt((1 - rho) / 2)
}

// rowStats returns Σ r·w, Σ r and max |r| over one row, with two independent
// accumulators each (a fixed order: the result depends on the data only).
func rowStats(r, w []float64) (dot, sum, maxabs float64) {
	w = w[:len(r)]
	var d0, d1, s0, s1, m0, m1 float64
	i := 0
	for ; i+1 < len(r); i += 2 {
		x0, x1 := r[i], r[i+1]
		d0 += x0 * w[i]
		d1 += x1 * w[i+1]
		s0 += x0
		s1 += x1
		if a := math.Abs(x0); a > m0 {
			m0 = a
		}
		if a := math.Abs(x1); a > m1 {
			m1 = a
		}
	}
	if i < len(r) {
		d0 += r[i] * w[i]
		s0 += r[i]
		if a := math.Abs(r[i]); a > m0 {
			m0 = a
		}
	}
	return d0 + d1, s0 + s1, math.Max(m0, m1)
}

// rowStatsW is rowStats with Σ r·cov in place of Σ r.
func rowStatsW(r, w, cov []float64) (dot, wsum, maxabs float64) {
	w, cov = w[:len(r)], cov[:len(r)]
	var d0, d1, s0, s1, m0, m1 float64
	i := 0
	for ; i+1 < len(r); i += 2 {
		x0, x1 := r[i], r[i+1]
		d0 += x0 * w[i]
		d1 += x1 * w[i+1]
		s0 += x0 * cov[i]
		s1 += x1 * cov[i+1]
		if a := math.Abs(x0); a > m0 {
			m0 = a
		}
		if a := math.Abs(x1); a > m1 {
			m1 = a
		}
	}
	if i < len(r) {
		d0 += r[i] * w[i]
		s0 += r[i] * cov[i]
		if a := math.Abs(r[i]); a > m0 {
			m0 = a
		}
	}
	return d0 + d1, s0 + s1, math.Max(m0, m1)
}

// rowMoments returns Σ x², Σ y², Σ xy over one row, x = ra + ga − ha and
// y = rb + gb − hb.
func rowMoments(ra, rb, ga, gb []float64, ha, hb float64) (xx, yy, xy float64) {
	rb, ga, gb = rb[:len(ra)], ga[:len(ra)], gb[:len(ra)]
	var xx0, xx1, yy0, yy1, xy0, xy1 float64
	i := 0
	for ; i+1 < len(ra); i += 2 {
		x0 := ra[i] + ga[i] - ha
		y0 := rb[i] + gb[i] - hb
		x1 := ra[i+1] + ga[i+1] - ha
		y1 := rb[i+1] + gb[i+1] - hb
		xx0 += x0 * x0
		yy0 += y0 * y0
		xy0 += x0 * y0
		xx1 += x1 * x1
		yy1 += y1 * y1
		xy1 += x1 * y1
	}
	if i < len(ra) {
		x0 := ra[i] + ga[i] - ha
		y0 := rb[i] + gb[i] - hb
		xx0 += x0 * x0
		yy0 += y0 * y0
		xy0 += x0 * y0
	}
	return xx0 + xx1, yy0 + yy1, xy0 + xy1
}

// rowMomentsW is rowMoments weighted by w.
func rowMomentsW(ra, rb, ga, gb, w []float64, ha, hb float64) (xx, yy, xy float64) {
	rb, ga, gb, w = rb[:len(ra)], ga[:len(ra)], gb[:len(ra)], w[:len(ra)]
	var xx0, xx1, yy0, yy1, xy0, xy1 float64
	i := 0
	for ; i+1 < len(ra); i += 2 {
		x0 := ra[i] + ga[i] - ha
		y0 := rb[i] + gb[i] - hb
		x1 := ra[i+1] + ga[i+1] - ha
		y1 := rb[i+1] + gb[i+1] - hb
		wx0, wx1 := w[i]*x0, w[i+1]*x1
		xx0 += wx0 * x0
		yy0 += w[i] * y0 * y0
		xy0 += wx0 * y0
		xx1 += wx1 * x1
		yy1 += w[i+1] * y1 * y1
		xy1 += wx1 * y1
	}
	if i < len(ra) {
		x0 := ra[i] + ga[i] - ha
		y0 := rb[i] + gb[i] - hb
		xx0 += w[i] * x0 * x0
		yy0 += w[i] * y0 * y0
		xy0 += w[i] * x0 * y0
	}
	return xx0 + xx1, yy0 + yy1, xy0 + xy1
}

// Canonicalize writes the EPIC canonical reward C(R) into dst (S·A·S entries,
// allocated when dst is too short) and returns it.
func (e *EPIC) Canonicalize(r Reward, dst []float64) ([]float64, error) {
	if err := e.check(r, r); err != nil {
		return nil, err
	}
	S, A := e.s, e.a
	if len(dst) < len(r.R) {
		dst = make([]float64, len(r.R))
	}
	dst = dst[:len(r.R)]
	phi := e.phiA
	var m float64
	for s := range S {
		var p float64
		for a := range A {
			base := (s*A + a) * S
			d, _, _ := rowStats(r.R[base:base+S], e.ds)
			p += e.da[a] * d
		}
		phi[s] = p
		m += e.ds[s] * p
	}
	for s := range S {
		for a := range A {
			base := (s*A + a) * S
			for s2 := range S {
				dst[base+s2] = r.R[base+s2] + e.gamma*phi[s2] - phi[s] - e.gamma*m
			}
		}
	}
	return dst, nil
}

// EPICDistance is [EPIC.Distance] for one pair: it validates both rewards and the
// distributions, prepares a workspace and compares.
func EPICDistance(a, b Reward, gamma float64, d Dists, inv Invariance) (float64, error) {
	if err := within("EPIC", inv, []Invariance{PositiveAffine, PotentialShaping},
		"EPIC's canonicalisation removes potential shaping only; use STARC for S′-redistribution or regret for argmax sets"); err != nil {
		return 0, err
	}
	if err := validatePair(a, b); err != nil {
		return 0, err
	}
	e, err := NewEPIC(a.S, a.A, gamma, d)
	if err != nil {
		return 0, err
	}
	return e.Distance(a, b, inv)
}

func validatePair(a, b Reward) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("first reward: %w", err)
	}
	if err := b.Validate(); err != nil {
		return fmt.Errorf("second reward: %w", err)
	}
	return sameShape(a, b)
}
