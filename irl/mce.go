package irl

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab/base"
	"github.com/mesalab/mesalab/task/mdp"
)

// Config configures [MaxCausalEnt]. The zero value of each field selects its
// default.
type Config struct {
	// Iterations bounds the gradient steps (default 2000).
	Iterations int
	// LearningRate is Adam's step size α (default 0.05).
	LearningRate float64
	// Tolerance stops the ascent once every entry of the gradient, expert minus
	// model feature expectations, is at most this in absolute value (default 1e-6).
	Tolerance float64
	// L2 adds −(L2/2)·‖θ‖² to the log-likelihood (default 0). A positive value
	// makes the representative unique along unidentified directions (it picks the
	// smallest θ) and keeps θ finite for deterministic demonstrators.
	L2 float64
	// Discount is γ of the discounted causal entropy and feature expectations;
	// 0 means m.Gamma. Use Undiscounted for γ = 1.
	Discount     float64
	Undiscounted bool
	// Start is μ0 of the model; nil means the empirical distribution of the
	// demonstrations' first states, which is what the demonstrations can support.
	Start []float64
}

func (c Config) withDefaults(m *mdp.MDP) Config {
	if c.Iterations == 0 {
		c.Iterations = 2000
	}
	if c.LearningRate == 0 {
		c.LearningRate = 0.05
	}
	if c.Tolerance == 0 {
		c.Tolerance = 1e-6
	}
	if c.Discount == 0 {
		c.Discount = m.Gamma
	}
	if c.Undiscounted {
		c.Discount = 1
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Iterations < 0:
		return fmt.Errorf("irl: iterations = %d, want ≥ 0", c.Iterations)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 0):
		return fmt.Errorf("irl: learning rate = %v, want a finite number > 0", c.LearningRate)
	case !(c.Tolerance > 0) || math.IsInf(c.Tolerance, 0):
		return fmt.Errorf("irl: tolerance = %v, want a finite number > 0", c.Tolerance)
	case !(c.L2 >= 0) || math.IsInf(c.L2, 0):
		return fmt.Errorf("irl: L2 = %v, want a finite number ≥ 0", c.L2)
	case !(c.Discount >= 0 && c.Discount <= 1):
		return fmt.Errorf("irl: discount = %v, want 0 ≤ γ ≤ 1", c.Discount)
	}
	return nil
}

// Result is a behavioral objective recovered by maximum causal entropy IRL: a
// representative reward, its invariance class and the support of the evidence.
type Result struct {
	// Theta is the representative's weights θ̂, one per feature of the basis.
	Theta []float64
	// Reward is the representative r̂(s,a) = θ̂ · φ(s,a), flat S·A.
	Reward []float64
	// Soft is the soft value iteration of r̂: its policy is the model of the
	// demonstrator.
	Soft *Soft
	// Class is the set of rewards that explain the demonstrations equally well.
	Class Class
	// ExpertFeatures and ModelFeatures are the discounted feature expectations of
	// the demonstrations and of the model; at the optimum they are equal.
	ExpertFeatures, ModelFeatures []float64
	// Gradient is max_k |expert − model − L2·θ̂|_k at the end.
	Gradient float64
	// LogLikelihood is the demonstrations' mean discounted log-likelihood under
	// the model, (1/N) Σ_i Σ_t γ^t log π_t(a_it | s_it).
	LogLikelihood float64
	// Iterations is the number of gradient steps taken; Converged says whether
	// the gradient fell below the tolerance.
	Iterations int
	Converged  bool
}

