package compare

import (
	"fmt"
	"math/rand/v2"
)

// ERCOptions say which episodes the episode-return correlation is taken over.
type ERCOptions struct {
	// Episodes is the number of sampled episodes (default 1000).
	Episodes int
	// Horizon is the fixed episode length (default 100).
	Horizon int
	// Policy is π(a|s), S·A entries (nil: uniformly random actions).
	Policy []float64
	// Seed seeds the episodes: equal seeds give equal episodes.
	Seed uint64
}

// ERCResult is the correlation of episode returns and its Pearson distance.
type ERCResult struct {
	Correlation float64 `json:"correlation"`
	Distance    float64 `json:"distance"`
}

// ERC is the episode-return correlation baseline of Gleave et al. (2021): roll
// out opt.Episodes episodes of a fixed horizon under opt.Policy from start (nil:
// uniform) through T, score each by its discounted return under a and under b,
// and return the Pearson correlation ρ of the two returns with the distance
// √((1 − ρ)/2). Every episode has the same length, so a positive affine map of a
// reward is a positive affine map of every return: ERC honours [PositiveAffine].
// It does not honour potential shaping, which shifts a return by
// γ^H Φ(s_H) − Φ(s_0), a different amount per episode.
func ERC(a, b Reward, gamma float64, T, start []float64, opt ERCOptions, inv Invariance) (ERCResult, error) {
	if err := within("episode-return correlation", inv, epicHonours[:1],
		"a potential shaping term changes each episode's return differently; use EPIC, DARD or STARC"); err != nil {
		return ERCResult{}, err
	}
	if err := validatePair(a, b); err != nil {
		return ERCResult{}, err
	}
	S, A := a.S, a.A
	if err := checkTransitions(T, S, A); err != nil {
		return ERCResult{}, fmt.Errorf("ERC: %w", err)
	}
	if err := checkDist("start distribution", start, S); err != nil {
		return ERCResult{}, fmt.Errorf("ERC: %w", err)
	}
	if opt.Policy != nil {
		if err := checkPolicy(opt.Policy, S, A); err != nil {
			return ERCResult{}, fmt.Errorf("ERC: %w", err)
		}
	}
	if opt.Episodes <= 0 {
		opt.Episodes = 1000
	}
	if opt.Horizon <= 0 {
		opt.Horizon = 100
	}
	start = uniformOr(start, S)
	pi := uniformOr(opt.Policy, S*A)
	if opt.Policy == nil {
		for i := range pi {
			pi[i] = 1 / float64(A)
		}
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x45524321))
	ga, gb := make([]float64, opt.Episodes), make([]float64, opt.Episodes)
	for e := range opt.Episodes {
		s := draw(start, rng.Float64())
		disc := 1.0
		for range opt.Horizon {
			act := draw(pi[s*A:(s+1)*A], rng.Float64())
			sa := s*A + act
			next := draw(T[sa*S:(sa+1)*S], rng.Float64())
			ga[e] += disc * a.R[sa*S+next]
			gb[e] += disc * b.R[sa*S+next]
			disc *= gamma
			s = next
		}
	}
	d := pearsonArrays(ga, gb, nil, maxAbs(ga), maxAbs(gb))
	return ERCResult{Correlation: 1 - 2*d*d, Distance: d}, nil
}

// draw returns the index i with cumulative probability first exceeding u, never
// an index of probability 0.
func draw(p []float64, u float64) int {
	last := 0
	for i, x := range p {
		if x <= 0 {
			continue
		}
		last = i
		u -= x
		if u < 0 {
			return i
		}
	}
	return last
}
