package irl

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/mesalab/mesalab/task/mdp"
)

// GoalDirectedness is the maximum entropy goal-directedness of a policy with
// respect to a utility ([MEG]).
type GoalDirectedness struct {
	// MEG is in nats: how much better the best soft-optimal policy for the
	// utility predicts the policy's decisions than the uniform policy does.
	MEG float64
	// Max is the upper bound Σ_t log|A| = H·log A (MacDermott et al. 2024);
	// Normalized = MEG / Max ∈ [0, 1] (0 when A = 1).
	Max, Normalized float64
	// Beta is the rationality β* of the best-predicting soft-optimal policy;
	// +Inf or −Inf for the limits (optimal / anti-optimal policies). β* > 0 means
	// the policy is goal-directed towards the utility, β* < 0 towards its negation.
	Beta float64
	// Return is E_π[U], the policy's expected (undiscounted, H-step) utility, and
	// Optimal, Uniform and Worst the same for the optimal, uniformly random and
	// worst policies: the range that β traverses.
	Return, Optimal, Uniform, Worst float64
}

// Towards reports whether the policy is goal-directed towards the utility rather
// than away from it (β* > 0 and MEG > 0).
func (g GoalDirectedness) Towards() bool { return g.Beta > 0 && g.MEG > 0 }

// MarshalJSON writes the fields in snake_case, β* = ±∞ as the strings "+Inf" and
// "-Inf" (JSON has no infinities).
func (g GoalDirectedness) MarshalJSON() ([]byte, error) {
	var beta any = g.Beta
	switch {
	case math.IsInf(g.Beta, 1):
		beta = "+Inf"
	case math.IsInf(g.Beta, -1):
		beta = "-Inf"
	}
	return json.Marshal(map[string]any{"meg": g.MEG, "max": g.Max, "normalized": g.Normalized, "beta": beta,
		"return": g.Return, "optimal": g.Optimal, "uniform": g.Uniform, "worst": g.Worst})
}

