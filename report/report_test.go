package report

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/experiment"
	"github.com/mesalab/mesalab/store"
	"github.com/mesalab/mesalab/verdict"
)

const hostile = `<script>alert("x")</script>`

// result is a run result with every part a report shows, and a hostile string
// where text from an experiment lands.
func result(seed uint64, diversity, proxy float64) *experiment.Result {
	return &experiment.Result{
		Experiment: "toy", Seeds: 3, Seed: seed, Config: map[string]any{"diversity": diversity},
		Metrics: map[string]float64{"proxy_rate": proxy, "train_success": 1},
		PerSeed: []map[string]float64{
			{"seed": float64(seed), "diversity": 0, "proxy_rate": 1},
			{"seed": float64(seed + 1), "diversity": 0.05, "proxy_rate": 0.5},
			{"seed": float64(seed + 2), "diversity": 0.1, "proxy_rate": 0.25},
		},
		Comparisons: []mesalab.Comparison{
			{Distribution: "train", Subject: "seed 1", Agreement: 1, Coverage: 1, Tasks: 3},
			{Distribution: "shift", Subject: hostile, Tasks: 3, Incomparable: &mesalab.Incomparable{Missing: []string{"decoder φ"}}},
		},
		Verdicts: []verdict.Verdict{
			{Name: verdict.PseudoAligned, Distribution: "shift", Subject: "seed 1",
				Evidence: map[string]any{"agreement_shift": 0.333333333, "proxy": "cheese corner", "visits": []any{3.0, 0.0, 1.0}}},
			{Name: verdict.NoDisagreementFound, Distribution: "train", Subject: hostile, Evidence: map[string]any{"agreement": 1.0}},
		},
		Series: []experiment.Series{
			{Name: "train_loss", Label: "seed 1", XLabel: "step", YLabel: "loss", X: []float64{0, 1, 2, 3}, Y: []float64{4, 2, 1, 0.5}},
			{Name: "train_loss", Label: "seed 2", X: []float64{0, 1, 2, 3}, Y: []float64{5, 3, 1.5, 0.7}},
		},
		Matrices: []experiment.Matrix{{Name: "epic_distance", RowLabels: []string{"door", "red"}, ColLabels: []string{"door", "red"},
			Values: [][]float64{{0, 0.4}, {0.4, 0}}}},
		Figures: []experiment.Figure{{Title: "level", Caption: hostile,
			SVG: `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>`}},
		Tables: []experiment.Table{{Title: "Q*", Header: []string{"state", "left"}, Rows: [][]string{{"start", "8.1"}}}},
		Unjudged: []verdict.Unjudged{{Subject: "seed 2", Distribution: "train", Reason: "agreement 0.98 misses the tolerance " + hostile,
			Evidence: map[string]any{"agreement": 0.98}}},
		Notes: []string{"unidentifiable on train: door ~ red, ρ = 1.00", hostile},
		PerLevel: []experiment.LevelResult{{Subject: "seed 1", Distribution: "shift", Level: 4, Agreement: 0, Regret: 10,
			NormalizedRegret: 1, Distance: 0.5, Decisions: 2, Outcome: "red gem"},
			{Subject: "seed 1", Distribution: "shift", Level: 5, Agreement: 1, Outcome: "door"}},
		PerSeedLabels: []map[string]string{{"pursued": "red", "seed": "1"}, {"pursued": "door", "weights_prefer": hostile}, {}},
	}
}

