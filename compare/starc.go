package compare

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/mesalab/mesalab/internal/parallel"
	"gonum.org/v1/gonum/mat"
)

// Canonicalisation is the canonicalisation function c of a STARC metric.
type Canonicalisation uint8

const (
	// ValueCanonicalisation is c_VAL of Skalse et al. (2024): for a fixed
	// policy π,
	//
	//	c(R)(s,a,s′) = E_{S′∼T(s,a)}[R(s,a,S′) − V^π(s) + γV^π(S′)] = Q^π(s,a) − V^π(s),
	//
	// the advantage of a under π (V^π, Q^π the values of π under R). It is linear,
	// and c(R₁) = c(R₂) exactly when R₁ and R₂ differ by potential shaping and
	// S′-redistribution. It needs the transition model T and γ < 1.
	ValueCanonicalisation Canonicalisation = iota
	// EPICCanonicalisation is the canonicalisation of [EPIC], C_{D_S,D_A}. It
	// removes potential shaping but not S′-redistribution, so a STARC metric built
	// on it honours [PotentialShaping] only; it needs no transition model. With it,
	// STARC is the "direct" EPIC distance of Gleave et al.'s code,
	// ½·‖C(R₁)/‖C(R₁)‖ − C(R₂)/‖C(R₂)‖‖.
	EPICCanonicalisation
)

// String names the canonicalisation as in JSON output.
func (c Canonicalisation) String() string {
	switch c {
	case ValueCanonicalisation:
		return "value"
	case EPICCanonicalisation:
		return "epic"
	}
	return fmt.Sprintf("Canonicalisation(%d)", c)
}

// STARCOptions choose the three parts of a STARC metric and what they need.
type STARCOptions struct {
	// Canonicalisation is c (default ValueCanonicalisation).
	Canonicalisation Canonicalisation
	// Transitions is T(s,a,s′), S·A·S entries in C order with rows summing to 1;
	// required by ValueCanonicalisation, ignored by EPICCanonicalisation.
	Transitions []float64
	// Policy is the π(a|s) of ValueCanonicalisation, S·A entries (nil: uniform,
	// the choice of Skalse et al.'s experiments).
	Policy []float64
	// Norm is p of the normalising norm n = ‖·‖_{p,D} (default 2; +Inf allowed).
	Norm float64
	// Metric is p of the metric m(x, y) = ½‖x − y‖_{p,D} (default 2; +Inf allowed).
	Metric float64
	// Dists gives D_S and D_A of EPICCanonicalisation, and the coverage D that
	// weights both the norm and the metric (uniform when nil).
	Dists Dists
}

