// Package report turns stored runs into HTML: a page per run (its verdicts with
// their evidence, metrics, comparisons, plots and the figures the experiment
// attached), a page per sweep (every metric against every swept parameter, the
// diversity curve where a sweep varies diversity and reports proxy_rate, the
// verdict counts and the table of points) and an index. [WriteDir] writes them as
// static files; [Handler] serves the same pages live from a store (mesalab serve).
//
// Plots are SVG drawn with gonum/plot and placed inline. Extension point for
// experiments: a result's Series (learning curves, weight trajectories) become
// line plots, its Matrices (EPIC distance matrices) heatmaps, and its Figures
// (level renderings with trajectories, from the gridworld engine) are shown as
// images, with no dependency from here on the code that drew them.
package report

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mesalab/mesalab/experiment"
	"github.com/mesalab/mesalab/store"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"num":      formatNumber,
	"evidence": formatEvidence,
	"time":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"join":     strings.Join,
}).ParseFS(templateFS, "templates/*.html"))

// Links says where pages are: file names for a static report, paths for serve.
type Links interface {
	Index() string
	Run(id int64) string
	Sweep(id string) string
}

// FileLinks names the pages of a static report directory.
type FileLinks struct{}

// Index is index.html.
func (FileLinks) Index() string { return "index.html" }

// Run is run-ID.html.
func (FileLinks) Run(id int64) string { return fmt.Sprintf("run-%d.html", id) }

// Sweep is sweep-ID.html.
func (FileLinks) Sweep(id string) string { return "sweep-" + id + ".html" }

// ServerLinks are the paths of Handler.
type ServerLinks struct{}

// Index is /.
func (ServerLinks) Index() string { return "/" }

// Run is /run/ID.
func (ServerLinks) Run(id int64) string { return fmt.Sprintf("/run/%d", id) }

// Sweep is /sweep/ID.
func (ServerLinks) Sweep(id string) string { return "/sweep/" + id }

// figure is an experiment's picture, shown as an image: an SVG in an <img> runs
// no script, whatever the stored text holds.
type figure struct {
	Title, Caption string
	Src            template.URL
}

// Page is what every page's header needs.
type Page struct {
	Title string
	Home  string
}

type runPage struct {
	Page      Page
	Links     Links
	SweepLink string
	Run       store.Run
	Params    [][2]string
	Metrics   [][2]string
	Plots     []Plot
	Figures   []figure
	Problems  []string // plots that could not be drawn, and why
	// Labels is the per-seed word-valued facts as a table: a header of keys and a
	// row per seed.
	Labels struct {
		Header []string
		Rows   [][]string // first cell: the seed
	}
	// Worst is the levels of highest regret per subject (see
	// experiment.Result.WorstLevels); every level is in the stored per_level.
	Worst []experiment.LevelResult
}

// RunPage writes the page of one run.
func RunPage(w io.Writer, r store.Run, links Links) error {
	pg := runPage{Page: Page{fmt.Sprintf("run %d · %s", r.ID, r.Experiment), links.Index()}, Links: links,
		Run: r, Params: sortedPairs(r.Params)}
	if r.SweepID != "" && validSweepID.MatchString(r.SweepID) {
		pg.SweepLink = links.Sweep(r.SweepID)
	}
	for _, k := range sortedKeys(r.Result.Metrics) {
		pg.Metrics = append(pg.Metrics, [2]string{k, formatNumber(r.Result.Metrics[k])})
	}
	pg.Plots, pg.Problems = runPlots(r.Result)
	pg.Labels.Header, pg.Labels.Rows = labelTable(r.Result.PerSeedLabels, r.Result.PerSeed)
	pg.Worst = r.Result.WorstLevels(experiment.WorstPerSubject)
	for _, f := range r.Result.Figures {
		pg.Figures = append(pg.Figures, figure{Title: f.Title, Caption: f.Caption,
			Src: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(f.SVG)))})
	}
	return execute(w, "run.html", pg)
}

// labelTable lays out per-seed labels as a table whose columns are the union of
// their keys, sorted; a seed without a key shows an empty cell. The first cell of a
// row is the seed from the per-seed metrics (same order), or its index.
func labelTable(labels []map[string]string, perSeed []map[string]float64) (header []string, rows [][]string) {
	seen := map[string]bool{"seed": true} // the first column already is the seed
	for _, l := range labels {
		for k := range l {
			if !seen[k] {
				seen[k] = true
				header = append(header, k)
			}
		}
	}
	slices.Sort(header)
	for j, l := range labels {
		seed := strconv.Itoa(j)
		if j < len(perSeed) {
			if v, ok := perSeed[j]["seed"]; ok {
				seed = formatNumber(v)
			}
		}
		row := []string{seed}
		for _, k := range header {
			row = append(row, l[k])
		}
		rows = append(rows, row)
	}
	return header, rows
}

