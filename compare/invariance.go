package compare

import (
	"fmt"
	"strings"

	"github.com/mesalab/mesalab"
)

// Invariance names an invariance class: the transformations of a reward (or a
// per-task utility) that a comparison must not see. It is a required argument of
// every comparator in this package. A comparator honours a class when its result
// is unchanged if either argument is replaced by an equivalent one; given a class
// it cannot honour it returns a *[mesalab.Incomparable] saying why, never a number.
//
// From finest to coarsest, each class contains the previous one:
//
//	PositiveAffine         R ↦ c·R + b, c > 0 (per task where there are tasks)
//	PotentialShaping       … and R ↦ R + γΦ(s′) − Φ(s) (Ng et al. 1999)
//	ShapingRedistribution  … and S′-redistribution: any R′ with E_{S′∼T(s,a)}R′ = E_{S′∼T(s,a)}R
//	ArgmaxSets             any R′ with the same set of optimal policies
//
// Which comparator honours which (see each one's doc):
//
//	Pearson, ERC       PositiveAffine
//	EPIC, DARD         PositiveAffine, PotentialShaping
//	STARC              PositiveAffine, PotentialShaping; ShapingRedistribution with the value canonicalisation
//	Regret             all four (under ArgmaxSets only whether B's optimal policy is optimal for A)
type Invariance uint8

// The invariance classes.
const (
	PositiveAffine Invariance = iota + 1
	PotentialShaping
	ShapingRedistribution
	ArgmaxSets
)

var invarianceNames = [...]string{
	PositiveAffine:        "positive-affine",
	PotentialShaping:      "potential-shaping",
	ShapingRedistribution: "shaping-redistribution",
	ArgmaxSets:            "argmax-sets",
}

// String returns the kebab-case name used on the command line and in JSON.
func (c Invariance) String() string {
	if int(c) < len(invarianceNames) && invarianceNames[c] != "" {
		return invarianceNames[c]
	}
	return fmt.Sprintf("Invariance(%d)", c)
}

// ParseInvariance reads a class by its kebab-case name.
func ParseInvariance(name string) (Invariance, error) {
	for c, n := range invarianceNames {
		if n != "" && n == name {
			return Invariance(c), nil
		}
	}
	return 0, fmt.Errorf("unknown invariance class %q (known: %s)", name, strings.Join(invarianceNames[1:], ", "))
}

// MarshalText writes the kebab-case name.
func (c Invariance) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// within reports whether class c is one of the classes a comparator honours, and
// otherwise the Incomparable that says so.
func within(metric string, c Invariance, honoured []Invariance, why string) error {
	for _, h := range honoured {
		if c == h {
			return nil
		}
	}
	names := make([]string, len(honoured))
	for i, h := range honoured {
		names[i] = h.String()
	}
	if c < PositiveAffine || c > ArgmaxSets {
		return &mesalab.Incomparable{Missing: []string{fmt.Sprintf("invariance class: %s given an undefined class %v", metric, c)}}
	}
	return &mesalab.Incomparable{Missing: []string{fmt.Sprintf("invariance to %s: %s honours only %s; %s",
		c, metric, strings.Join(names, ", "), why)}}
}