// STARC is a STARC metric (STAndardised Reward Comparison; Skalse, Farnik,
// Motwani, Jenner, Gleave and Abate, "STARC: A General Framework For Quantifying
// Differences Between Reward Functions", ICLR 2024): canonicalise, then
// normalise, then compare,
//
//	s(R) = c(R) / n(c(R))  (0 when n(c(R)) = 0),   d(R₁, R₂) = m(s(R₁), s(R₂)).
//
// A canonical reward whose norm is at most 1e-10 times the size of the terms it
// came from (max |r(s,a)|, |V^π|; for the EPIC canonicalisation as in [EPIC]) is
// rounding noise and counts as 0: the distance of a trivial reward to any other
// is then ½‖s(R)‖ (= ½ when the metric's p is the norm's), and to another trivial reward 0.
//
// mesalab's defaults, and why:
//   - c is the value canonicalisation c_VAL with π uniform ([ValueCanonicalisation]),
//     the one the paper's experiments use: it is cheap on a tabular MDP (one
//     linear solve, factorised once per (T, π, γ) in [NewSTARC]) and it removes
//     exactly potential shaping and S′-redistribution, so STARC honours
//     [ShapingRedistribution]. [EPICCanonicalisation] is offered for when no
//     transition model is known.
//   - n is the L2 norm weighted by the coverage D (uniform by default); L1 and any
//     p ≥ 1 (or ∞) can be chosen. The paper allows any norm.
//   - m is ½ of the L_p distance under D with p = 2 by default; the factor ½ keeps
//     d ∈ [0, 1] when the metric's p equals the norm's (‖x − y‖ ≤ ‖x‖ + ‖y‖ = 2), as
//     in the "direct" EPIC distance of Gleave et al.'s code. The paper requires m
//     to be a metric bilipschitz-equivalent to a norm, which every L_p distance is.
//
// With c_VAL the canonical reward does not depend on s′, so the norm and metric
// are taken over (s, a) with the weight D(s, a) = Σ_{s′} D(s, a, s′); this equals the
// norm over (s, a, s′). A STARC is prepared for one shape and is not safe for
// concurrent use; [STARC.Distance] allocates nothing.
type STARC struct {
	s, a  int
	gamma float64
	opt   STARCOptions

	// value canonicalisation
	t      []float64 // T, dense (nil when sparse)
	tStart []int32   // T in compressed sparse rows over (s,a): row sa is
	tCol   []int32   // tCol[tStart[sa]:tStart[sa+1]], with probabilities
	tVal   []float64 // tVal[…] (nil when dense)
	pi     []float64 // π
	inv    []float64 // (I − γP_π)⁻¹, S×S row-major
	rA, rB []float64 // r(s,a) = E_{S′}R, then c(s,a)
	rpA    []float64 // r_π, then V^π
	rpB    []float64
	vA, vB []float64 // V^π
	wsa    []float64 // D(s,a)
	x, y   []float64
	rows   int
	chunks int
	step1  func(int)
	step2  func(int)
	step3  func(int)

	name string // "STARC with the … canonicalisation", for Incomparable

	// EPIC canonicalisation
	epic   *EPIC
	cA, cB []float64
}