// runPlots draws a run's per-seed metrics, its diversity curve, series and
// matrices.
func runPlots(res *experiment.Result) ([]Plot, []string) {
	var plots []Plot
	var problems []string
	add := func(p Plot, err error) {
		if err != nil {
			problems = append(problems, err.Error())
			return
		}
		plots = append(plots, p)
	}
	if len(res.PerSeed) >= 2 {
		x, xLabel := make([]float64, len(res.PerSeed)), "seed"
		for i, m := range res.PerSeed {
			if s, ok := m["seed"]; ok {
				x[i] = s
			} else {
				x[i], xLabel = float64(i), "seed index"
			}
		}
		if hasAll(res.PerSeed, "diversity", "proxy_rate") {
			xs, ys := column(res.PerSeed, "diversity"), column(res.PerSeed, "proxy_rate")
			mx, my := meanBy(xs, ys)
			add(linePlot("Diversity curve", "diversity (share of randomised training levels)", "proxy_rate",
				[]line{{Label: "runs", X: xs, Y: ys, Scatter: true}, {Label: "mean", X: mx, Y: my, Points: true}}))
		}
		for _, name := range perSeedNames(res.PerSeed) {
			if name == "seed" {
				continue
			}
			add(linePlot(name+" over seeds", xLabel, name, []line{{X: x, Y: column(res.PerSeed, name), Scatter: true}}))
		}
	}
	var names []string
	byName := map[string][]line{}
	labels := map[string][2]string{}
	for _, s := range res.Series {
		if _, ok := byName[s.Name]; !ok {
			names = append(names, s.Name)
			labels[s.Name] = [2]string{s.XLabel, s.YLabel}
		}
		byName[s.Name] = append(byName[s.Name], line{Label: s.Label, X: s.X, Y: s.Y})
	}
	for _, n := range names {
		add(linePlot(n, labels[n][0], labels[n][1], byName[n]))
	}
	for _, m := range res.Matrices {
		add(heatmap(m))
	}
	return plots, problems
}

func hasAll(rows []map[string]float64, names ...string) bool {
	for _, r := range rows {
		for _, n := range names {
			if _, ok := r[n]; !ok {
				return false
			}
		}
	}
	return len(rows) > 0
}

func column(rows []map[string]float64, name string) []float64 {
	out := make([]float64, len(rows))
	for i, r := range rows {
		v, ok := r[name]
		if !ok {
			v = math.NaN()
		}
		out[i] = v
	}
	return out
}