// MEG measures the maximum entropy goal-directedness of a policy π towards a
// utility U on a finite-horizon MDP: the known-utility definition of MacDermott,
// Fox, Belardinelli & Everitt, "Measuring Goal-Directedness" (NeurIPS 2024), in its
// MDP form, with U = Σ_{t<H} u(S_t, A_t) (undiscounted, as the utility nodes of
// their causal influence diagram are summed):
//
//	MEG_U(π) = max_{π′ ∈ Π^maxent_U} E_π[ Σ_{t<H} ( log π′_t(A_t | S_t) − log(1/|A|) ) ].
//
// Π^maxent_U holds, for every attainable expected utility, the policy of maximum
// causal entropy attaining it; in an MDP these are the soft-optimal policies
// π_β,t(a|s) ∝ exp(β Q^soft_β,t(s,a)) for β ∈ [−∞, +∞], computed here by
// [SoftValueIteration] of the reward β·u with γ = 1. The objective is concave in β
// with derivative E_π[U] − E_{π_β}[U] (the moment matching the paper's algorithm
// ascends), so β* is the root of that derivative, found by regula falsi (Illinois)
// in a bracket; the limits β = ±∞ are the maximum-entropy optimal (anti-optimal)
// policies, computed exactly. Properties shown in the paper: 0 ≤ MEG ≤ H log|A|;
// MEG = 0 for the uniform policy; MEG is unchanged by U ↦ aU + b, a ≠ 0.
//
// utility is u(s,a), S·A entries (e.g. m.ExpectedReward() or a basis reward θ·φ).
// The policy is stationary (S·A) or time-indexed (H·S·A); a deterministic system's
// policy is m.Deterministic(actions). Episodes start from start (μ0, S entries).
func MEG(m *mdp.MDP, utility, policy, start []float64, horizon int) (GoalDirectedness, error) {
	sv, err := newSolver(m)
	if err != nil {
		return GoalDirectedness{}, err
	}
	S, A := m.S, m.A
	if err := checkHorizon(horizon, 1); err != nil {
		return GoalDirectedness{}, err
	}
	if err := checkVector("utility", utility, S*A); err != nil {
		return GoalDirectedness{}, err
	}
	if err := checkPolicy(policy, S, A, horizon); err != nil {
		return GoalDirectedness{}, err
	}
	if err := checkDistribution("start distribution", start, S); err != nil {
		return GoalDirectedness{}, err
	}
	e := &megEval{sv: sv, u: utility, start: start, H: horizon,
		rhoPi: make([]float64, horizon*S*A), rho: make([]float64, horizon*S*A),
		r: make([]float64, S*A), q: make([]float64, horizon*S*A), v: make([]float64, (horizon+1)*S),
		pi: make([]float64, horizon*S*A), buf: make([]float64, 2*S)}
	sv.forward(policy, start, horizon, e.rhoPi, e.buf)
	g := GoalDirectedness{Max: float64(horizon) * math.Log(float64(A))}
	g.Return = dot(e.rhoPi, utility)
	g.Optimal, g.Worst = e.hardValue(1), -e.hardValue(-1)
	_, g.Uniform = e.at(0)
	scale := math.Max(math.Max(math.Abs(g.Optimal), math.Abs(g.Worst)), g.Optimal-g.Worst)
	tol := 1e-10 * math.Max(scale, 1e-300)
	if g.Optimal-g.Worst <= tol || A == 1 {
		return g, nil // U is constant on what π can reach: nothing to be directed towards
	}

	// Limits first: a policy that attains the optimum (or the minimum) is best
	// predicted by the limit β = ±∞ when that limit gives it positive probability.
	if g.Return >= g.Optimal-tol {
		if l := e.limit(1); !math.IsInf(l, -1) {
			return finish(g, l, math.Inf(1)), nil
		}
	}
	if g.Return <= g.Worst+tol {
		if l := e.limit(-1); !math.IsInf(l, -1) {
			return finish(g, l, math.Inf(-1)), nil
		}
	}
	if math.Abs(g.Return-g.Uniform) <= tol {
		l, _ := e.at(0)
		return finish(g, l, 0), nil
	}
	// Bracket the root of h(β) = sign·(E_π[U] − E_{π_sign·β}[U]), decreasing in
	// β ≥ 0 with h(0) > 0, then solve h = 0 by the Illinois variant of regula
	// falsi (superlinear; a step that leaves the bracket falls back to
	// bisection).
	sign := 1.0
	if g.Return < g.Uniform {
		sign = -1
	}
	h := func(b float64) float64 { _, u := e.at(sign * b); return sign * (g.Return - u) }
	lo, hi := 0.0, 1/scale
	hlo, hhi := sign*(g.Return-g.Uniform), h(hi)
	const maxBeta = 1e12
	for hhi > 0 && hi*scale <= maxBeta {
		lo, hlo = hi, hhi
		hi *= 2
		hhi = h(hi)
	}
	side := 0
	for range 200 {
		if hhi > 0 || hi-lo <= 1e-13*hi || math.Abs(hlo-hhi) <= 1e-15*scale {
			break // the root is beyond the bracket, or found to precision
		}
		mid := hi - hhi*(hi-lo)/(hhi-hlo)
		if !(mid > lo && mid < hi) {
			mid = (lo + hi) / 2
		}
		hm := h(mid)
		switch {
		case hm == 0:
			lo, hi = mid, mid
		case hm > 0:
			lo, hlo = mid, hm
			if side == -1 {
				hhi /= 2
			}
			side = -1
		default:
			hi, hhi = mid, hm
			if side == 1 {
				hlo /= 2
			}
			side = 1
		}
	}
	beta := sign * (lo + hi) / 2
	l, _ := e.at(beta)
	if hi*scale > maxBeta && hhi > 0 { // the root lies beyond the bracket: compare with the limit
		if lim := e.limit(sign); lim > l {
			return finish(g, lim, math.Inf(int(sign))), nil
		}
	}
	return finish(g, l, beta), nil
}

func finish(g GoalDirectedness, loglik, beta float64) GoalDirectedness {
	g.MEG = math.Max(0, loglik+g.Max) // ≥ 0 exactly; rounding can go below by ~1e-16
	g.Beta = beta
	if g.Max > 0 {
		g.Normalized = g.MEG / g.Max
	}
	return g
}

// megEval evaluates soft-optimal policies for MEG without allocating.
type megEval struct {
	sv                     *solver
	u, start               []float64
	H                      int
	rhoPi, rho, r, q, v    []float64
	pi, buf                []float64
	hardQ, hardV, entropyW []float64
}