// NewSTARC prepares a STARC metric for rewards over S states and A actions with
// discount γ. The value canonicalisation needs opt.Transitions and γ < 1; its
// preparation inverts the S×S matrix I − γP_π once (O(S³)), after which each
// [STARC.Distance] costs O(S² + A·S·k) for T with k successors per (s, a): a T
// with at most a quarter of its entries non-zero is kept in compressed sparse
// rows, so only the rewards of possible transitions are read.
func NewSTARC(states, actions int, gamma float64, opt STARCOptions) (*STARC, error) {
	if err := checkShape(states, actions); err != nil {
		return nil, err
	}
	if opt.Norm == 0 {
		opt.Norm = 2
	}
	if opt.Metric == 0 {
		opt.Metric = 2
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"norm", opt.Norm}, {"metric", opt.Metric}} {
		if !(p.v >= 1) {
			return nil, fmt.Errorf("STARC: the %s's p = %v, want p ≥ 1 (or +Inf)", p.name, p.v)
		}
	}
	if err := opt.Dists.Validate(states, actions); err != nil {
		return nil, fmt.Errorf("STARC: %w", err)
	}
	st := &STARC{s: states, a: actions, gamma: gamma, opt: opt,
		name: "STARC with the " + opt.Canonicalisation.String() + " canonicalisation"}
	n := states * actions * states
	switch opt.Canonicalisation {
	case EPICCanonicalisation:
		e, err := NewEPIC(states, actions, gamma, opt.Dists)
		if err != nil {
			return nil, fmt.Errorf("STARC: %w", err)
		}
		st.epic = e
		st.cA, st.cB = make([]float64, n), make([]float64, n)
		return st, nil
	case ValueCanonicalisation:
	default:
		return nil, fmt.Errorf("STARC: unknown canonicalisation %v", opt.Canonicalisation)
	}
	if !(gamma >= 0 && gamma < 1) {
		return nil, fmt.Errorf("STARC: the value canonicalisation needs a discount 0 ≤ γ < 1, got %v", gamma)
	}
	if opt.Transitions == nil {
		return nil, errors.New("STARC: the value canonicalisation needs the transition model T")
	}
	if err := checkTransitions(opt.Transitions, states, actions); err != nil {
		return nil, fmt.Errorf("STARC: %w", err)
	}
	st.pi = opt.Policy
	if st.pi == nil {
		st.pi = make([]float64, states*actions)
		for i := range st.pi {
			st.pi[i] = 1 / float64(actions)
		}
	} else if err := checkPolicy(st.pi, states, actions); err != nil {
		return nil, fmt.Errorf("STARC: %w", err)
	}
	T := opt.Transitions
	nnz := 0
	for _, p := range T {
		if p != 0 {
			nnz++
		}
	}
	if nnz <= len(T)/4 {
		st.tStart = make([]int32, states*actions+1)
		st.tCol = make([]int32, 0, nnz)
		st.tVal = make([]float64, 0, nnz)
		for sa := range states * actions {
			for s2, p := range T[sa*states : (sa+1)*states] {
				if p != 0 {
					st.tCol = append(st.tCol, int32(s2))
					st.tVal = append(st.tVal, p)
				}
			}
			st.tStart[sa+1] = int32(len(st.tCol))
		}
	} else {
		st.t = T
	}
	// (I − γP_π)⁻¹ with P_π(s, s′) = Σ_a π(a|s) T(s,a,s′); invertible for γ < 1.
	m := mat.NewDense(states, states, nil)
	raw := m.RawMatrix()
	for s := range states {
		row := raw.Data[s*raw.Stride : s*raw.Stride+states]
		for a := range actions {
			p := st.pi[s*actions+a]
			if p == 0 {
				continue
			}
			for s2, tp := range T[(s*actions+a)*states : (s*actions+a+1)*states] {
				row[s2] -= gamma * p * tp
			}
		}
		row[s]++
	}
	var inv mat.Dense
	if err := inv.Inverse(m); err != nil {
		var cond mat.Condition
		if !errors.As(err, &cond) {
			return nil, fmt.Errorf("STARC: inverting I − γP_π: %w", err)
		}
	}
	st.inv = make([]float64, states*states)
	ir := inv.RawMatrix()
	for s := range states {
		copy(st.inv[s*states:(s+1)*states], ir.Data[s*ir.Stride:s*ir.Stride+states])
	}
	st.rA, st.rB = make([]float64, states*actions), make([]float64, states*actions)
	st.rpA, st.rpB = make([]float64, states), make([]float64, states)
	st.vA, st.vB = make([]float64, states), make([]float64, states)
	st.wsa = make([]float64, states*actions)
	if c := opt.Dists.Coverage; c != nil {
		for sa := range st.wsa {
			for _, w := range c[sa*states : (sa+1)*states] {
				st.wsa[sa] += w
			}
		}
	} else {
		for sa := range st.wsa {
			st.wsa[sa] = 1 / float64(states*actions)
		}
	}
	st.rows = max(1, chunkEntries/(actions*states))
	st.chunks = (states + st.rows - 1) / st.rows
	st.step1, st.step2, st.step3 = st.expected, st.values, st.advantage
	return st, nil
}

var starcHonours = []Invariance{PositiveAffine, PotentialShaping, ShapingRedistribution}

// Honours lists the invariance classes this STARC metric honours.
func (st *STARC) Honours() []Invariance { return slices.Clone(st.honours()) }

func (st *STARC) honours() []Invariance {
	if st.opt.Canonicalisation == ValueCanonicalisation {
		return starcHonours
	}
	return starcHonours[:2]
}

// Distance returns the STARC distance between a and b, or a *mesalab.Incomparable
// when inv is a class this metric cannot honour. Rewards are not re-validated
// (see [Reward.Validate]); with one worker it allocates nothing.
func (st *STARC) Distance(a, b Reward, inv Invariance) (float64, error) {
	if err := within(st.name, inv, st.honours(),
		"invariance to S′-redistribution needs the value canonicalisation (and T); argmax sets need regret"); err != nil {
		return 0, err
	}
	for _, r := range []Reward{a, b} {
		if r.S != st.s || r.A != st.a || len(r.R) != st.s*st.a*st.s {
			return 0, fmt.Errorf("STARC prepared for S=%d A=%d, got a reward with S=%d A=%d and %d entries", st.s, st.a, r.S, r.A, len(r.R))
		}
	}
	if st.epic != nil {
		return st.directEPIC(a, b)
	}
	st.x, st.y = a.R, b.R
	parallel.For(st.chunks, st.step1)
	// r_π(s) = Σ_a π(a|s) r(s,a); V^π = (I − γP_π)⁻¹ r_π for both rewards.
	S, A := st.s, st.a
	for s := range S {
		var va, vb float64
		for a := range A {
			p := st.pi[s*A+a]
			va += p * st.rA[s*A+a]
			vb += p * st.rB[s*A+a]
		}
		st.rpA[s], st.rpB[s] = va, vb
	}
	parallel.For(st.chunks, st.step2)
	// The scale a canonical reward's norm is judged against: its terms r and V.
	scaleA := math.Max(maxAbs(st.rA), maxAbs(st.vA))
	scaleB := math.Max(maxAbs(st.rB), maxAbs(st.vB))
	parallel.For(st.chunks, st.step3)
	st.x, st.y = nil, nil
	return normedDistance(st.rA, st.rB, st.wsa, st.opt.Norm, st.opt.Metric, scaleA, scaleB), nil
}