// MaxCausalEnt fits a reward r_θ = θ · φ to demonstrations by maximum causal
// entropy IRL (Ziebart, Bagnell & Dey 2010; Ziebart 2010, PhD thesis), in the
// discounted finite-horizon form of Gleave & Toyer (2022). The model of the demonstrator
// is the soft-optimal time-indexed policy π_θ of [SoftValueIteration] over the
// demonstrations' common horizon H; θ maximises the discounted log-likelihood
//
//	L(θ) = (1/N) Σ_i Σ_t γ^t log π_θ,t(a_it | s_it),
//
// which is concave, with gradient the difference of discounted feature expectations
//
//	∇L(θ) = (1/N) Σ_i Σ_t γ^t φ(s_it, a_it) − Σ_t γ^t Σ_{s,a} ρ_θ,t(s,a) φ(s,a),
//
// ρ_θ,t being the visitation of π_θ from μ0 ([Visitation]). The ascent uses Adam
// (Kingma & Ba, ICLR 2015) from θ = 0. Demonstrations may come from any system:
// only states and actions are read.
//
// What behaviour determines is a class, not a reward: see [Class] for the
// invariances, the support mask and the feature directions the demonstrations
// cannot resolve.
func MaxCausalEnt(m *mdp.MDP, basis Basis, demos []Trajectory, cfg Config) (*Result, error) {
	if m == nil {
		return nil, fmt.Errorf("irl: MDP is nil")
	}
	if basis.S != m.S || basis.A != m.A {
		return nil, fmt.Errorf("irl: basis is for S=%d A=%d, the MDP has S=%d A=%d", basis.S, basis.A, m.S, m.A)
	}
	if len(basis.Phi) != m.S*m.A*basis.F() || basis.F() == 0 {
		return nil, fmt.Errorf("irl: basis has %d entries for %d features, want S·A·F = %d", len(basis.Phi), basis.F(), m.S*m.A*basis.F())
	}
	cfg = cfg.withDefaults(m)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	horizon, err := checkDemos(demos, m.S, m.A)
	if err != nil {
		return nil, err
	}
	if err := checkHorizon(horizon, cfg.Discount); err != nil {
		return nil, err
	}
	S, A, F := m.S, m.A, basis.F()
	n := float64(len(demos))

	// Expert statistics: discounted state-action counts, first-state distribution.
	counts := make([]float64, horizon*S*A) // (1/N) Σ_i γ^t 1[s_it = s, a_it = a]
	empirical := make([]float64, S)
	for _, d := range demos {
		empirical[d.States[0]] += 1 / n
		g := 1.0
		for t, s := range d.States {
			counts[(t*S+s)*A+d.Actions[t]] += g / n
			g *= cfg.Discount
		}
	}
	start := cfg.Start
	if start == nil {
		start = empirical
	} else if err := checkDistribution("start distribution", start, S); err != nil {
		return nil, err
	}
	expert := make([]float64, F)
	visits := make([]float64, S*A) // discounted, summed over time
	for t := range horizon {
		for sa := range S * A {
			c := counts[t*S*A+sa]
			if c == 0 {
				continue
			}
			visits[sa] += c
			for k := range F {
				expert[k] += c * basis.Phi[sa*F+k]
			}
		}
	}

	sv, err := newSolver(m)
	if err != nil {
		return nil, err
	}
	res := &Result{Theta: make([]float64, F), Reward: make([]float64, S*A),
		Soft: &Soft{S: S, A: A, H: horizon, Q: make([]float64, horizon*S*A),
			V: make([]float64, (horizon+1)*S), Policy: make([]float64, horizon*S*A)},
		ExpertFeatures: expert, ModelFeatures: make([]float64, F)}
	rho := make([]float64, horizon*S*A)
	buf := make([]float64, 2*S)
	grad := make([]float64, F)
	opt := base.NewAdam(F, cfg.LearningRate)

	// gradientAt evaluates the model at res.Theta and returns max |∇L|.
	gradientAt := func() float64 {
		basis.rewardInto(res.Theta, res.Reward)
		sv.soft(res.Reward, horizon, cfg.Discount, res.Soft.Q, res.Soft.V, res.Soft.Policy)
		sv.forward(res.Soft.Policy, start, horizon, rho, buf)
		clear(res.ModelFeatures)
		g := 1.0
		for t := range horizon {
			rt := rho[t*S*A : (t+1)*S*A]
			for sa, p := range rt {
				if p == 0 {
					continue
				}
				w := g * p
				for k := range F {
					res.ModelFeatures[k] += w * basis.Phi[sa*F+k]
				}
			}
			g *= cfg.Discount
		}
		var worst float64
		for k := range F {
			grad[k] = expert[k] - res.ModelFeatures[k] - cfg.L2*res.Theta[k]
			worst = math.Max(worst, math.Abs(grad[k]))
		}
		return worst
	}

	res.Gradient = gradientAt()
	for res.Iterations < cfg.Iterations && res.Gradient > cfg.Tolerance {
		opt.Ascend(res.Theta, grad)
		res.Iterations++
		res.Gradient = gradientAt()
	}
	res.Converged = res.Gradient <= cfg.Tolerance

	for i, c := range counts {
		if c > 0 { // log π_t(a|s) = Q_t(s,a) − V_t(s)
			res.LogLikelihood += c * (res.Soft.Q[i] - res.Soft.V[i/A])
		}
	}
	res.Class = sequentialClass(basis, visits, horizon, cfg.Discount)
	return res, nil
}
