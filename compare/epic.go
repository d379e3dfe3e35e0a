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
const chunkEntries = 1 << 17

// zeroScale is the relative size below which a canonical reward counts as
// constant: a canonical reward whose spread is below zeroScale times the size of
// the terms it was computed from is rounding noise (for instance the
// canonicalisation of a pure potential-shaping term).
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
// [−1, 1], so D_ρ ∈ [0, 1]. As in the authors' tabular code,
//
//	C(R)(s,a,s′) = R(s,a,s′) + γΦ(s′) − Φ(s) − γM,  Φ(x) = Σ_{a,t} D_A(a) D_S(t) R(x,a,t),  M = Σ_x D_S(x) Φ(x),
//
// with D_S, D_A and D uniform unless given. Degenerate cases are defined: two
// rewards whose canonical forms are both constant under D (both trivial: every
// policy is optimal) are at distance 0; one constant and one not are at √½
// (ρ = 0). A canonical reward counts as constant when its standard deviation
// under D is at most 1e-10 times the largest of |Φ|, |R(0,0,·)| and |R(·,0,0)|.
//
// EPIC honours [PositiveAffine] and [PotentialShaping]; it is not invariant to
// S′-redistribution (use [STARC]) nor to everything that keeps optimal policies
// (use [Regret]).
//
// Computation. With uniform coverage the rewards are read once: each entry is
// shifted by data-determined references, z = R(s,a,s′) − R(0,0,s′) − (R(s,0,0) −
// R(0,0,0)), which removes potential shaping up to rounding, and the second
// moments of z, its row and column sums are accumulated; the Pearson moments of
// the canonical rewards then follow exactly in O(S·A). Because z carries no
// shaping, no large terms cancel, which keeps the result accurate where it
// matters (a shaped and rescaled copy of R lands within 1e-8 of 0). With a
// coverage D the rewards are read twice: once for Φ, once for the centred
// weighted moments. Work is split into chunks of whole states of a size fixed by
// the shape, partial sums are combined in chunk order, so the result is the same
// bits whatever the number of cores.
type EPIC struct {
	s, a   int
	gamma  float64
	ds, da []float64 // D_S, D_A (uniform filled in)
	dsUni  bool      // D_S uniform: Σ D_S·z is the row sum / S
	cov    []float64 // D over (s,a,s′), nil for uniform
	wrow   []float64 // Σ_{a,s′} D(s,a,s′) per s
	wcol   []float64 // Σ_{s,a} D(s,a,s′) per s′
	wsum   float64   // Σ D

	phiA, phiB []float64 // Φ of each reward
	gA, gB     []float64 // γΦ(s′), then (one pass) q̃(s′)
	hA, hB     []float64 // Φ(s) + γM + mean, then (one pass) k̃(s)
	rows       int       // states per chunk
	chunks     int
	part       []float64 // per-chunk partial sums, partStride each
	x, y       []float64 // the rewards being compared

	// one-pass workspace (uniform coverage)
	psA, psB []float64 // per chunk: R(0,0,s′) + o(s) for the chunk's current state
	colA     []float64 // per chunk: column sums of z, S each
	colB     []float64
	rzA, rzB []float64 // Σ_s′ z(s,a,s′) per (s,a)
	dzA, dzB []float64 // Σ_s′ D_S(s′) z(s,a,s′) per (s,a) (non-uniform D_S)
	oA, oB   []float64 // o(s) = R(s,0,0) − R(0,0,0)

	pass1, pass2, pass func(int)
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
		dsUni: d.States == nil,
		wrow:  make([]float64, states), wcol: make([]float64, states),
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
		e.psA, e.psB = make([]float64, e.chunks*states), make([]float64, e.chunks*states)
		e.colA, e.colB = make([]float64, e.chunks*states), make([]float64, e.chunks*states)
		e.rzA, e.rzB = make([]float64, states*actions), make([]float64, states*actions)
		e.dzA, e.dzB = e.rzA, e.rzB
		if !e.dsUni {
			e.dzA, e.dzB = make([]float64, states*actions), make([]float64, states*actions)
		}
		e.oA, e.oB = make([]float64, states), make([]float64, states)
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
	e.pass1, e.pass2, e.pass = e.potentials, e.moments, e.onePass
	return e, nil
}

var epicHonours = []Invariance{PositiveAffine, PotentialShaping}

const epicWhy = "EPIC's canonicalisation removes potential shaping only; use STARC for S′-redistribution or regret for argmax sets"

