package mesalab

import "encoding/json"

// comparisonJSON is the stable JSON form of a Comparison (DESIGN.md §6).
type comparisonJSON struct {
	Distribution     string        `json:"distribution"`
	Subject          string        `json:"subject,omitempty"`
	Agreement        *float64      `json:"agreement"`
	Regret           *float64      `json:"regret"`
	NormalizedRegret *float64      `json:"normalized_regret"`
	Distance         *float64      `json:"distance"`
	Coverage         *float64      `json:"coverage"`
	Tasks            int           `json:"tasks"`
	Incomparable     *Incomparable `json:"incomparable,omitempty"`
}

// MarshalJSON writes the snake_case contract of DESIGN.md §6; the numbers of an
// incomparable comparison are null, never a made-up value.
func (c Comparison) MarshalJSON() ([]byte, error) {
	j := comparisonJSON{Distribution: c.Distribution, Subject: c.Subject, Tasks: c.Tasks, Incomparable: c.Incomparable}
	if c.Incomparable == nil {
		j.Agreement, j.Regret, j.NormalizedRegret = &c.Agreement, &c.Regret, &c.NormalizedRegret
		j.Distance = &c.Distance
		if c.Coverage != CoverageUnknown {
			j.Coverage = &c.Coverage
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form MarshalJSON writes, so stored results round-trip.
func (c *Comparison) UnmarshalJSON(b []byte) error {
	var j comparisonJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Comparison{Distribution: j.Distribution, Subject: j.Subject, Tasks: j.Tasks, Incomparable: j.Incomparable,
		Coverage: CoverageUnknown}
	for _, p := range []struct {
		src *float64
		dst *float64
	}{{j.Agreement, &c.Agreement}, {j.Regret, &c.Regret}, {j.NormalizedRegret, &c.NormalizedRegret},
		{j.Distance, &c.Distance}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	if j.Coverage != nil {
		c.Coverage = *j.Coverage
	}
	return nil
}
