package experiment

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/mesalab/mesalab"
)

// WriteText prints a result as readable tables: metrics, comparisons, verdicts with
// their evidence, then the experiment's own tables.
func (r *Result) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "experiment %s   seed %d   seeds %d   %.2fs\n\n", r.Experiment, r.Seed, r.Seeds, r.ElapsedS)
	if len(r.Metrics) > 0 {
		fmt.Fprintln(tw, "METRIC\tVALUE")
		keys := make([]string, 0, len(r.Metrics))
		for k := range r.Metrics {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%.6g\n", k, r.Metrics[k])
		}
		fmt.Fprintln(tw)
	}
	if len(r.Comparisons) > 0 {
		fmt.Fprintln(tw, "SUBJECT\tDISTRIBUTION\tAGREEMENT\tREGRET\tNORM. REGRET\tDISTANCE\tCOVERAGE")
		for _, c := range r.Comparisons {
			if c.Incomparable != nil {
				// Keep every column so tabwriter's alignment runs through; the
				// missing bridge goes last, where its length disturbs nothing.
				fmt.Fprintf(tw, "%s\t%s\tincomparable\t-\t-\t-\t-\tmissing: %s\n", c.Subject, c.Distribution, strings.Join(c.Incomparable.Missing, "; "))
				continue
			}
			coverage := "-"
			if c.Coverage != mesalab.CoverageUnknown {
				coverage = fmt.Sprintf("%.4g", c.Coverage)
			}
			fmt.Fprintf(tw, "%s\t%s\t%.4f\t%.4g\t%.4g\t%.4g\t%s\t\n", c.Subject, c.Distribution,
				c.Agreement, c.Regret, c.NormalizedRegret, c.Distance, coverage)
		}
		fmt.Fprintln(tw)
	}
	if len(r.Verdicts) > 0 {
		fmt.Fprintln(tw, "VERDICT\tDISTRIBUTION\tSUBJECT\tEVIDENCE")
		for _, v := range r.Verdicts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, v.Distribution, v.Subject, formatEvidence(v.Evidence))
		}
		fmt.Fprintln(tw)
	}
	if len(r.Unjudged) > 0 {
		fmt.Fprintln(tw, "NO VERDICT\tDISTRIBUTION\tSUBJECT\tWHY")
		for _, u := range r.Unjudged {
			fmt.Fprintf(tw, "-\t%s\t%s\t%s\n", u.Distribution, u.Subject, u.Reason)
		}
		fmt.Fprintln(tw)
	}
	if worst := r.WorstLevels(WorstPerSubject); len(worst) > 0 {
		fmt.Fprintf(tw, "WORST LEVELS (up to %d per subject with a disagreement, by regret; every level is in the JSON's per_level)\n", WorstPerSubject)
		fmt.Fprintln(tw, "SUBJECT\tDISTRIBUTION\tLEVEL\tOUTCOME\tAGREEMENT\tREGRET\tNORM. REGRET\tDISTANCE\tEPIC\tSTARC")
		for _, l := range worst {
			epic, starc := "-", "-"
			if l.EPIC != nil {
				epic, starc = fmt.Sprintf("%.4g", *l.EPIC), fmt.Sprintf("%.4g", *l.STARC)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.4g\t%.4g\t%.4g\t%.4g\t%s\t%s\n", l.Subject, l.Distribution, l.Level, l.Outcome,
				l.Agreement, l.Regret, l.NormalizedRegret, l.Distance, epic, starc)
		}
		fmt.Fprintln(tw)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(tw, "NOTES")
		for _, n := range r.Notes {
			fmt.Fprintln(tw, n)
		}
		fmt.Fprintln(tw)
	}
	for _, t := range r.Tables {
		fmt.Fprintln(tw, t.Title)
		fmt.Fprintln(tw, strings.ToUpper(strings.Join(t.Header, "\t")))
		for _, row := range t.Rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// WorstPerSubject is how many levels per subject the text output and the report
// list.
const WorstPerSubject = 3

// WorstLevels picks from PerLevel, for each subject in order of first appearance,
// its k levels of highest regret (then normalised regret; ties in row order) among
// those that disagree (agreement < 1 or regret > 0).
func (r *Result) WorstLevels(k int) []LevelResult {
	var subjects []string
	by := map[string][]LevelResult{}
	seen := map[string]bool{}
	for _, l := range r.PerLevel {
		if !seen[l.Subject] {
			seen[l.Subject] = true
			subjects = append(subjects, l.Subject)
		}
		if l.Agreement < 1 || l.Regret > 0 {
			by[l.Subject] = append(by[l.Subject], l)
		}
	}
	var out []LevelResult
	for _, s := range subjects {
		ls := by[s]
		sort.SliceStable(ls, func(a, b int) bool {
			if ls[a].Regret != ls[b].Regret {
				return ls[a].Regret > ls[b].Regret
			}
			return ls[a].NormalizedRegret > ls[b].NormalizedRegret
		})
		out = append(out, ls[:min(k, len(ls))]...)
	}
	return out
}

// formatEvidence prints evidence as key=value pairs in key order, numbers short.
func formatEvidence(e map[string]any) string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		var v string
		switch x := e[k].(type) {
		case float64:
			v = fmt.Sprintf("%.4g", x)
		case string:
			v = x
		default:
			b, err := json.Marshal(x)
			if err != nil {
				v = fmt.Sprint(x)
			} else {
				v = string(b)
			}
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, " ")
}