// fill stores one plain run and a sweep of 6 runs over diversity and seed.
func fill(t *testing.T, path string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Put(ctx, &store.Run{Params: map[string]string{"diversity": "0"}, Result: result(1, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSweep(ctx, store.Sweep{ID: "div-0123456789", Experiment: "toy", Spec: "experiment: toy\n# " + hostile, Points: 8}); err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, d := range []string{"0", "0.05", "0.1"} {
		for seed := uint64(1); seed <= 2; seed++ {
			var x float64
			fmt.Sscan(d, &x)
			_, err := db.Put(ctx, &store.Run{SweepID: "div-0123456789", PointKey: fmt.Sprintf("diversity=%s&seed=%d", d, seed),
				PointIndex: i, Seed: seed, Seeds: 3, Params: map[string]string{"diversity": d},
				Result: result(seed, x, 1-5*x+0.01*float64(seed))})
			if err != nil {
				t.Fatal(err)
			}
			i++
		}
	}
	return db
}

var svgSize = regexp.MustCompile(`<svg[^>]*width="([0-9.]+)[a-z]*"[^>]*height="([0-9.]+)`)

func TestRunPage(t *testing.T) {
	db := fill(t, filepath.Join(t.TempDir(), "a.db"))
	defer db.Close()
	r, err := db.Run(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RunPage(&b, r, FileLinks{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`<span class="verdict v-pseudo-aligned">pseudo-aligned</span>`,
		`<dt>agreement_shift</dt><dd>0.3333</dd>`, `<dt>proxy</dt><dd>cheese corner</dd>`, `<dt>visits</dt><dd>[3,0,1]</dd>`,
		"incomparable: missing decoder φ", "<figcaption>Diversity curve</figcaption>", "<figcaption>train_loss</figcaption>",
		"<figcaption>epic_distance</figcaption>", "<figcaption>proxy_rate over seeds</figcaption>",
		`<img src="data:image/svg&#43;xml;base64,`, "<h2>Q*</h2>",
		"<h2>No verdict</h2>", "<td>agreement 0.98 misses the tolerance &lt;script&gt;", "<dt>agreement</dt><dd>0.98</dd>",
		"<li>unidentifiable on train: door ~ red, ρ = 1.00</li>",
		// Per-seed labels: columns are the union of keys, the first cell the seed.
		"<th>seed</th><th>pursued</th><th>weights_prefer</th>", "<tr><td>1</td><td>red</td><td></td></tr>",
		"<tr><td>3</td><td></td><td></td></tr>",
		// Only the disagreeing level is among the worst.
		`<tr><td>seed 1</td><td>shift</td><td class="num">4</td><td>red gem</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("run page lacks %q", want)
		}
	}
	if strings.Contains(page, hostile) || strings.Contains(page, "<script") {
		t.Error("run page contains an unescaped script")
	}
	if strings.Contains(page, `<td class="num">5</td><td>door</td>`) {
		t.Error("an agreeing level is listed among the worst levels")
	}
	if got := strings.Count(page, `<tr class="verdict-row">`); got != 2 {
		t.Errorf("%d verdict rows, want 2", got)
	}
	// Plots: diversity curve, 2 per-seed metrics (diversity, proxy_rate), train_loss, the heatmap.
	sizes := svgSize.FindAllStringSubmatch(page, -1)
	if len(sizes) != 5 {
		t.Errorf("%d inline SVG plots, want 5", len(sizes))
	}
	for _, s := range sizes {
		if s[1] == "0" || s[2] == "0" {
			t.Errorf("SVG of size %s×%s", s[1], s[2])
		}
	}
}

func TestSweepPageDiversityCurve(t *testing.T) {
	db := fill(t, filepath.Join(t.TempDir(), "a.db"))
	defer db.Close()
	ctx := context.Background()
	sw, _ := db.Sweep(ctx, "div-0123456789")
	runs, _ := db.Runs(ctx, store.Query{SweepID: sw.ID})
	var b bytes.Buffer
	if err := SweepPage(&b, sw, runs, ServerLinks{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	first := strings.Index(page, "<figcaption>")
	if first < 0 || !strings.HasPrefix(page[first:], "<figcaption>Diversity curve: proxy_rate against diversity</figcaption>") {
		t.Errorf("first plot is not the diversity curve: %.100s", page[max(first, 0):])
	}
	// Varying: diversity and seed; metric proxy_rate (train_success is constant): 2 plots.
	if n := strings.Count(page, "<figure class=\"plot\">"); n != 2 {
		t.Errorf("%d plots, want 2", n)
	}
	for _, want := range []string{"<td>points stored</td><td>6 of 8</td>", "<td>varying</td><td>diversity, seed</td>",
		`<a href="/run/4">4</a></td><td>0.05</td><td>1</td><td class="num">0.76</td>`,
		`<td class="num">6</td>`, "constant over the sweep, not plotted: train_success = 1"} { // pseudo-aligned on shift in all 6 runs
		if !strings.Contains(page, want) {
			t.Errorf("sweep page lacks %q", want)
		}
	}
	if strings.Contains(page, hostile) {
		t.Error("sweep page contains an unescaped script")
	}
}

var href = regexp.MustCompile(`href="([^"]+)"`)

func TestWriteDir(t *testing.T) {
	dir := t.TempDir()
	db := fill(t, filepath.Join(dir, "a.db"))
	defer db.Close()
	ctx := context.Background()
	cases := []struct {
		sel   Selection
		main  string
		files int
	}{
		{Selection{}, "index.html", 1 + 7 + 1},
		{Selection{RunID: 1}, "run-1.html", 2},
		{Selection{RunID: 3}, "run-3.html", 1 + 6 + 1},
		{Selection{SweepID: "div-0123456789"}, "sweep-div-0123456789.html", 1 + 6 + 1},
	}
	for i, c := range cases {
		out := filepath.Join(dir, fmt.Sprint("report", i))
		main, err := WriteDir(ctx, db, out, c.sel)
		if err != nil {
			t.Fatal(err)
		}
		if main != filepath.Join(out, c.main) {
			t.Errorf("%+v: main page %s, want %s", c.sel, main, c.main)
		}
		files, _ := os.ReadDir(out)
		if len(files) != c.files {
			t.Errorf("%+v: %d files, want %d", c.sel, len(files), c.files)
		}
		// Every link leads to a page of the report.
		for _, f := range files {
			b, _ := os.ReadFile(filepath.Join(out, f.Name()))
			for _, m := range href.FindAllStringSubmatch(string(b), -1) {
				if _, err := os.Stat(filepath.Join(out, m[1])); err != nil {
					t.Errorf("%s links to missing %s", f.Name(), m[1])
				}
			}
		}
	}
	if _, err := WriteDir(ctx, db, filepath.Join(dir, "x"), Selection{RunID: 99}); err == nil {
		t.Error("report of a missing run: no error")
	}
}

// get sends a raw request line, so that the path reaches the server exactly as
// written (a client library would clean it), and returns the status and body.
func get(t *testing.T, addr, method, path string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", method, path, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestHandler(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.db")
	fill(t, path).Close()
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("top secret"), 0o644)
	db, err := store.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(Handler(db))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	for _, c := range []struct {
		path, want string
	}{{"/", `<a href="/sweep/div-0123456789">`}, {"/run/1", `v-pseudo-aligned`}, {"/sweep/div-0123456789", "Diversity curve"}} {
		resp, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), c.want) ||
			resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("GET %s: %d %v, body has %q: %v", c.path, resp.StatusCode, resp.Header, c.want, strings.Contains(string(body), c.want))
		}
	}
	// Path traversal and other bad requests never reach a file and never succeed.
	traversal := []string{
		"/../../../../etc/passwd", "/run/../../../etc/passwd", "/run/..%2f..%2f..%2fetc%2fpasswd", "/run/%2e%2e",
		"/sweep/..%2F..%2Fsecret.txt", "/sweep/../secret.txt", "/secret.txt", "/a.db", "//etc/passwd",
		"/run/1/../../secret.txt", "/run/1%00", "/sweep/div-0123456789%2F..%2F..%2Fa.db", "/run/0", "/run/-1",
		"/run/99", "/sweep/nope", "/sweep/..", "/run/1/extra", "/static/..%5c..%5csecret.txt",
	}
	for _, p := range traversal {
		code, body := get(t, addr, "GET", p)
		if code == 200 || strings.Contains(body, "root:") || strings.Contains(body, "top secret") || strings.Contains(body, "SQLite format") {
			t.Errorf("GET %s: %d %.80q", p, code, body)
		}
		if code >= 300 && code < 400 {
			continue // the mux redirects an unclean path to its clean form, which is one of the above
		}
		if code != 400 && code != 404 {
			t.Errorf("GET %s: status %d, want 400 or 404", p, code)
		}
	}
	// Read-only: no method but GET and HEAD.
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		if code, _ := get(t, addr, m, "/run/1"); code != 405 {
			t.Errorf("%s /run/1: %d, want 405", m, code)
		}
	}
	if code, _ := get(t, addr, "HEAD", "/run/1"); code != 200 {
		t.Errorf("HEAD /run/1: %d", code)
	}
	if n, _ := db.Count(context.Background()); n != 7 {
		t.Errorf("store has %d runs after serving, want 7", n)
	}
}

func TestServerTimeouts(t *testing.T) {
	s := Server("127.0.0.1:0", nil)
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Errorf("server without timeouts: %+v", s)
	}
}

func TestHeatmapErrors(t *testing.T) {
	for _, m := range []experiment.Matrix{{Name: "empty"}, {Name: "ragged", Values: [][]float64{{1, 2}, {3}}}} {
		if _, err := heatmap(m); err == nil || !strings.Contains(err.Error(), m.Name) {
			t.Errorf("heatmap(%s): err = %v", m.Name, err)
		}
	}
}