// expected is step 1 over a chunk of states: r(s,a) = Σ_s′ T(s,a,s′) R(s,a,s′).
func (st *STARC) expected(c int) {
	S, A := st.s, st.a
	for sa := c * st.rows * A; sa < min(S, (c+1)*st.rows)*A; sa++ {
		base := sa * S
		if st.t != nil {
			st.rA[sa], st.rB[sa] = dot2(st.t[base:base+S], st.x[base:base+S], st.y[base:base+S])
			continue
		}
		var ra, rb float64
		lo, hi := st.tStart[sa], st.tStart[sa+1]
		x, y := st.x[base:base+S], st.y[base:base+S]
		for k, s2 := range st.tCol[lo:hi] {
			p := st.tVal[int(lo)+k]
			ra += p * x[s2]
			rb += p * y[s2]
		}
		st.rA[sa], st.rB[sa] = ra, rb
	}
}

// values is step 2 over a chunk of states: V^π(s) = Σ_s′ (I − γP_π)⁻¹(s,s′) r_π(s′).
func (st *STARC) values(c int) {
	S := st.s
	for s := c * st.rows; s < min(S, (c+1)*st.rows); s++ {
		st.vA[s], st.vB[s] = dot2(st.inv[s*S:(s+1)*S], st.rpA, st.rpB)
	}
}

// advantage is step 3: c(s,a) = r(s,a) − V(s) + γ Σ_s′ T(s,a,s′) V(s′).
func (st *STARC) advantage(c int) {
	S, A := st.s, st.a
	for s := c * st.rows; s < min(S, (c+1)*st.rows); s++ {
		va, vb := st.vA[s], st.vB[s]
		for a := range A {
			sa := s*A + a
			var ta, tb float64
			if st.t != nil {
				ta, tb = dot2(st.t[sa*S:(sa+1)*S], st.vA, st.vB)
			} else {
				lo, hi := st.tStart[sa], st.tStart[sa+1]
				for k, s2 := range st.tCol[lo:hi] {
					p := st.tVal[int(lo)+k]
					ta += p * st.vA[s2]
					tb += p * st.vB[s2]
				}
			}
			st.rA[sa] += st.gamma*ta - va
			st.rB[sa] += st.gamma*tb - vb
		}
	}
}

// directEPIC is STARC with the EPIC canonicalisation over (s, a, s′).
func (st *STARC) directEPIC(a, b Reward) (float64, error) {
	if _, err := st.epic.Canonicalize(a, st.cA); err != nil {
		return 0, err
	}
	scaleA := st.epic.scale(a.R, st.epic.phiA)
	if _, err := st.epic.Canonicalize(b, st.cB); err != nil {
		return 0, err
	}
	scaleB := st.epic.scale(b.R, st.epic.phiA)
	return normedDistance(st.cA, st.cB, st.opt.Dists.Coverage, st.opt.Norm, st.opt.Metric, scaleA, scaleB), nil
}

// normedDistance returns ½‖x/‖x‖_p − y/‖y‖_p‖_q under weights w (nil: uniform),
// a side whose norm is below zeroScale times its scale standing for 0. x and y
// are left unchanged.
func normedDistance(x, y, w []float64, p, q, scaleX, scaleY float64) float64 {
	nx, ny := lpNorm(x, nil, 1, 0, w, p), lpNorm(y, nil, 1, 0, w, p)
	var ix, iy float64
	if nx > zeroScale*scaleX {
		ix = 1 / nx
	}
	if ny > zeroScale*scaleY {
		iy = 1 / ny
	}
	return lpNorm(x, y, ix, iy, w, q) / 2
}