// at returns E_π[Σ_t log π_β,t(A_t|S_t)] and E_{π_β}[U].
func (e *megEval) at(beta float64) (loglik, value float64) {
	for i, x := range e.u {
		e.r[i] = beta * x
	}
	e.sv.soft(e.r, e.H, 1, e.q, e.v, e.pi)
	A := e.sv.A
	for i, p := range e.rhoPi {
		if p > 0 { // log π_β,t(a|s) = Q_t(s,a) − V_t(s), exact where π underflows
			loglik += p * (e.q[i] - e.v[i/A])
		}
	}
	e.sv.forward(e.pi, e.start, e.H, e.rho, e.buf)
	return loglik, dot(e.rho, e.u)
}

// hardValue returns max_π E_π[sign·U] from start by finite-horizon value
// iteration (γ = 1), leaving Q*_t of sign·u in e.hardQ.
func (e *megEval) hardValue(sign float64) float64 {
	S, A, H := e.sv.S, e.sv.A, e.H
	if e.hardQ == nil {
		e.hardQ, e.hardV = make([]float64, H*S*A), make([]float64, (H+1)*S)
	}
	clear(e.hardV[H*S:])
	for t := H - 1; t >= 0; t-- {
		vNext := e.hardV[(t+1)*S : (t+2)*S]
		for s := range S {
			best := math.Inf(-1)
			for a := range A {
				sa := s*A + a
				x := sign*e.u[sa] + e.sv.expect(sa, vNext)
				e.hardQ[(t*S+s)*A+a] = x
				best = math.Max(best, x)
			}
			e.hardV[t*S+s] = best
		}
	}
	return dot(e.start, e.hardV[:S])
}

// limit returns E_π[Σ_t log π_∞,t(A_t|S_t)] for the limit β → sign·∞: the
// maximum-entropy policy among the optimal ones for sign·u,
//
//	W_H = 0,  W_t(s) = log Σ_{a ∈ opt_t(s)} exp E[W_{t+1}(S′) | s, a],
//	π_∞,t(a|s) = exp(E[W_{t+1}(S′) | s, a] − W_t(s)) on opt_t(s), 0 elsewhere,
//
// which is the limit of π_β because β Q^soft_β,t = β Q*_t + E[W_{t+1}] + o(1).
// It is −∞ when π puts mass on a non-optimal action.
func (e *megEval) limit(sign float64) float64 {
	S, A, H := e.sv.S, e.sv.A, e.H
	e.hardValue(sign)
	if e.entropyW == nil {
		e.entropyW = make([]float64, (H+1)*S)
	}
	w := e.entropyW
	clear(w[H*S:])
	var loglik float64
	scale := 0.0
	for _, x := range e.hardV {
		scale = math.Max(scale, math.Abs(x))
	}
	tol := 1e-9 * math.Max(scale, 1)
	for t := H - 1; t >= 0; t-- {
		wNext := w[(t+1)*S : (t+2)*S]
		for s := range S {
			row := e.hardQ[(t*S+s)*A : (t*S+s+1)*A]
			best := mdp.MaxRow(row)
			z := 0.0
			for a := range A {
				if row[a] >= best-tol {
					z += math.Exp(e.sv.expect(s*A+a, wNext))
				}
			}
			w[t*S+s] = math.Log(z)
			for a := range A {
				p := e.rhoPi[(t*S+s)*A+a]
				if p == 0 {
					continue
				}
				if row[a] < best-tol {
					return math.Inf(-1)
				}
				loglik += p * (e.sv.expect(s*A+a, wNext) - w[t*S+s])
			}
		}
	}
	return loglik
}

func dot(rho, u []float64) float64 {
	n := len(u)
	var x float64
	for i, p := range rho {
		x += p * u[i%n]
	}
	return x
}

// NamedUtility is a utility u(s,a) with the name a verdict prints ("base",
// "red", …).
type NamedUtility struct {
	Name    string
	Utility []float64
}

// MEGOver measures goal-directedness towards each named utility and returns the
// measures in order. The MEG of π with respect to the finite hypothesis class is
// the largest of them (the paper's MEG for a class of utilities).
func MEGOver(m *mdp.MDP, utilities []NamedUtility, policy, start []float64, horizon int) ([]GoalDirectedness, error) {
	out := make([]GoalDirectedness, len(utilities))
	for i, nu := range utilities {
		g, err := MEG(m, nu.Utility, policy, start, horizon)
		if err != nil {
			return nil, fmt.Errorf("goal-directedness towards %s: %w", nu.Name, err)
		}
		out[i] = g
	}
	return out, nil
}
