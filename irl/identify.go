package irl

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// FindingKind classifies what a distribution cannot tell apart.
type FindingKind string

const (
	// Constant: a feature takes one value on every row; its weight is
	// indistinguishable from a constant offset.
	Constant FindingKind = "constant"
	// Correlated: two features are perfectly correlated (|ρ| = 1): only a
	// combination of their weights is determined.
	Correlated FindingKind = "correlated"
	// NearlyCorrelated: |ρ| is at least NearCorrelation but below 1: the weights
	// are determined only weakly (by the few rows where the features differ).
	NearlyCorrelated FindingKind = "nearly-correlated"
	// Collinear: a linear combination of three or more features is constant
	// although no two of them are perfectly correlated.
	Collinear FindingKind = "collinear"
	// Unvisited: states (or tasks) the distribution never reaches; the objective
	// there is unconstrained.
	Unvisited FindingKind = "unvisited"
)

// Thresholds of [Identify]: |ρ| ≥ 1 − PerfectTolerance counts as perfect
// correlation, |ρ| ≥ NearCorrelation as near correlation; a singular value below
// RankTolerance times the largest counts as zero.
const (
	PerfectTolerance = 1e-9
	NearCorrelation  = 0.95
	RankTolerance    = 1e-9
)

// Finding is one reason why candidate objectives cannot be told apart on a
// distribution, with the evidence string a verdict prints.
type Finding struct {
	Kind     FindingKind `json:"kind"`
	Features []string    `json:"features,omitempty"`
	// Rho is the (weighted) Pearson correlation of a Correlated or
	// NearlyCorrelated pair.
	Rho float64 `json:"rho,omitempty"`
	// Value is the value of a Constant feature.
	Value float64 `json:"value,omitempty"`
	// Coefficients c of a Collinear finding, one per entry of Features: Σ c_k φ_k
	// is constant on the rows (largest |c_k| = 1).
	Coefficients []float64 `json:"coefficients,omitempty"`
	// States lists Unvisited states by name.
	States []string `json:"states,omitempty"`
	// Evidence is the finding in words, e.g.
	// "unidentifiable on train: door ~ red, ρ = 1.00".
	Evidence string `json:"evidence"`
}

// Report is the identifiability of a feature basis on one distribution.
type Report struct {
	// On names the distribution ("train").
	On       string   `json:"on"`
	Features []string `json:"features"`
	Rows     int      `json:"rows"`
	// Rank is the rank of the weighted, centred feature matrix: the number of
	// feature directions the distribution can resolve.
	Rank     int       `json:"rank"`
	Findings []Finding `json:"findings,omitempty"`
}

// Identifiable reports whether every feature weight can be told apart on the
// distribution: no constant, perfectly correlated, collinear or unvisited finding
// (near correlations do not count).
func (r Report) Identifiable() bool {
	for _, f := range r.Findings {
		if f.Kind != NearlyCorrelated {
			return false
		}
	}
	return true
}

// Evidence returns every finding's evidence string.
func (r Report) Evidence() []string {
	out := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		out[i] = f.Evidence
	}
	return out
}

