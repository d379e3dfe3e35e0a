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
