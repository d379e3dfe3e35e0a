package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	core "github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/ndarray"
	"github.com/spf13/cobra"
)

// compareMetrics are the metric names of `mesalab compare`, in output order.
var compareMetrics = []string{"epic", "dard", "starc", "regret"}

// compareOutput is the JSON of `mesalab compare --json`. A metric that is
// incomparable under the chosen invariance class, or for want of an input, is
// null in "metrics" and explained in "incomparable".
type compareOutput struct {
	Metrics      map[string]*float64           `json:"metrics"`
	Incomparable map[string]*core.Incomparable `json:"incomparable,omitempty"`
	Details      map[string]any                `json:"details,omitempty"`
	Shapes       compareShapes                 `json:"shapes"`
	Invariance   compare.Invariance            `json:"invariance"`
	Gamma        float64                       `json:"gamma"`
}

type compareShapes struct {
	A       []int `json:"a"`
	B       []int `json:"b"`
	States  int   `json:"states"`
	Actions int   `json:"actions"`
}

func newCompare() *cobra.Command {
	var (
		gamma                                 float64
		statesDist, actionsDist, coverage, tr string
		start, metric, invariance, canon      string
		norm                                  float64
		asJSON                                bool
	)
	cmd := &cobra.Command{
		Use:   "compare A B",
		Short: "Compare two reward arrays (.npy, .json, .csv) by EPIC, DARD, STARC and regret under an invariance class",
		Long: `Compare two rewards R_A and R_B given as arrays of shape (S), (S,A) or (S,A,S)
(state, state-action or transition rewards; lower ranks broadcast to (S,A,S)),
read from .npy (float32/float64, either byte order, C or Fortran order), .json
(nested lists) or .csv files (a table of numbers; a first line "# shape: 9, 5, 9"
gives any rank, the table listing the elements in C order).

Metrics (--metric, default all):
  epic    EPIC pseudometric (Gleave et al. 2021) under D_S, D_A and coverage D
  dard    DARD (Wulfe et al. 2022): needs --transitions
  starc   STARC (Skalse et al. 2024), value canonicalisation with a uniform
          policy, L2 norm and metric: needs --transitions (or --canonicalisation epic)
  regret  normalised regret of R_B's optimal policy under R_A: needs --transitions

The invariance class (--invariance) says what must not count as a difference:
positive-affine, potential-shaping (default), shaping-redistribution or
argmax-sets. A metric that cannot honour the class, or lacks an input, is
reported as incomparable with the reason, not as a number.

Distributions are arrays too: --states-dist (S), --actions-dist (A), --coverage
and --transitions (S,A,S; T rows sum to 1), --start (S). Each must be
non-negative and sum to 1 (within 1e-9).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return badInputf("compare takes two reward files A and B, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			inv, err := compare.ParseInvariance(invariance)
			if err != nil {
				return badInputf("--invariance: %v", err)
			}
			metrics := compareMetrics
			if metric != "all" {
				if !slices.Contains(compareMetrics, metric) {
					return badInputf("--metric %q: want one of %s or all", metric, strings.Join(compareMetrics, ", "))
				}
				metrics = []string{metric}
			}
			var starcCanon compare.Canonicalisation
			switch canon {
			case "value":
				starcCanon = compare.ValueCanonicalisation
			case "epic":
				starcCanon = compare.EPICCanonicalisation
			default:
				return badInputf("--canonicalisation %q: want value or epic", canon)
			}
			if !(gamma >= 0 && gamma <= 1) {
				return badInputf("--gamma %v: want 0 ≤ γ ≤ 1", gamma)
			}
			if !(norm >= 1) {
				return badInputf("--norm %v: want p ≥ 1 (or +Inf)", norm)
			}
			in, err := readCompareInputs(args[0], args[1], statesDist, actionsDist, coverage, tr, start)
			if err != nil {
				return badInput(err)
			}
			out := compareOutput{
				Metrics:    map[string]*float64{},
				Details:    map[string]any{},
				Invariance: inv,
				Gamma:      gamma,
				Shapes:     compareShapes{A: in.shapeA, B: in.shapeB, States: in.a.S, Actions: in.a.A},
			}
			incomparable := func(m string, err error) error {
				var inc *core.Incomparable
				if errors.As(err, &inc) {
					if out.Incomparable == nil {
						out.Incomparable = map[string]*core.Incomparable{}
					}
					out.Metrics[m] = nil
					out.Incomparable[m] = inc
					return nil
				}
				return badInputf("%s: %v", m, err)
			}
			missingT := func(metric, why string) error {
				return &core.Incomparable{Missing: []string{"transition model T (--transitions): " + metric + " " + why}}
			}
			for _, m := range metrics {
				var v float64
				var err error
				switch m {
				case "epic":
					v, err = compare.EPICDistance(in.a, in.b, gamma, in.dists, inv)
				case "dard":
					if in.t == nil {
						err = missingT("DARD", "draws successors from T")
						break
					}
					v, err = compare.DARDDistance(in.a, in.b, gamma, in.t, in.dists, inv)
				case "starc":
					if in.t == nil && starcCanon == compare.ValueCanonicalisation {
						err = missingT("STARC", "uses the value canonicalisation E_{S′∼T}[R − V^π(s) + γV^π(S′)] (or pass --canonicalisation epic)")
						break
					}
					opt := compare.STARCOptions{Canonicalisation: starcCanon, Transitions: in.t, Norm: norm, Metric: norm, Dists: in.dists}
					v, err = compare.STARCDistance(in.a, in.b, gamma, opt, inv)
					out.Details["starc"] = map[string]any{"canonicalisation": starcCanon.String(), "policy": "uniform", "norm_p": norm, "metric_p": norm}
				case "regret":
					if in.t == nil {
						err = missingT("regret", "needs the dynamics to find optimal policies")
						break
					}
					var r compare.RegretResult
					r, err = compare.Regret(in.a, in.b, gamma, in.t, in.start, inv)
					v = r.Normalized
					if err == nil {
						out.Details["regret"] = r
					}
				}
				if err != nil {
					if err := incomparable(m, err); err != nil {
						return err
					}
					continue
				}
				out.Metrics[m] = &v
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				return enc.Encode(out)
			}
			return writeCompareText(cmd, out, metrics)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&gamma, "gamma", 0.99, "discount γ (STARC and regret need γ < 1)")
	f.StringVar(&statesDist, "states-dist", "", "file with D_S over the S states (default uniform)")
	f.StringVar(&actionsDist, "actions-dist", "", "file with D_A over the A actions (default uniform)")
	f.StringVar(&coverage, "coverage", "", "file with the coverage D over (s,a,s′), shape (S,A,S) (default uniform)")
	f.StringVar(&tr, "transitions", "", "file with T(s,a,s′), shape (S,A,S), rows summing to 1")
	f.StringVar(&start, "start", "", "file with the start distribution over S for regret (default uniform)")
	f.StringVar(&metric, "metric", "all", "epic, dard, starc, regret or all")
	f.StringVar(&invariance, "invariance", "potential-shaping", "invariance class: positive-affine, potential-shaping, shaping-redistribution or argmax-sets")
	f.StringVar(&canon, "canonicalisation", "value", "STARC canonicalisation: value (needs --transitions) or epic")
	f.Float64Var(&norm, "norm", 2, "p of STARC's L_p norm and metric")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

type compareInputs struct {
	a, b           compare.Reward
	shapeA, shapeB []int
	dists          compare.Dists
	t, start       []float64
}

// readCompareInputs reads every file and checks that their shapes agree: S from
// the rewards, A from whichever input has an action axis (1 if none does).
func readCompareInputs(fa, fb, fds, fda, fcov, ft, fstart string) (*compareInputs, error) {
	read := func(path, what string, ranks ...int) (*ndarray.Array, error) {
		if path == "" {
			return nil, nil
		}
		arr, err := ndarray.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if !slices.Contains(ranks, len(arr.Shape)) {
			return nil, fmt.Errorf("%s %s has shape %v: want rank %v", what, path, arr.Shape, ranks)
		}
		return arr, nil
	}
	ra, err := read(fa, "reward A", 1, 2, 3)
	if err != nil {
		return nil, err
	}
	rb, err := read(fb, "reward B", 1, 2, 3)
	if err != nil {
		return nil, err
	}
	ds, err := read(fds, "--states-dist", 1)
	if err != nil {
		return nil, err
	}
	da, err := read(fda, "--actions-dist", 1)
	if err != nil {
		return nil, err
	}
	cov, err := read(fcov, "--coverage", 3)
	if err != nil {
		return nil, err
	}
	t, err := read(ft, "--transitions", 3)
	if err != nil {
		return nil, err
	}
	st, err := read(fstart, "--start", 1)
	if err != nil {
		return nil, err
	}
	S := ra.Shape[0]
	if rb.Shape[0] != S {
		return nil, fmt.Errorf("rewards disagree on the number of states: %s has %d (shape %v), %s has %d (shape %v)",
			fa, S, ra.Shape, fb, rb.Shape[0], rb.Shape)
	}
	// The number of actions, from the first input that has an action axis.
	A, from := 0, ""
	for _, c := range []struct {
		arr  *ndarray.Array
		file string
		axis int
	}{{ra, fa, 1}, {rb, fb, 1}, {t, ft, 1}, {cov, fcov, 1}, {da, fda, 0}} {
		if c.arr == nil || len(c.arr.Shape) <= c.axis {
			continue
		}
		if A == 0 {
			A, from = c.arr.Shape[c.axis], c.file
		} else if c.arr.Shape[c.axis] != A {
			return nil, fmt.Errorf("%s has %d actions (shape %v), but %s has %d", c.file, c.arr.Shape[c.axis], c.arr.Shape, from, A)
		}
	}
	if A == 0 {
		A = 1
	}
	in := &compareInputs{shapeA: ra.Shape, shapeB: rb.Shape}
	if in.a, err = compare.Broadcast(ra.Shape, ra.Data, S, A); err != nil {
		return nil, fmt.Errorf("%s: %w", fa, err)
	}
	if in.b, err = compare.Broadcast(rb.Shape, rb.Data, S, A); err != nil {
		return nil, fmt.Errorf("%s: %w", fb, err)
	}
	want3 := []int{S, A, S}
	for _, c := range []struct {
		arr        *ndarray.Array
		file, name string
		want       []int
		dst        *[]float64
	}{
		{ds, fds, "state distribution D_S", []int{S}, &in.dists.States},
		{da, fda, "action distribution D_A", []int{A}, &in.dists.Actions},
		{cov, fcov, "coverage distribution D", want3, &in.dists.Coverage},
		{st, fstart, "start distribution", []int{S}, &in.start},
	} {
		if c.arr == nil {
			continue
		}
		if !slices.Equal(c.arr.Shape, c.want) {
			return nil, fmt.Errorf("%s: %s has shape %v, want %v", c.file, c.name, c.arr.Shape, c.want)
		}
		if err := compare.CheckDistribution(c.name, c.arr.Data, len(c.arr.Data)); err != nil {
			return nil, fmt.Errorf("%s: %w", c.file, err)
		}
		*c.dst = c.arr.Data
	}
	if t != nil {
		if !slices.Equal(t.Shape, want3) {
			return nil, fmt.Errorf("%s: transition model has shape %v, want %v", ft, t.Shape, want3)
		}
		for sa := range S * A {
			row := t.Data[sa*S : (sa+1)*S]
			if err := compare.CheckDistribution(fmt.Sprintf("transition row T[s=%d][a=%d][·]", sa/A, sa%A), row, S); err != nil {
				return nil, fmt.Errorf("%s: %w", ft, err)
			}
		}
		in.t = t.Data
	}
	return in, nil
}

func writeCompareText(cmd *cobra.Command, out compareOutput, metrics []string) error {
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "rewards: A %v, B %v → R(s,a,s′) with S=%d, A=%d; γ=%g; invariance %s\n\n",
		out.Shapes.A, out.Shapes.B, out.Shapes.States, out.Shapes.Actions, out.Gamma, out.Invariance)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tvalue\t")
	for _, m := range metrics {
		if v := out.Metrics[m]; v != nil {
			note := ""
			if r, ok := out.Details["regret"].(compare.RegretResult); ok && m == "regret" {
				note = fmt.Sprintf("(normalised; regret %.6g, B's optimal policy optimal under A: %v)", r.Regret, r.Optimal)
			}
			fmt.Fprintf(tw, "%s\t%.6g\t%s\n", m, *v, note)
			continue
		}
		fmt.Fprintf(tw, "%s\tincomparable\t%s\n", m, strings.Join(out.Incomparable[m].Missing, "; "))
	}
	return tw.Flush()
}