// Identify reports which feature weights a distribution cannot tell apart. rows
// are the distribution's feature vectors (e.g. one per candidate outcome on each
// training level, columns named by names) with optional non-negative weights (nil:
// uniform). An objective linear in the features, g = θ · φ, is then determined on
// these rows only up to θ + v for every v with v · φ constant over the rows; the
// report names those directions:
//
//   - Constant: Var[φ_k] = 0;
//   - Correlated: |ρ(φ_j, φ_k)| = 1 ("door ~ red, ρ = 1.00");
//   - NearlyCorrelated: |ρ| ≥ NearCorrelation (identifiable, but weakly);
//   - Collinear: further null directions of the weighted, centred matrix
//     (after keeping one feature of each perfectly correlated group), found by
//     SVD.
//
// Rank is the number of resolvable directions. Correlations are weighted Pearson
// correlations (population form).
func Identify(on string, names []string, rows [][]float64, weights []float64) (Report, error) {
	F := len(names)
	if F == 0 {
		return Report{}, fmt.Errorf("identify %s: no features", on)
	}
	if len(rows) == 0 {
		return Report{}, fmt.Errorf("identify %s: no rows", on)
	}
	if weights != nil && len(weights) != len(rows) {
		return Report{}, fmt.Errorf("identify %s: %d weights for %d rows", on, len(weights), len(rows))
	}
	var total float64
	for i, row := range rows {
		if len(row) != F {
			return Report{}, fmt.Errorf("identify %s: row %d has %d entries, want %d (one per feature)", on, i, len(row), F)
		}
		for k, x := range row {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return Report{}, fmt.Errorf("identify %s: row %d feature %q = %v, want a finite number", on, i, names[k], x)
			}
		}
		w := 1.0
		if weights != nil {
			w = weights[i]
			if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
				return Report{}, fmt.Errorf("identify %s: weight %d = %v, want a finite number ≥ 0", on, i, w)
			}
		}
		total += w
	}
	if !(total > 0) {
		return Report{}, fmt.Errorf("identify %s: weights sum to 0", on)
	}
	weight := func(i int) float64 {
		if weights == nil {
			return 1 / total
		}
		return weights[i] / total
	}

	rep := Report{On: on, Features: names, Rows: len(rows)}
	mean := make([]float64, F)
	for i, row := range rows {
		for k, x := range row {
			mean[k] += weight(i) * x
		}
	}
	cov := make([]float64, F*F)
	for i, row := range rows {
		w := weight(i)
		if w == 0 {
			continue
		}
		for j := range F {
			dj := row[j] - mean[j]
			for k := j; k < F; k++ {
				cov[j*F+k] += w * dj * (row[k] - mean[k])
			}
		}
	}
	sd := make([]float64, F)
	varying := make([]bool, F)
	for k := range F {
		v := cov[k*F+k]
		scale := 1 + mean[k]*mean[k]
		if v > 1e-12*scale {
			varying[k], sd[k] = true, math.Sqrt(v)
			continue
		}
		rep.Findings = append(rep.Findings, Finding{Kind: Constant, Features: []string{names[k]}, Value: mean[k],
			Evidence: fmt.Sprintf("unidentifiable on %s: %s is constant (= %.4g), its weight cannot be told from a constant offset", on, names[k], mean[k])})
	}

	// Pairs: perfect and near correlations; perfect ones are merged into groups.
	group := make([]int, F)
	for k := range group {
		group[k] = k
	}
	find := func(k int) int {
		for group[k] != k {
			k = group[k]
		}
		return k
	}
	for j := range F {
		for k := j + 1; k < F; k++ {
			if !varying[j] || !varying[k] {
				continue
			}
			rho := math.Max(-1, math.Min(1, cov[j*F+k]/(sd[j]*sd[k])))
			switch {
			case math.Abs(rho) >= 1-PerfectTolerance:
				if rho > 0 {
					rho = 1
				} else {
					rho = -1
				}
				rep.Findings = append(rep.Findings, Finding{Kind: Correlated, Features: []string{names[j], names[k]}, Rho: rho,
					Evidence: fmt.Sprintf("unidentifiable on %s: %s ~ %s, ρ = %.2f", on, names[j], names[k], rho)})
				if a, b := find(j), find(k); a != b {
					group[max(a, b)] = min(a, b)
				}
			case math.Abs(rho) >= NearCorrelation:
				rep.Findings = append(rep.Findings, Finding{Kind: NearlyCorrelated, Features: []string{names[j], names[k]}, Rho: rho,
					Evidence: fmt.Sprintf("weakly identifiable on %s: %s ~ %s, ρ = %.2f", on, names[j], names[k], rho)})
			}
		}
	}

	// Higher-order collinearity among one representative per group.
	var keep []int
	for k := range F {
		if varying[k] && find(k) == k {
			keep = append(keep, k)
		}
	}
	if len(keep) == 0 {
		return rep, nil
	}
	n := len(rows)
	z := mat.NewDense(n, len(keep), nil)
	for i, row := range rows {
		sw := math.Sqrt(weight(i))
		for c, k := range keep {
			z.Set(i, c, sw*(row[k]-mean[k])/sd[k])
		}
	}
	var svd mat.SVD
	if !svd.Factorize(z, mat.SVDFull) {
		return rep, fmt.Errorf("identify %s: SVD did not converge", on)
	}
	values := svd.Values(nil)
	var v mat.Dense
	svd.VTo(&v)
	rank := 0
	for _, s := range values {
		if s > RankTolerance*values[0] {
			rank++
		}
	}
	rep.Rank = rank
	for c := rank; c < len(keep); c++ {
		coef := make([]float64, len(keep))
		var big float64
		for r, k := range keep {
			coef[r] = v.At(r, c) / sd[k]
			big = math.Max(big, math.Abs(coef[r]))
		}
		var feats []string
		var cs []float64
		for r, k := range keep {
			if x := coef[r] / big; math.Abs(x) > 1e-6 {
				feats = append(feats, names[k])
				cs = append(cs, x)
			}
		}
		rep.Findings = append(rep.Findings, Finding{Kind: Collinear, Features: feats, Coefficients: cs,
			Evidence: fmt.Sprintf("unidentifiable on %s: %s is constant (collinear features)", on, combination(feats, cs))})
	}
	return rep, nil
}

// combination renders Σ c_k name_k, e.g. "door + key − 2·red".
func combination(names []string, coef []float64) string {
	var b strings.Builder
	for i, n := range names {
		c := coef[i]
		switch {
		case i == 0 && c < 0:
			b.WriteString("−")
		case i > 0 && c < 0:
			b.WriteString(" − ")
		case i > 0:
			b.WriteString(" + ")
		}
		if a := math.Abs(c); math.Abs(a-1) > 1e-9 {
			fmt.Fprintf(&b, "%.3g·", a)
		}
		b.WriteString(n)
	}
	return b.String()
}

// UnvisitedStates reports the states a distribution never reached (visits[s] = 0): the
// objective there is unconstrained by anything observed. names label the states
// (nil: their indices). ok is false when every state was visited.
func UnvisitedStates(on string, names []string, visits []float64) (f Finding, ok bool) {
	var miss []string
	for s, n := range visits {
		if n > 0 {
			continue
		}
		if s < len(names) {
			miss = append(miss, names[s])
		} else {
			miss = append(miss, fmt.Sprint(s))
		}
	}
	if len(miss) == 0 {
		return Finding{}, false
	}
	return Finding{Kind: Unvisited, States: miss,
		Evidence: fmt.Sprintf("unidentifiable on %s: objective at never-visited states %s", on, strings.Join(miss, ", "))}, true
}
