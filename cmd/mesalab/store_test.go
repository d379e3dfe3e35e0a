package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mesalab/mesalab/store"
)

func writeTestFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var storedLine = regexp.MustCompile(`stored run (\d+) in (.+); report: mesalab report --run (\d+)(.*) --out report-(\d+)\n`)

// The README's main command stores its run in ./mesalab.db and says how to make
// its report; the report command then writes it.
func TestRunStoresAndPointsToReport(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, out, errs := mesalab(t, "run", "td0-3state", "--quiet")
	if code != 0 || !strings.Contains(out, "pseudo-aligned") {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errs)
	}
	m := storedLine.FindStringSubmatch(errs)
	if m == nil || m[1] != "1" || m[2] != "mesalab.db" || m[4] != "" {
		t.Fatalf("stderr %q does not say where the run is stored and how to report it", errs)
	}
	db, err := store.OpenReadOnly(filepath.Join(dir, "mesalab.db"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := db.Run(context.Background(), 1)
	db.Close()
	if err != nil || r.Experiment != "td0-3state" || r.Params["episodes"] != "2000" || r.Seeds != 1 ||
		r.Result.Metrics["agreement_shift"] != 2.0/3 || r.CodeVersion == "" {
		t.Fatalf("stored run = %+v, %v", r, err)
	}
	code, _, errs = mesalab(t, "report", "--run", "1", "--out", "report-1")
	if code != 0 || !fileExists(filepath.Join(dir, "report-1", "run-1.html")) {
		t.Fatalf("report: exit %d, %s", code, errs)
	}
	// --no-store stores nothing; --out writes the report at once.
	mesalab(t, "run", "td0-3state", "--quiet", "--no-store")
	code, _, errs = mesalab(t, "run", "td0-3state", "--quiet", "--db", "other.db", "--out", "rep", "--json")
	if code != 0 || !strings.Contains(errs, "report: "+filepath.Join("rep", "run-1.html")) || !fileExists(filepath.Join(dir, "rep", "run-1.html")) {
		t.Errorf("run --out: exit %d, %s", code, errs)
	}
	db, _ = store.OpenReadOnly(filepath.Join(dir, "mesalab.db"))
	if n, _ := db.Count(context.Background()); n != 1 {
		t.Errorf("mesalab.db has %d runs after --no-store and --db, want 1", n)
	}
	db.Close()
}

func TestRunSpecFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.db")
	spec := writeTestFile(t, filepath.Join(dir, "exp.yaml"), "experiment: td0-3state\nseed: 4\nseeds: 2\nparams:\n  episodes: 300\n")
	code, out, errs := mesalab(t, "run", spec, "--json", "--quiet", "--db", db, "--epsilon", "0.5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		Seed, Seeds int
		Config      map[string]float64
	}
	json.Unmarshal([]byte(out), &res)
	if res.Seed != 4 || res.Seeds != 2 || res.Config["episodes"] != 300 || res.Config["epsilon"] != 0.5 {
		t.Errorf("spec run = %+v, want seed 4, seeds 2, episodes 300 from the spec, epsilon 0.5 from the flag", res)
	}
	if !strings.Contains(errs, "--db "+db) {
		t.Errorf("report command does not name the store: %s", errs)
	}
}