// Distance returns the EPIC distance between a and b under invariance class inv,
// or a *mesalab.Incomparable when EPIC cannot honour inv. Rewards are not
// re-validated (see [Reward.Validate]); with one worker it allocates nothing.
func (e *EPIC) Distance(a, b Reward, inv Invariance) (float64, error) {
	if err := within("EPIC", inv, epicHonours, epicWhy); err != nil {
		return 0, err
	}
	if err := e.check(a, b); err != nil {
		return 0, err
	}
	e.x, e.y = a.R, b.R
	var d float64
	if e.cov == nil {
		d = e.distanceOnePass()
	} else {
		d = e.distanceTwoPass()
	}
	e.x, e.y = nil, nil
	return d, nil
}

func (e *EPIC) distanceTwoPass() float64 {
	parallel.For(e.chunks, e.pass1)
	var sumA, sumB float64
	for c := range e.chunks {
		p := e.part[c*partStride:]
		sumA += p[0]
		sumB += p[1]
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
	return pearsonDistance(sxx, syy, sxy, e.wsum, e.scale(e.x, e.phiA), e.scale(e.y, e.phiB))
}

// scale is the size a canonical reward's spread is judged against: the largest of
// |Φ|, the first row R(0,0,·) and the first entries R(s,0,0).
func (e *EPIC) scale(r, phi []float64) float64 {
	var m float64
	for s := range e.s {
		m = math.Max(m, math.Max(math.Abs(phi[s]), math.Max(math.Abs(r[s]), math.Abs(r[s*e.a*e.s]))))
	}
	return m
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

// potentials is pass 1 (with coverage) over chunk c: Φ(s) of both rewards for the
// chunk's states, and the chunk's Σ D·R.
func (e *EPIC) potentials(c int) {
	S, A := e.s, e.a
	var sumA, sumB float64
	for s := c * e.rows; s < min(S, (c+1)*e.rows); s++ {
		var phiA, phiB float64
		for a := range A {
			base := (s*A + a) * S
			w := e.cov[base : base+S]
			da, wa := dot2(e.x[base:base+S], e.ds, w)
			db, wb := dot2(e.y[base:base+S], e.ds, w)
			phiA += e.da[a] * da
			phiB += e.da[a] * db
			sumA += wa
			sumB += wb
		}
		e.phiA[s], e.phiB[s] = phiA, phiB
	}
	p := e.part[c*partStride:]
	p[0], p[1] = sumA, sumB
}

// moments is pass 2 (with coverage) over chunk c: the D-weighted centred second
// moments of the two canonical rewards.
func (e *EPIC) moments(c int) {
	S, A := e.s, e.a
	var sxx, syy, sxy float64
	for s := c * e.rows; s < min(S, (c+1)*e.rows); s++ {
		for a := range A {
			base := (s*A + a) * S
			xx, yy, xy := rowMomentsW(e.x[base:base+S], e.y[base:base+S], e.gA, e.gB, e.cov[base:base+S], e.hA[s], e.hB[s])
			sxx += xx
			syy += yy
			sxy += xy
		}
	}
	p := e.part[c*partStride:]
	p[0], p[1], p[2] = sxx, syy, sxy
}

// onePass reads chunk c once (uniform coverage): for each row (s,a) it forms
// z = R(s,a,s′) − R(0,0,s′) − o(s) and accumulates Σz_A², Σz_B², Σz_A·z_B, the row
// sums (and D_S-weighted row sums) and the chunk's column sums.
func (e *EPIC) onePass(c int) {
	S, A := e.s, e.a
	psA, psB := e.psA[c*S:(c+1)*S], e.psB[c*S:(c+1)*S]
	colA, colB := e.colA[c*S:(c+1)*S], e.colB[c*S:(c+1)*S]
	clear(colA)
	clear(colB)
	p0A, p0B := e.x[:S], e.y[:S]
	var saa, sbb, sab float64
	for s := c * e.rows; s < min(S, (c+1)*e.rows); s++ {
		oA, oB := e.x[s*A*S]-p0A[0], e.y[s*A*S]-p0B[0]
		e.oA[s], e.oB[s] = oA, oB
		for i := range psA {
			psA[i] = p0A[i] + oA
			psB[i] = p0B[i] + oB
		}
		for a := range A {
			sa := s*A + a
			ra, rb := e.x[sa*S:(sa+1)*S], e.y[sa*S:(sa+1)*S]
			var zaa, zbb, zab float64
			if e.dsUni {
				e.rzA[sa], e.rzB[sa], zaa, zbb, zab = rowZ(ra, rb, psA, psB, colA, colB)
			} else {
				e.rzA[sa], e.rzB[sa], e.dzA[sa], e.dzB[sa], zaa, zbb, zab = rowZW(ra, rb, psA, psB, colA, colB, e.ds)
			}
			saa += zaa
			sbb += zbb
			sab += zab
		}
	}
	p := e.part[c*partStride:]
	p[0], p[1], p[2] = saa, sbb, sab
}

func (e *EPIC) distanceOnePass() float64 {
	S, A := e.s, e.a
	parallel.For(e.chunks, e.pass)
	var saa, sbb, sab float64
	for c := range e.chunks {
		p := e.part[c*partStride:]
		saa += p[0]
		sbb += p[1]
		sab += p[2]
	}
	// Column sums of z, in chunk order; kept in the first chunk's slots.
	cA, cB := e.colA[:S], e.colB[:S]
	for c := 1; c < e.chunks; c++ {
		for i := range S {
			cA[i] += e.colA[c*S+i]
			cB[i] += e.colB[c*S+i]
		}
	}
	e.finishOnePass(e.x, e.rzA, e.dzA, e.oA, e.phiA, e.gA, e.hA)
	e.finishOnePass(e.y, e.rzB, e.dzB, e.oB, e.phiB, e.gB, e.hB)
	sxx := e.crossMoment(saa, cA, cA, e.rzA, e.rzA, e.gA, e.gA, e.hA, e.hA)
	syy := e.crossMoment(sbb, cB, cB, e.rzB, e.rzB, e.gB, e.gB, e.hB, e.hB)
	sxy := e.crossMoment(sab, cA, cB, e.rzA, e.rzB, e.gA, e.gB, e.hA, e.hB)
	n := float64(S * A * S)
	return pearsonDistance(sxx/n, syy/n, sxy/n, 1, e.scale(e.x, e.phiA), e.scale(e.y, e.phiB))
}

// finishOnePass computes Φ, then q̃(s′) (into g) and k̃(s) (into h) such that the
// centred canonical reward is C(R)(s,a,s′) − μ = z(s,a,s′) + q̃(s′) + k̃(s).
func (e *EPIC) finishOnePass(r, rz, dz, o, phi, q, k []float64) {
	S, A := e.s, e.a
	p0 := r[:S]
	var pbar, sumDS, sumDA float64
	for s2 := range S {
		pbar += e.ds[s2] * p0[s2]
		sumDS += e.ds[s2]
	}
	for a := range A {
		sumDA += e.da[a]
	}
	var m, sumZ float64
	for s := range S {
		var acc float64
		for a := range A {
			d := dz[s*A+a]
			if e.dsUni {
				d = rz[s*A+a] * e.ds[0]
			}
			acc += e.da[a] * d
			sumZ += rz[s*A+a]
		}
		phi[s] = acc + sumDA*(pbar+sumDS*o[s])
		m += e.ds[s] * phi[s]
	}
	var sumQ, sumK float64
	for s := range S {
		q[s] = p0[s] + e.gamma*phi[s]
		k[s] = o[s] - phi[s] - e.gamma*m
		sumQ += q[s]
		sumK += k[s]
	}
	n := float64(S * A * S)
	qbar := sumQ / float64(S)
	mu := (sumZ + float64(S*A)*(sumQ+sumK)) / n
	for s := range S {
		q[s] -= qbar
		k[s] += qbar - mu
	}
}

// crossMoment returns Σ_{s,a,s′} (z_x + q_x + k_x)(z_y + q_y + k_y) from Σz_x·z_y
// (zz), the column sums cx, cy and row sums rx, ry of z, and q, k. It is
// symmetric in x and y to the last bit.
func (e *EPIC) crossMoment(zz float64, cx, cy, rx, ry, qx, qy, kx, ky []float64) float64 {
	S, A := e.s, e.a
	var zqxy, zqyx, zkxy, zkyx, qq, kk, sqx, sqy, skx, sky float64
	for i := range S {
		zqxy += cx[i] * qy[i]
		zqyx += cy[i] * qx[i]
		var rsx, rsy float64
		for a := range A {
			rsx += rx[i*A+a]
			rsy += ry[i*A+a]
		}
		zkxy += rsx * ky[i]
		zkyx += rsy * kx[i]
		qq += qx[i] * qy[i]
		kk += kx[i] * ky[i]
		sqx += qx[i]
		sqy += qy[i]
		skx += kx[i]
		sky += ky[i]
	}
	sa := float64(S * A)
	return zz + ((zqxy + zkxy) + (zqyx + zkyx)) + sa*(qq+kk) + float64(A)*(sqx*sky+sqy*skx)
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

// rowZ is the one-pass kernel over one row: z_a = ra − pa, z_b = rb − pb; it adds
// z to the column sums ca, cb and returns Σz_a, Σz_b, Σz_a², Σz_b², Σz_a·z_b, with
// two accumulators each in a fixed order.
func rowZ(ra, rb, pa, pb, ca, cb []float64) (sa, sb, aa, bb, ab float64) {
	n := len(ra)
	rb, pa, pb, ca, cb = rb[:n], pa[:n], pb[:n], ca[:n], cb[:n]
	var sa0, sa1, sb0, sb1, aa0, aa1, bb0, bb1, ab0, ab1 float64
	i := 0
	for ; i+1 < n; i += 2 {
		za0, za1 := ra[i]-pa[i], ra[i+1]-pa[i+1]
		zb0, zb1 := rb[i]-pb[i], rb[i+1]-pb[i+1]
		ca[i] += za0
		ca[i+1] += za1
		cb[i] += zb0
		cb[i+1] += zb1
		sa0 += za0
		sa1 += za1
		sb0 += zb0
		sb1 += zb1
		aa0 += za0 * za0
		aa1 += za1 * za1
		bb0 += zb0 * zb0
		bb1 += zb1 * zb1
		ab0 += za0 * zb0
		ab1 += za1 * zb1
	}
	if i < n {
		za0, zb0 := ra[i]-pa[i], rb[i]-pb[i]
		ca[i] += za0
		cb[i] += zb0
		sa0 += za0
		sb0 += zb0
		aa0 += za0 * za0
		bb0 += zb0 * zb0
		ab0 += za0 * zb0
	}
	return sa0 + sa1, sb0 + sb1, aa0 + aa1, bb0 + bb1, ab0 + ab1
}

// rowZW is rowZ that also returns Σ D_S·z_a and Σ D_S·z_b.
func rowZW(ra, rb, pa, pb, ca, cb, ds []float64) (sa, sb, da, db, aa, bb, ab float64) {
	n := len(ra)
	rb, pa, pb, ca, cb, ds = rb[:n], pa[:n], pb[:n], ca[:n], cb[:n], ds[:n]
	for i := range n {
		za, zb := ra[i]-pa[i], rb[i]-pb[i]
		ca[i] += za
		cb[i] += zb
		sa += za
		sb += zb
		da += ds[i] * za
		db += ds[i] * zb
		aa += za * za
		bb += zb * zb
		ab += za * zb
	}
	return sa, sb, da, db, aa, bb, ab
}

// rowMomentsW returns Σ w·x², Σ w·y², Σ w·xy over one row, x = ra + ga − ha and
// y = rb + gb − hb.
func rowMomentsW(ra, rb, ga, gb, w []float64, ha, hb float64) (xx, yy, xy float64) {
	rb, ga, gb, w = rb[:len(ra)], ga[:len(ra)], gb[:len(ra)], w[:len(ra)]
	var xx0, xx1, yy0, yy1, xy0, xy1 float64
	i := 0
	for ; i+1 < len(ra); i += 2 {
		x0 := ra[i] + ga[i] - ha
		y0 := rb[i] + gb[i] - hb
		x1 := ra[i+1] + ga[i+1] - ha
		y1 := rb[i+1] + gb[i+1] - hb
		xx0 += w[i] * (x0 * x0)
		yy0 += w[i] * (y0 * y0)
		xy0 += w[i] * (x0 * y0)
		xx1 += w[i+1] * (x1 * x1)
		yy1 += w[i+1] * (y1 * y1)
		xy1 += w[i+1] * (x1 * y1)
	}
	if i < len(ra) {
		x0 := ra[i] + ga[i] - ha
		y0 := rb[i] + gb[i] - hb
		xx0 += w[i] * (x0 * x0)
		yy0 += w[i] * (y0 * y0)
		xy0 += w[i] * (x0 * y0)
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
			d, _ := dot2(e.ds, r.R[base:base+S], r.R[base:base+S])
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
	if err := within("EPIC", inv, epicHonours, epicWhy); err != nil {
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