// lpNorm returns (Σ w|ix·x − iy·y|^p)^{1/p} (y may be nil; w nil means uniform
// weights 1/n); p = +Inf gives the largest |·| where w > 0.
func lpNorm(x, y []float64, ix, iy float64, w []float64, p float64) float64 {
	uniform := 1 / float64(len(x))
	var acc float64
	for i, xv := range x {
		v := ix * xv
		if y != nil {
			v -= iy * y[i]
		}
		wi := uniform
		if w != nil {
			wi = w[i]
		}
		if wi == 0 {
			continue
		}
		a := math.Abs(v)
		switch {
		case math.IsInf(p, 1):
			acc = math.Max(acc, a)
		case p == 1:
			acc += wi * a
		case p == 2:
			acc += wi * a * a
		default:
			acc += wi * math.Pow(a, p)
		}
	}
	switch {
	case math.IsInf(p, 1), p == 1:
		return acc
	case p == 2:
		return math.Sqrt(acc)
	}
	return math.Pow(acc, 1/p)
}

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		if a := math.Abs(v); a > m {
			m = a
		}
	}
	return m
}

// dot2 returns Σ t·x and Σ t·y.
func dot2(t, x, y []float64) (float64, float64) {
	x, y = x[:len(t)], y[:len(t)]
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+1 < len(t); i += 2 {
		a0 += t[i] * x[i]
		b0 += t[i] * y[i]
		a1 += t[i+1] * x[i+1]
		b1 += t[i+1] * y[i+1]
	}
	if i < len(t) {
		a0 += t[i] * x[i]
		b0 += t[i] * y[i]
	}
	return a0 + a1, b0 + b1
}

// STARCDistance is [STARC.Distance] for one pair: it validates both rewards,
// prepares the metric and compares.
func STARCDistance(a, b Reward, gamma float64, opt STARCOptions, inv Invariance) (float64, error) {
	honours := []Invariance{PositiveAffine, PotentialShaping, ShapingRedistribution}
	if opt.Canonicalisation == EPICCanonicalisation {
		honours = honours[:2]
	}
	if err := within("STARC with the "+opt.Canonicalisation.String()+" canonicalisation", inv, honours,
		"invariance to S′-redistribution needs the value canonicalisation (and T); argmax sets need regret"); err != nil {
		return 0, err
	}
	if err := validatePair(a, b); err != nil {
		return 0, err
	}
	st, err := NewSTARC(a.S, a.A, gamma, opt)
	if err != nil {
		return 0, err
	}
	return st.Distance(a, b, inv)
}

// checkTransitions validates T(s,a,s′): S·A·S finite entries ≥ 0, rows summing to 1.
func checkTransitions(t []float64, states, actions int) error {
	if len(t) != states*actions*states {
		return fmt.Errorf("transition model T has %d entries, want S·A·S = %d", len(t), states*actions*states)
	}
	for sa := range states * actions {
		var sum float64
		for s2, p := range t[sa*states : (sa+1)*states] {
			if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
				return fmt.Errorf("transition model T[s=%d][a=%d][s′=%d] = %v, want a finite probability ≥ 0", sa/actions, sa%actions, s2, p)
			}
			sum += p
		}
		if math.Abs(sum-1) > probTolerance {
			return fmt.Errorf("transition model row T[s=%d][a=%d][·] sums to %.15g, want 1", sa/actions, sa%actions, sum)
		}
	}
	return nil
}

// checkPolicy validates π(a|s): S·A entries, each row a distribution.
func checkPolicy(pi []float64, states, actions int) error {
	if len(pi) != states*actions {
		return fmt.Errorf("policy has %d entries, want S·A = %d", len(pi), states*actions)
	}
	for s := range states {
		if err := checkDist(fmt.Sprintf("policy π(·|s=%d)", s), pi[s*actions:(s+1)*actions], actions); err != nil {
			return err
		}
	}
	return nil
}