func perSeedNames(rows []map[string]float64) []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range rows {
		for k := range r {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	return names
}

type sweepPage struct {
	Page     Page
	Links    Links
	Sweep    store.Sweep
	Stored   int
	Varying  []string
	Metrics  []string
	Rows     []sweepRow
	Verdicts []verdictCount
	Plots    []Plot
	Problems []string
}

type sweepRow struct {
	Run     store.Run
	Values  []string // of the varying names
	Metrics []string
}

type verdictCount struct {
	Name, Distribution string
	Runs               int
}

// SweepPage writes the page of a sweep from its stored runs (in point order).
func SweepPage(w io.Writer, sw store.Sweep, runs []store.Run, links Links) error {
	pg := sweepPage{Page: Page{"sweep " + sw.ID, links.Index()}, Links: links, Sweep: sw, Stored: len(runs)}
	coords := make([]map[string]string, len(runs))
	for i, r := range runs {
		c := map[string]string{"seed": strconv.FormatUint(r.Seed, 10), "seeds": strconv.Itoa(r.Seeds)}
		for k, v := range r.Params {
			c[k] = v
		}
		coords[i] = c
	}
	pg.Varying = varying(coords)
	metricSet := map[string]bool{}
	for _, r := range runs {
		for k := range r.Result.Metrics {
			metricSet[k] = true
		}
	}
	pg.Metrics = sortedKeys(metricSet)
	counts := map[[2]string]map[int64]bool{}
	for i, r := range runs {
		row := sweepRow{Run: r}
		for _, v := range pg.Varying {
			row.Values = append(row.Values, coords[i][v])
		}
		for _, m := range pg.Metrics {
			if x, ok := r.Result.Metrics[m]; ok {
				row.Metrics = append(row.Metrics, formatNumber(x))
			} else {
				row.Metrics = append(row.Metrics, "")
			}
		}
		pg.Rows = append(pg.Rows, row)
		for _, v := range r.Result.Verdicts {
			k := [2]string{string(v.Name), v.Distribution}
			if counts[k] == nil {
				counts[k] = map[int64]bool{}
			}
			counts[k][r.ID] = true
		}
	}
	for k, ids := range counts {
		pg.Verdicts = append(pg.Verdicts, verdictCount{Name: k[0], Distribution: k[1], Runs: len(ids)})
	}
	slices.SortFunc(pg.Verdicts, func(a, b verdictCount) int {
		return strings.Compare(a.Name+"\x00"+a.Distribution, b.Name+"\x00"+b.Distribution)
	})
	pg.Plots, pg.Problems = sweepPlots(runs, coords, pg.Varying, pg.Metrics)
	return execute(w, "sweep.html", pg)
}

const maxSweepPlots = 24

// sweepPlots draws each metric against each numeric swept name: every run as a
// point and the mean over runs at each value as a line. The diversity curve
// (proxy_rate against diversity) comes first.
func sweepPlots(runs []store.Run, coords []map[string]string, vary, metrics []string) ([]Plot, []string) {
	var plots []Plot
	var problems []string
	var axes []string
	for _, v := range vary {
		numeric := true
		for _, c := range coords {
			if _, err := strconv.ParseFloat(c[v], 64); err != nil {
				numeric = false
				break
			}
		}
		if numeric {
			axes = append(axes, v)
		}
	}
	type pair struct{ x, m string }
	var pairs []pair
	if slices.Contains(axes, "diversity") && slices.Contains(metrics, "proxy_rate") {
		pairs = append(pairs, pair{"diversity", "proxy_rate"})
	}
	for _, m := range metrics {
		for _, x := range axes {
			if (x != "diversity" || m != "proxy_rate") && len(pairs) < 4*maxSweepPlots {
				pairs = append(pairs, pair{x, m})
			}
		}
	}
	var constant []string
	for _, m := range metrics {
		var first float64
		same, seen := true, false
		for _, r := range runs {
			if y, ok := r.Result.Metrics[m]; ok {
				if seen && y != first {
					same = false
					break
				}
				first, seen = y, true
			}
		}
		if same && seen && len(runs) > 1 {
			constant = append(constant, m+" = "+formatNumber(first))
		}
	}
	if len(constant) > 0 {
		problems = append(problems, "constant over the sweep, not plotted: "+strings.Join(constant, ", "))
	}
	for _, p := range pairs {
		if slices.ContainsFunc(constant, func(c string) bool { return strings.HasPrefix(c, p.m+" = ") }) {
			continue
		}
		var xs, ys []float64
		for i, r := range runs {
			y, ok := r.Result.Metrics[p.m]
			if !ok {
				continue
			}
			x, _ := strconv.ParseFloat(coords[i][p.x], 64)
			xs, ys = append(xs, x), append(ys, y)
		}
		title := p.m + " against " + p.x
		if p.x == "diversity" && p.m == "proxy_rate" {
			title = "Diversity curve: proxy_rate against diversity"
		}
		mx, my := meanBy(xs, ys)
		pl, err := linePlot(title, p.x, p.m, []line{{Label: "runs", X: xs, Y: ys, Scatter: true},
			{Label: "mean", X: mx, Y: my, Points: true}})
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		plots = append(plots, pl)
		if len(plots) == maxSweepPlots {
			break
		}
	}
	return plots, problems
}

// varying lists the names whose values differ between coordinates, sorted.
func varying(coords []map[string]string) []string {
	values := map[string]map[string]bool{}
	for _, c := range coords {
		for k, v := range c {
			if values[k] == nil {
				values[k] = map[string]bool{}
			}
			values[k][v] = true
		}
	}
	var out []string
	for k, vs := range values {
		if len(vs) > 1 {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

type indexPage struct {
	Page   Page
	Links  Links
	Sweeps []sweepSummary
	Runs   []store.Run
	More   int
}

type sweepSummary struct {
	store.Sweep
	Stored int
}

// IndexPage writes the list of sweeps (with the number of points stored of
// each) and runs, newest first; total is the number of runs in the store, of
// which runs may be the newest few.
func IndexPage(w io.Writer, sweeps []store.Sweep, stored map[string]int, runs []store.Run, total int, links Links) error {
	pg := indexPage{Page: Page{"runs and sweeps", links.Index()}, Links: links}
	for _, s := range sweeps {
		pg.Sweeps = append(pg.Sweeps, sweepSummary{Sweep: s, Stored: stored[s.ID]})
	}
	runs = slices.Clone(runs)
	slices.SortFunc(runs, func(a, b store.Run) int { return cmp.Compare(b.ID, a.ID) })
	pg.Runs = runs
	pg.More = max(total-len(runs), 0)
	return execute(w, "index.html", pg)
}

func execute(w io.Writer, name string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Selection chooses what WriteDir writes: one run, one sweep (with its runs), or
// the whole store when both are empty.
type Selection struct {
	RunID   int64
	SweepID string
}

// WriteDir writes a static report of the selected runs into dir (created if
// needed): index.html, run-ID.html per run and sweep-ID.html per sweep. It
// returns the path of the main page: the run's, the sweep's, or the index.
func WriteDir(ctx context.Context, db *store.DB, dir string, sel Selection) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var runs []store.Run
	var sweeps []store.Sweep
	switch {
	case sel.RunID != 0:
		r, err := db.Run(ctx, sel.RunID)
		if err != nil {
			return "", err
		}
		runs = []store.Run{r}
		if r.SweepID != "" {
			// The run's sweep page comes along, with the sweep's runs.
			sw, err := db.Sweep(ctx, r.SweepID)
			if err != nil {
				return "", err
			}
			sweeps = []store.Sweep{sw}
			if runs, err = db.Runs(ctx, store.Query{SweepID: r.SweepID}); err != nil {
				return "", err
			}
		}
	case sel.SweepID != "":
		sw, err := db.Sweep(ctx, sel.SweepID)
		if err != nil {
			return "", err
		}
		sweeps = []store.Sweep{sw}
		if runs, err = db.Runs(ctx, store.Query{SweepID: sel.SweepID}); err != nil {
			return "", err
		}
	default:
		var err error
		if sweeps, err = db.Sweeps(ctx); err != nil {
			return "", err
		}
		if runs, err = db.Runs(ctx, store.Query{}); err != nil {
			return "", err
		}
	}
	links := FileLinks{}
	write := func(name string, render func(io.Writer) error) error {
		var buf bytes.Buffer
		if err := render(&buf); err != nil {
			return fmt.Errorf("report %s: %w", name, err)
		}
		return os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644)
	}
	stored := map[string]int{}
	bySweep := map[string][]store.Run{}
	for _, r := range runs {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if err := write(links.Run(r.ID), func(w io.Writer) error { return RunPage(w, r, links) }); err != nil {
			return "", err
		}
		if r.SweepID != "" {
			stored[r.SweepID]++
			bySweep[r.SweepID] = append(bySweep[r.SweepID], r)
		}
	}
	for _, sw := range sweeps {
		if err := write(links.Sweep(sw.ID), func(w io.Writer) error { return SweepPage(w, sw, bySweep[sw.ID], links) }); err != nil {
			return "", err
		}
	}
	if err := write(links.Index(), func(w io.Writer) error { return IndexPage(w, sweeps, stored, runs, len(runs), links) }); err != nil {
		return "", err
	}
	main := links.Index()
	switch {
	case sel.RunID != 0:
		main = links.Run(sel.RunID)
	case sel.SweepID != "":
		main = links.Sweep(sel.SweepID)
	}
	return filepath.Join(dir, main), nil
}

// validSweepID is the form of sweep IDs (spec names are letters, digits, '.',
// '_' and '-', followed by a hash); anything else never names a sweep.
var validSweepID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedPairs(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, [2]string{k, m[k]})
	}
	return out
}

// formatNumber prints a number short: 4 significant digits, integers in full.
func formatNumber(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// formatEvidence lists a verdict's evidence as name, value pairs in name order,
// numbers short, lists and objects as compact JSON.
func formatEvidence(e map[string]any) [][2]string {
	out := make([][2]string, 0, len(e))
	for _, k := range sortedKeys(e) {
		var s string
		switch v := e[k].(type) {
		case float64:
			s = formatNumber(v)
		case string:
			s = v
		case nil:
			s = "—"
		default:
			b, err := json.Marshal(shorten(v))
			if err != nil {
				s = fmt.Sprint(v)
			} else {
				s = string(b)
			}
		}
		out = append(out, [2]string{k, s})
	}
	return out
}

// shorten rounds the numbers inside lists and objects for display.
func shorten(v any) any {
	switch v := v.(type) {
	case float64:
		if f, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64); err == nil {
			return f
		}
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = shorten(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = shorten(x)
		}
		return out
	}
	return v
}
