package compare

import "fmt"

// DARDDistance is the Dynamics-Aware Reward Distance of Wulfe, Balakrishna,
// Ellis, Mercat, McAllister and Gaidon, "Dynamics-Aware Comparison of Learned
// Reward Functions" (ICLR 2022): the Pearson distance √((1 − ρ)/2), under
// the coverage d.Coverage (uniform when nil), between canonical rewards that
// draw successors from the transition model T rather than from D_S,
//
//	C_T(R)(s,a,s′) = R(s,a,s′) + E[γR(s′,A,S″) − R(s,A,S′) − γR(S′,A,S″)],
//	A ∼ D_A,  S′ ∼ T(s,A),  S″ ∼ T(s′,A)  (S′ and S″ independent given A).
//
// The expectation only evaluates R on transitions the dynamics can produce (from
// s, and from s′), which is the point of DARD: EPIC's D_S × D_A × D_S puts weight
// on impossible transitions. C_T(R + γΦ(s′) − Φ(s)) = C_T(R) for every Φ, so DARD
// honours [PositiveAffine] and [PotentialShaping]. d.States is not used.
//
// Computed exactly: with r(s,a) = Σ_s′ T(s,a,s′)R(s,a,s′), ρ(s) = Σ_a D_A(a) r(s,a)
// and M(s,s′) = Σ_a D_A(a) Σ_{x′,x″} T(s,a,x′) T(s′,a,x″) R(x′,a,x″),
// C_T(R)(s,a,s′) = R(s,a,s′) + γρ(s′) − ρ(s) − γM(s,s′). The cost is O(A·S·k·S) for
// k successors per (s,a) (T is read sparsely), and O(S·A·S) memory.
func DARDDistance(a, b Reward, gamma float64, T []float64, d Dists, inv Invariance) (float64, error) {
	if err := within("DARD", inv, epicHonours,
		"DARD's canonicalisation removes potential shaping only; use STARC for S′-redistribution or regret for argmax sets"); err != nil {
		return 0, err
	}
	if err := validatePair(a, b); err != nil {
		return 0, err
	}
	if !(gamma >= 0 && gamma <= 1) {
		return 0, fmt.Errorf("DARD: discount γ = %v, want 0 ≤ γ ≤ 1", gamma)
	}
	if err := d.Validate(a.S, a.A); err != nil {
		return 0, fmt.Errorf("DARD: %w", err)
	}
	if T == nil {
		return 0, fmt.Errorf("DARD: needs the transition model T")
	}
	if err := checkTransitions(T, a.S, a.A); err != nil {
		return 0, fmt.Errorf("DARD: %w", err)
	}
	sp := sparseRows(T, a.S, a.A)
	da := uniformOr(d.Actions, a.A)
	ca := dardCanonical(a, gamma, sp, da)
	cb := dardCanonical(b, gamma, sp, da)
	return pearsonArrays(ca, cb, d.Coverage, maxAbs(a.R), maxAbs(b.R)), nil
}

// DARDCanonical returns C_T(R) (see [DARDDistance]) as a new S·A·S array.
func DARDCanonical(r Reward, gamma float64, T []float64, actions []float64) ([]float64, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if err := checkTransitions(T, r.S, r.A); err != nil {
		return nil, err
	}
	if err := checkDist("action distribution D_A", actions, r.A); err != nil {
		return nil, err
	}
	return dardCanonical(r, gamma, sparseRows(T, r.S, r.A), uniformOr(actions, r.A)), nil
}

// sparse is T in compressed rows over (s, a).
type sparse struct {
	start []int
	col   []int
	val   []float64
}

func sparseRows(T []float64, states, actions int) sparse {
	sp := sparse{start: make([]int, states*actions+1)}
	for sa := range states * actions {
		for s2, p := range T[sa*states : (sa+1)*states] {
			if p != 0 {
				sp.col = append(sp.col, s2)
				sp.val = append(sp.val, p)
			}
		}
		sp.start[sa+1] = len(sp.col)
	}
	return sp
}

func dardCanonical(r Reward, gamma float64, sp sparse, da []float64) []float64 {
	S, A := r.S, r.A
	rho := make([]float64, S)
	for s := range S {
		for a := range A {
			sa := s*A + a
			var e float64
			for k := sp.start[sa]; k < sp.start[sa+1]; k++ {
				e += sp.val[k] * r.R[sa*S+sp.col[k]]
			}
			rho[s] += da[a] * e
		}
	}
	m := make([]float64, S*S)
	u := make([]float64, S*S)
	for a := range A {
		if da[a] == 0 {
			continue
		}
		// U(s, x″) = Σ_x′ T(s,a,x′) R(x′,a,x″).
		clear(u)
		for s := range S {
			sa := s*A + a
			row := u[s*S : (s+1)*S]
			for k := sp.start[sa]; k < sp.start[sa+1]; k++ {
				x1 := sp.col[k]
				p := sp.val[k]
				rr := r.R[(x1*A+a)*S : (x1*A+a+1)*S]
				for x2, v := range rr {
					row[x2] += p * v
				}
			}
		}
		// M(s, s′) += D_A(a) Σ_x″ U(s, x″) T(s′,a,x″).
		for s := range S {
			row := u[s*S : (s+1)*S]
			for s2 := range S {
				sa2 := s2*A + a
				var acc float64
				for k := sp.start[sa2]; k < sp.start[sa2+1]; k++ {
					acc += row[sp.col[k]] * sp.val[k]
				}
				m[s*S+s2] += da[a] * acc
			}
		}
	}
	c := make([]float64, len(r.R))
	for s := range S {
		for a := range A {
			base := (s*A + a) * S
			for s2 := range S {
				c[base+s2] = r.R[base+s2] + gamma*rho[s2] - rho[s] - gamma*m[s*S+s2]
			}
		}
	}
	return c
}

// pearsonArrays is the Pearson distance √((1 − ρ)/2) between x and y under
// weights w (nil: uniform), two-pass (means, then centred moments), with the
// degenerate cases of [EPIC] judged against scaleX and scaleY.
func pearsonArrays(x, y, w []float64, scaleX, scaleY float64) float64 {
	var sw, mx, my float64
	for i := range x {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		sw += wi
		mx += wi * x[i]
		my += wi * y[i]
	}
	if sw <= 0 {
		return 0
	}
	mx /= sw
	my /= sw
	var sxx, syy, sxy float64
	for i := range x {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		dx, dy := x[i]-mx, y[i]-my
		sxx += wi * (dx * dx)
		syy += wi * (dy * dy)
		sxy += wi * (dx * dy)
	}
	return pearsonDistance(sxx, syy, sxy, sw, scaleX, scaleY)
}

// PearsonDistance is the Pearson distance √((1 − ρ)/2) between the rewards
// themselves (no canonicalisation) under the coverage distribution (uniform when
// nil). It is invariant to positive affine maps of either reward and nothing
// more, so it honours [PositiveAffine] only. Gleave et al. (2021) use it as the
// building block of EPIC; on its own it is the natural distance for one-step
// tasks (see [Accumulator] for the per-task form).
func PearsonDistance(a, b Reward, coverage []float64, inv Invariance) (float64, error) {
	if err := within("the Pearson distance", inv, epicHonours[:1],
		"it does not canonicalise; use EPIC or DARD for potential shaping"); err != nil {
		return 0, err
	}
	if err := validatePair(a, b); err != nil {
		return 0, err
	}
	if err := checkDist("coverage distribution D", coverage, len(a.R)); err != nil {
		return 0, err
	}
	return pearsonArrays(a.R, b.R, coverage, maxAbs(a.R), maxAbs(b.R)), nil
}
