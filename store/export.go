package store

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/mesalab/mesalab"
	"github.com/parquet-go/parquet-go"
)

// Kind is the type of a column of a tidy table.
type Kind int

// The kinds of column.
const (
	String Kind = iota
	Int
	Float
)

// Column is one column of a tidy table.
type Column struct {
	Name string
	Kind Kind
}

// Table is a tidy table (one observation per row, one variable per column) for
// pandas and friends. A cell is a string, int64 or float64 as its column's Kind
// says, or nil where the value does not apply.
type Table struct {
	Name    string
	Columns []Column
	Rows    [][]any
}

// Tables lists the names accepted by [DB.Table].
var Tables = []string{"runs", "metrics", "comparisons", "verdicts", "unjudged", "labels", "notes", "levels"}

// Table builds the named tidy table over the runs selected by q:
//
//   - runs: one row per run (id, experiment, sweep, point, seeds, code version,
//     timing, then one column param_NAME per parameter);
//   - metrics: one row per metric, run-level (seed_index empty) and per seed;
//   - comparisons: one row per comparison;
//   - verdicts: one row per verdict, its evidence as a JSON object;
//   - unjudged: one row per subject and distribution that earned no verdict, with
//     the reason and its evidence as a JSON object;
//   - labels: one row per per-seed label (seed_index, label, value): the facts
//     that are words, such as which goal a seed pursued;
//   - notes: one row per run-level note (identifiability, subsampling);
//   - levels: one row per subject, distribution and level (per_level).
//
// Every table starts with the run columns run_id, experiment, sweep_id,
// point_key, seed, seeds and the param_ columns, so rows join and group by
// parameter without a lookup. Rows come in the order of [DB.Runs].
func (s *DB) Table(ctx context.Context, name string, q Query) (*Table, error) {
	if !slices.Contains(Tables, name) {
		return nil, fmt.Errorf("no table %q (tables: %s)", name, strings.Join(Tables, ", "))
	}
	runs, err := s.Runs(ctx, q)
	if err != nil {
		return nil, err
	}
	var params []string
	seen := map[string]bool{}
	for _, r := range runs {
		for k := range r.Params {
			if !seen[k] {
				seen[k] = true
				params = append(params, k)
			}
		}
	}
	slices.Sort(params)
	t := &Table{Name: name, Columns: []Column{{"run_id", Int}, {"experiment", String}, {"sweep_id", String},
		{"point_key", String}, {"seed", Int}, {"seeds", Int}}}
	for _, p := range params {
		t.Columns = append(t.Columns, Column{"param_" + p, String})
	}
	head := func(r Run) []any {
		row := []any{r.ID, r.Experiment, nullString(r.SweepID), nullString(r.PointKey), int64(r.Seed), int64(r.Seeds)}
		for _, p := range params {
			if v, ok := r.Params[p]; ok {
				row = append(row, v)
			} else {
				row = append(row, nil)
			}
		}
		return row
	}
	switch name {
	case "runs":
		t.Columns = append(t.Columns, Column{"uid", String}, Column{"point_index", Int}, Column{"code_version", String},
			Column{"started", String}, Column{"finished", String}, Column{"elapsed_s", Float}, Column{"digest", String})
		for _, r := range runs {
			var idx any
			if r.SweepID != "" {
				idx = int64(r.PointIndex)
			}
			t.Rows = append(t.Rows, append(head(r), r.UID, idx, r.CodeVersion, formatTime(r.Started),
				formatTime(r.Finished), r.ElapsedS, r.Digest))
		}
	case "metrics":
		t.Columns = append(t.Columns, Column{"seed_index", Int}, Column{"metric", String}, Column{"value", Float})
		for _, r := range runs {
			for _, k := range sortedKeys(r.Result.Metrics) {
				t.Rows = append(t.Rows, append(head(r), nil, k, r.Result.Metrics[k]))
			}
			for i, m := range r.Result.PerSeed {
				for _, k := range sortedKeys(m) {
					t.Rows = append(t.Rows, append(head(r), int64(i), k, m[k]))
				}
			}
		}
	case "comparisons":
		t.Columns = append(t.Columns, Column{"index", Int}, Column{"distribution", String}, Column{"subject", String},
			Column{"agreement", Float}, Column{"regret", Float}, Column{"normalized_regret", Float},
			Column{"distance", Float}, Column{"coverage", Float}, Column{"tasks", Int}, Column{"incomparable", String})
		for _, r := range runs {
			for i, c := range r.Result.Comparisons {
				row := append(head(r), int64(i), c.Distribution, c.Subject)
				if c.Incomparable != nil {
					b, _ := json.Marshal(c.Incomparable.Missing)
					row = append(row, nil, nil, nil, nil, nil, int64(c.Tasks), string(b))
				} else {
					var coverage any = c.Coverage
					if c.Coverage == mesalab.CoverageUnknown {
						coverage = nil
					}
					row = append(row, c.Agreement, c.Regret, c.NormalizedRegret, c.Distance, coverage, int64(c.Tasks), nil)
				}
				t.Rows = append(t.Rows, row)
			}
		}
	case "verdicts":
		t.Columns = append(t.Columns, Column{"index", Int}, Column{"verdict", String}, Column{"distribution", String},
			Column{"subject", String}, Column{"evidence", String})
		for _, r := range runs {
			for i, v := range r.Result.Verdicts {
				ev, err := json.Marshal(v.Evidence)
				if err != nil {
					return nil, fmt.Errorf("run %d: verdict %s: %w", r.ID, v.Name, err)
				}
				t.Rows = append(t.Rows, append(head(r), int64(i), string(v.Name), v.Distribution, v.Subject, string(ev)))
			}
		}
	case "unjudged":
		t.Columns = append(t.Columns, Column{"index", Int}, Column{"distribution", String}, Column{"subject", String},
			Column{"reason", String}, Column{"evidence", String})
		for _, r := range runs {
			for i, u := range r.Result.Unjudged {
				ev, err := json.Marshal(u.Evidence)
				if err != nil {
					return nil, fmt.Errorf("run %d: unjudged %s: %w", r.ID, u.Distribution, err)
				}
				t.Rows = append(t.Rows, append(head(r), int64(i), u.Distribution, u.Subject, u.Reason, string(ev)))
			}
		}
	case "labels":
		t.Columns = append(t.Columns, Column{"seed_index", Int}, Column{"label", String}, Column{"value", String})
		for _, r := range runs {
			for i, l := range r.Result.PerSeedLabels {
				for _, k := range sortedKeys(l) {
					t.Rows = append(t.Rows, append(head(r), int64(i), k, l[k]))
				}
			}
		}
	case "levels":
		t.Columns = append(t.Columns, Column{"subject", String}, Column{"distribution", String}, Column{"level", Int},
			Column{"agreement", Float}, Column{"regret", Float}, Column{"normalized_regret", Float},
			Column{"distance", Float}, Column{"decisions", Int}, Column{"outcome", String},
			Column{"epic", Float}, Column{"starc", Float})
		for _, r := range runs {
			for _, l := range r.Result.PerLevel {
				var epic, starc any
				if l.EPIC != nil {
					epic = *l.EPIC
				}
				if l.STARC != nil {
					starc = *l.STARC
				}
				t.Rows = append(t.Rows, append(head(r), l.Subject, l.Distribution, int64(l.Level), l.Agreement, l.Regret,
					l.NormalizedRegret, l.Distance, int64(l.Decisions), l.Outcome, epic, starc))
			}
		}
	case "notes":
		t.Columns = append(t.Columns, Column{"index", Int}, Column{"note", String})
		for _, r := range runs {
			for i, n := range r.Result.Notes {
				t.Rows = append(t.Rows, append(head(r), int64(i), n))
			}
		}
	}
	return t, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Formats lists the names accepted by [Table.Write].
var Formats = []string{"csv", "jsonl", "parquet"}

// Write writes the table in the given format: csv (a header row, empty cells for
// nil), jsonl (one JSON object per row, keys in column order, null for nil) or
// parquet (one optional column per table column).
func (t *Table) Write(w io.Writer, format string) error {
	switch format {
	case "csv":
		return t.writeCSV(w)
	case "jsonl":
		return t.writeJSONL(w)
	case "parquet":
		return t.writeParquet(w)
	}
	return fmt.Errorf("no format %q (formats: csv, jsonl, parquet)", format)
}

func (t *Table) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Name
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for i, v := range row {
			rec[i] = cell(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

func (t *Table) writeJSONL(w io.Writer) error {
	bw := bufio.NewWriter(w)
	keys := make([][]byte, len(t.Columns))
	for i, c := range t.Columns {
		keys[i], _ = json.Marshal(c.Name)
	}
	for _, row := range t.Rows {
		bw.WriteByte('{')
		for i, v := range row {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.Write(keys[i])
			bw.WriteByte(':')
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("table %s, column %s: %w", t.Name, t.Columns[i].Name, err)
			}
			bw.Write(b)
		}
		bw.WriteString("}\n")
	}
	return bw.Flush()
}

func (t *Table) writeParquet(w io.Writer) error {
	group := parquet.Group{}
	for _, c := range t.Columns {
		var leaf parquet.Node
		switch c.Kind {
		case Int:
			leaf = parquet.Int(64)
		case Float:
			leaf = parquet.Leaf(parquet.DoubleType)
		default:
			leaf = parquet.String()
		}
		group[c.Name] = parquet.Optional(leaf)
	}
	schema := parquet.NewSchema(t.Name, group)
	pw := parquet.NewWriter(w, schema)
	for _, row := range t.Rows {
		m := make(map[string]any, len(row))
		for i, v := range row {
			if v != nil {
				m[t.Columns[i].Name] = v
			}
		}
		if err := pw.Write(m); err != nil {
			return fmt.Errorf("table %s: parquet: %w", t.Name, err)
		}
	}
	return pw.Close()
}
