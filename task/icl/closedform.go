package icl

// The closed forms of one gradient step from W = 0. With σ² = a²/3 the input
// variance, κ = 9/5 its kurtosis, ŵ = (η/N) Σ_i y_i x_i and w ~ N(0, I):
//
//	E|ŵ − w|² = d [1 − 2ησ² + η²(σ⁴c + σ²σ_ε²/N)],  c = (N + d + κ − 2)/N,
//	MSE(η)    = σ² E|ŵ − w|² + σ_ε².
//
// Derivation: E[ŵ·w] = ησ²d; E|ŵ|² = η² tr E[Ŝ²] + η²σ²σ_ε²d/N with Ŝ = (1/N)Σ x_i x_iᵀ
// and E[Ŝ²] = σ⁴ (N − 1 + d − 1 + κ)/N · I, since E[x xᵀ x xᵀ] has diagonal
// (κ + d − 1)σ⁴. Without noise this is the reference's
// MSE(η) = σ²d[1 − 2ησ² + η²σ⁴c].

// curvature is c = (N + d + κ − 2)/N.
func (s Spec) curvature() float64 {
	return (float64(s.N) + float64(s.D) + Kurtosis - 2) / float64(s.N)
}

// GDLoss is the closed-form MSE of one gradient step from W = 0 with learning rate
// eta, predicting (η/N) Σ_i y_i x_iᵀ x_q.
func (s Spec) GDLoss(eta float64) float64 {
	s2 := s.InputVariance()
	d := float64(s.D)
	q := s2*s2*s.curvature() + s2*s.Noise*s.Noise/float64(s.N)
	return s2*d*(1-2*eta*s2+eta*eta*q) + s.Noise*s.Noise
}

// OptimalEta is η* = 1/(σ²c + σ_ε²/N), the learning rate minimising GDLoss; without
// noise η* = 1/(σ²c) (6.0606 in the reference setting, η*/N = 0.60606).
func (s Spec) OptimalEta() float64 {
	return 1 / (s.InputVariance()*s.curvature() + s.Noise*s.Noise/float64(s.N))
}

// OptimalGDLoss is MSE(η*) = σ²d(1 − η*σ²) + σ_ε²; without noise
// σ²d(d + κ − 2)/(N + d + κ − 2) (0.41246 in the reference setting).
func (s Spec) OptimalGDLoss() float64 {
	s2 := s.InputVariance()
	return s2*float64(s.D)*(1-s.OptimalEta()*s2) + s.Noise*s.Noise
}

// ZeroLoss is the MSE of the zero predictor, σ²d + σ_ε² (0.83333 in the reference
// setting).
func (s Spec) ZeroLoss() float64 {
	return s.InputVariance()*float64(s.D) + s.Noise*s.Noise
}