// Bad input — a malformed spec, a corrupt or foreign store — exits 2 with the
// place in the message.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	badSpec := writeTestFile(t, filepath.Join(dir, "bad.yaml"), "experiment: td0-3state\nparams:\n  episodes: 10\n  epsilonn: 0.2\n")
	sweepSpec := writeTestFile(t, filepath.Join(dir, "sw.yaml"), "experiment: td0-3state\nsweep:\n  grid:\n    seed: [1, 2]\n")
	corrupt := writeTestFile(t, filepath.Join(dir, "corrupt.db"), strings.Repeat("not sqlite ", 100))
	good := filepath.Join(dir, "good.db")
	if code, _, errs := mesalab(t, "run", "td0-3state", "--quiet", "--db", good); code != 0 {
		t.Fatal(errs)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", badSpec, "--db", good}, "bad.yaml:4:3: field params.epsilonn"},
		{[]string{"sweep", badSpec, "--db", good}, "bad.yaml:4:3: field params.epsilonn"},
		{[]string{"run", sweepSpec, "--db", good}, "has a sweep section"},
		{[]string{"run", filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{"run", "td0-3state", "--db", corrupt}, "not a SQLite database"},
		{[]string{"sweep", sweepSpec, "--db", corrupt}, "not a SQLite database"},
		{[]string{"export", "--db", corrupt}, "not a SQLite database"},
		{[]string{"report", "--db", corrupt, "--out", filepath.Join(dir, "r")}, "not a SQLite database"},
		{[]string{"serve", "--db", corrupt}, "not a SQLite database"},
		{[]string{"merge", good, corrupt}, "not a SQLite database"},
		{[]string{"export", "--db", filepath.Join(dir, "none.db")}, "no such file"},
		{[]string{"export", "--db", good, "--format", "xlsx"}, "want csv, jsonl, parquet"},
		{[]string{"sweep", sweepSpec, "--shard", "2/2", "--db", good}, "0 ≤ I < N"},
		{[]string{"sweep", sweepSpec, "--emit", "slurm", "--shards", "3"}, "--shards 3: want 1 to 2"},
		{[]string{"sweep", sweepSpec, "--emit", "pbs"}, "want slurm or k8s"},
	}
	for _, c := range cases {
		code, _, errs := mesalab(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("mesalab %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), code, errs, c.want)
		}
	}
	if code, _, errs := mesalab(t, "report", "--db", good, "--run", "42", "--out", filepath.Join(dir, "r")); code != 2 || !strings.Contains(errs, "not found") {
		t.Errorf("report of a missing run: exit %d, %s", code, errs)
	}
}

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// A sweep in two shards (given by flag and by Slurm and Kubernetes environment
// variables), merged, exports the same table as the sweep run whole.
func TestSweepShardMergeExport(t *testing.T) {
	dir := t.TempDir()
	spec := writeTestFile(t, filepath.Join(dir, "sw.yaml"), "experiment: td0-3state\nname: cli\nparams: {episodes: 200}\nsweep:\n  grid:\n    seed: {from: 1, to: 3}\n    epsilon: [0.2, 0.4]\n")
	whole := filepath.Join(dir, "whole.db")
	if code, _, errs := mesalab(t, "sweep", spec, "--db", whole); code != 0 || !strings.Contains(errs, "ran 6 points") {
		t.Fatalf("sweep: exit %d, %s", code, errs)
	}
	if code, _, errs := mesalab(t, "sweep", spec, "--db", whole); code != 2 || !strings.Contains(errs, "--resume") {
		t.Errorf("sweep again: exit %d, %s", code, errs)
	}
	t.Setenv("SLURM_ARRAY_TASK_ID", "1")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "2")
	if code, _, errs := mesalab(t, "sweep", spec, "--db", filepath.Join(dir, "shard-{shard}.db")); code != 0 || !strings.Contains(errs, "shard 1/2 ran 3 points") {
		t.Fatalf("slurm shard: exit %d, %s", code, errs)
	}
	os.Unsetenv("SLURM_ARRAY_TASK_ID")
	t.Setenv("JOB_COMPLETION_INDEX", "0")
	t.Setenv("MESALAB_SHARD_COUNT", "2")
	if code, _, errs := mesalab(t, "sweep", spec, "--db", filepath.Join(dir, "shard-{shard}.db")); code != 0 || !strings.Contains(errs, "shard 0/2 ran 3 points") {
		t.Fatalf("k8s shard: exit %d, %s", code, errs)
	}
	merged := filepath.Join(dir, "merged.db")
	code, _, errs := mesalab(t, "merge", merged, filepath.Join(dir, "shard-0.db"), filepath.Join(dir, "shard-1.db"))
	if code != 0 || !strings.Contains(errs, "6 runs added, 0 already there; 6 runs in all") {
		t.Fatalf("merge: exit %d, %s", code, errs)
	}
	for _, table := range []string{"metrics", "verdicts", "comparisons"} {
		_, a, _ := mesalab(t, "export", "--db", whole, "--table", table)
		_, b, _ := mesalab(t, "export", "--db", merged, "--table", table)
		ra, rb := readCSV(t, a), readCSV(t, b)
		if len(ra) < 7 || len(ra) != len(rb) {
			t.Fatalf("%s: %d rows whole, %d merged", table, len(ra), len(rb))
		}
		for i := range ra {
			if strings.Join(ra[i][1:], ",") != strings.Join(rb[i][1:], ",") { // all but run_id
				t.Errorf("%s row %d:\n whole  %v\n merged %v", table, i, ra[i], rb[i])
			}
		}
	}
	// JSON lines and Parquet.
	_, jl, _ := mesalab(t, "export", "--db", merged, "--format", "jsonl", "--table", "runs")
	if n := strings.Count(jl, "\n"); n != 6 || !strings.Contains(jl, `"param_epsilon":"0.4"`) {
		t.Errorf("jsonl runs: %d lines\n%s", n, jl)
	}
	pq := filepath.Join(dir, "m.parquet")
	if code, _, errs := mesalab(t, "export", "--db", merged, "--format", "parquet", "--out", pq); code != 0 || !strings.Contains(errs, "rows of metrics") {
		t.Errorf("parquet: exit %d, %s", code, errs)
	}
	if b, _ := os.ReadFile(pq); len(b) < 8 || string(b[:4]) != "PAR1" || string(b[len(b)-4:]) != "PAR1" {
		t.Errorf("%s is not a Parquet file", pq)
	}
}

func TestEmit(t *testing.T) {
	dir := t.TempDir()
	spec := writeTestFile(t, filepath.Join(dir, "sw.yaml"), "experiment: td0-3state\nsweep:\n  grid:\n    seed: {from: 1, to: 5}\n")
	code, out, errs := mesalab(t, "sweep", spec, "--emit", "slurm", "--shards", "2", "--out-dir", filepath.Join(dir, "shards"), "--binary", "/opt/mesalab")
	if code != 0 || !strings.Contains(out, "#SBATCH --array=0-1\n") || !strings.Contains(out, "exec '/opt/mesalab' sweep '"+spec+"' --db '"+filepath.Join(dir, "shards")+"/shard-{shard}.db'") {
		t.Errorf("emit slurm: exit %d\n%s\n%s", code, out, errs)
	}
	if st, err := os.Stat(filepath.Join(dir, "shards")); err != nil || !st.IsDir() {
		t.Errorf("emit slurm did not create the shard directory")
	}
	code, out, _ = mesalab(t, "sweep", spec, "--emit", "k8s", "--shards", "5", "--image", "example/mesalab:2")
	if code != 0 || !strings.Contains(out, "completions: 5\n") || !strings.Contains(out, "image: example/mesalab:2\n") {
		t.Errorf("emit k8s: exit %d\n%s", code, out)
	}
}
