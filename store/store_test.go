package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/experiment"
	"github.com/mesalab/mesalab/verdict"
	"github.com/parquet-go/parquet-go"
)

// result builds a small result with every part the store keeps.
func result(seed uint64, agreement float64) *experiment.Result {
	return &experiment.Result{
		Experiment: "toy", Seeds: 2, Seed: seed,
		Config:  map[string]any{"episodes": 10, "epsilon": 0.5},
		Metrics: map[string]float64{"agreement_shift": agreement, "regret_shift": 1 - agreement},
		PerSeed: []map[string]float64{{"seed": float64(seed), "agreement_shift": agreement},
			{"seed": float64(seed + 1), "agreement_shift": agreement / 2}},
		Comparisons: []mesalab.Comparison{
			{Distribution: "train", Subject: "seed 1", Agreement: 1, Coverage: 1, Tasks: 3},
			{Distribution: "shift", Subject: "seed 1", Tasks: 3, Incomparable: &mesalab.Incomparable{Missing: []string{"decoder"}}},
			{Distribution: "sampled", Subject: "seed 1", Agreement: 0.5, Coverage: mesalab.CoverageUnknown, Tasks: 100},
		},
		Verdicts: []verdict.Verdict{{Name: verdict.PseudoAligned, Distribution: "shift", Subject: "seed 1",
			Evidence: map[string]any{"agreement_shift": agreement, "proxy": "initial Q"}}},
		Series:   []experiment.Series{{Name: "loss", X: []float64{0, 1}, Y: []float64{2, 1}}},
		Matrices: []experiment.Matrix{{Name: "epic", Values: [][]float64{{0, 0.5}, {0.5, 0}}}},
		Tables:   []experiment.Table{{Title: "Q*", Header: []string{"s", "q"}, Rows: [][]string{{"0", "9"}}}},
		Figures:  []experiment.Figure{{Title: "level", SVG: "<svg xmlns='http://www.w3.org/2000/svg'/>"}},
		ElapsedS: 0.25,
	}
}

func tempStore(t *testing.T, name string) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPutRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := tempStore(t, "a.db")
	began := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	in := Run{Params: map[string]string{"episodes": "10"}, CodeVersion: "v1", Started: began,
		Finished: began.Add(time.Second), ElapsedS: 1, Result: result(7, 0.75)}
	id, err := db.Put(ctx, &in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := db.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if out.Experiment != "toy" || out.Seed != 7 || out.Seeds != 2 || out.CodeVersion != "v1" ||
		!out.Started.Equal(began) || !out.Finished.Equal(began.Add(time.Second)) || !strings.HasPrefix(out.UID, "run-") {
		t.Errorf("run header = %+v", out)
	}
	if out.Digest != in.Digest || len(out.Digest) != 64 {
		t.Errorf("digest %q, put gave %q", out.Digest, in.Digest)
	}
	want := result(7, 0.75)
	want.Config = map[string]any{"episodes": 10.0, "epsilon": 0.5} // JSON numbers come back as float64
	want.Verdicts[0].Evidence = map[string]any{"agreement_shift": 0.75, "proxy": "initial Q"}
	want.Comparisons[1].Coverage = mesalab.CoverageUnknown // an incomparable comparison has no numbers
	if !reflect.DeepEqual(out.Result, want) {
		t.Errorf("result round trip:\n got %+v\nwant %+v", out.Result, want)
	}
	// The tidy tables: 2 run metrics + 2×2 per-seed metrics, 3 comparisons, 1 verdict.
	for table, n := range map[string]int{"runs": 1, "metrics": 6, "comparisons": 3, "verdicts": 1} {
		if got := count(t, db, table); got != n {
			t.Errorf("%s rows = %d, want %d", table, got, n)
		}
	}
	var agreement, coverage sql.NullFloat64
	db.db.QueryRow("SELECT agreement FROM comparisons WHERE idx = 1").Scan(&agreement)
	if agreement.Valid {
		t.Errorf("an incomparable comparison stored agreement %v, want NULL", agreement.Float64)
	}
	db.db.QueryRow("SELECT agreement, coverage FROM comparisons WHERE idx = 2").Scan(&agreement, &coverage)
	if agreement.Float64 != 0.5 || coverage.Valid {
		t.Errorf("sampled comparison stored agreement %v, coverage %v; want 0.5 and NULL", agreement, coverage)
	}
	if _, err := db.Run(ctx, id+1); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing run: err = %v, want ErrNotFound", err)
	}
}

func TestDigestIgnoresTimingOnly(t *testing.T) {
	digest := func(r *experiment.Result, elapsed float64) string {
		r.ElapsedS = elapsed
		e, err := encode(&Run{Experiment: "toy", Seed: 7, Seeds: 2, Result: r})
		if err != nil {
			t.Fatal(err)
		}
		return e.digest
	}
	a, b := digest(result(7, 0.75), 1), digest(result(7, 0.75), 99)
	if a != b {
		t.Errorf("digest depends on elapsed time: %s vs %s", a, b)
	}
	if c := digest(result(7, 0.75+1e-16), 1); c == a {
		t.Errorf("digest does not see a change of the last bit of a metric")
	}
}

func TestPutRejectsNonFinite(t *testing.T) {
	db := tempStore(t, "a.db")
	r := result(1, math.NaN())
	_, err := db.Put(context.Background(), &Run{Result: r})
	if err == nil || !strings.Contains(err.Error(), "finite") {
		t.Fatalf("NaN metric: err = %v, want an error about finite numbers", err)
	}
	if n := count(t, db, "runs"); n != 0 {
		t.Errorf("%d runs stored after a failed put", n)
	}
}

// A failure inside the transaction, after some rows were written, leaves nothing.
func TestPutIsAtomic(t *testing.T) {
	db := tempStore(t, "a.db")
	ctx := context.Background()
	if _, err := db.Put(ctx, &Run{UID: "x", Result: result(1, 1)}); err != nil {
		t.Fatal(err)
	}
	// Same UID: the runs row fails. Then a failure after every row of the run was
	// written, just before the commit.
	if _, err := db.Put(ctx, &Run{UID: "x", Result: result(2, 1)}); err == nil || !strings.Contains(err.Error(), "already stored") {
		t.Errorf("duplicate UID: err = %v", err)
	}
	testHookBeforeCommit = func() error { return errors.New("power cut") }
	_, err := db.Put(ctx, &Run{UID: "y", Result: result(2, 1)})
	testHookBeforeCommit = nil
	if err == nil || !strings.Contains(err.Error(), "power cut") {
		t.Errorf("failed commit: err = %v", err)
	}
	for table, n := range map[string]int{"runs": 1, "metrics": 6, "comparisons": 3, "verdicts": 1} {
		if got := count(t, db, table); got != n {
			t.Errorf("%s rows = %d after failed puts, want %d", table, got, n)
		}
	}
}

func TestSchemaVersionAndMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	// A store as the first schema version left it.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{fmt.Sprintf("PRAGMA application_id = %d", ApplicationID), "CREATE TABLE schema_version (version INTEGER NOT NULL)",
		"INSERT INTO schema_version VALUES (1)", migrations[0]} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	if _, err := OpenReadOnly(path); err == nil || !strings.Contains(err.Error(), "schema version 1 is older") {
		t.Errorf("read-only open of an old store: err = %v", err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var v, idx int
	db.db.QueryRow("SELECT version FROM schema_version").Scan(&v)
	db.db.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'runs_experiment'").Scan(&idx)
	if v != len(migrations) || idx != 1 {
		t.Errorf("after migration: version %d (want %d), index present %d", v, len(migrations), idx)
	}
	// A store from the future is refused.
	db.db.Exec("UPDATE schema_version SET version = 99")
	db.Close()
	for _, open := range []func(string) (*DB, error){Open, OpenReadOnly} {
		if _, err := open(path); err == nil || !strings.Contains(err.Error(), "newer mesalab") {
			t.Errorf("store of schema 99: err = %v, want 'newer mesalab'", err)
		}
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A foreign SQLite database.
	foreign := filepath.Join(dir, "foreign.db")
	raw, _ := sql.Open("sqlite", foreign)
	if _, err := raw.Exec("CREATE TABLE users (name TEXT)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	// A valid store with runs, then its pages overwritten in the middle.
	corrupt := filepath.Join(dir, "corrupt.db")
	db, err := Open(corrupt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if _, err := db.Put(context.Background(), &Run{Result: result(uint64(i), 0.5)}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	b, _ := os.ReadFile(corrupt)
	if len(b) < 8192 {
		t.Fatalf("store is only %d bytes", len(b))
	}
	for i := 4096; i < len(b)-100; i += 1024 {
		copy(b[i:], bytes.Repeat([]byte{0xA5}, 64))
	}
	os.WriteFile(corrupt, b, 0o644)
	truncatedHeader := append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xff}, 84)...)

	cases := []struct {
		name, path, want string
	}{
		{"text file", write("notes.db", []byte("these are my notes, not a database\n")), "not a SQLite database"},
		{"random bytes", write("random.db", bytes.Repeat([]byte{1, 2, 3, 250, 0, 7}, 2000)), "not a SQLite database"},
		{"bad header", write("header.db", truncatedHeader), "store"},
		{"foreign", foreign, "not a mesalab results store"},
		{"corrupt pages", corrupt, "corrupt"},
		{"directory", dir, "is a directory"},
	}
	for _, c := range cases {
		for mode, open := range map[string]func(string) (*DB, error){"rw": Open, "ro": OpenReadOnly} {
			db, err := open(c.path)
			if err == nil {
				db.Close()
				t.Errorf("%s (%s): opened, want an error", c.name, mode)
				continue
			}
			t.Logf("%s (%s): %v", c.name, mode, err)
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("%s (%s): err = %q, want it to name the file and say %q", c.name, mode, err, c.want)
			}
		}
	}
	// The foreign database was not touched.
	raw, _ = sql.Open("sqlite", foreign)
	var appID int
	raw.QueryRow("PRAGMA application_id").Scan(&appID)
	raw.Close()
	if appID != 0 {
		t.Errorf("foreign database got application_id %#x", appID)
	}
	if _, err := OpenReadOnly(filepath.Join(dir, "missing.db")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file read-only: err = %v", err)
	}
	empty := write("empty.db", nil)
	if _, err := OpenReadOnly(empty); err == nil || !strings.Contains(err.Error(), "no runs stored yet") {
		t.Errorf("empty file read-only: err = %v", err)
	}
	if db, err := Open(empty); err != nil {
		t.Errorf("empty file read-write: %v, want a new store", err)
	} else {
		db.Close()
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Put(context.Background(), &Run{Result: result(1, 1)}); err == nil {
		t.Error("put on a read-only store succeeded")
	}
	if _, err := ro.db.Exec("DELETE FROM runs"); err == nil {
		t.Error("SQL write on a read-only store succeeded")
	}
}

func sweepRun(point string, index int, agreement float64) *Run {
	return &Run{SweepID: "sw-1", PointKey: point, PointIndex: index, Params: map[string]string{"p": point},
		Result: result(uint64(index), agreement)}
}

func TestMerge(t *testing.T) {
	ctx := context.Background()
	a, b, dst := tempStore(t, "a.db"), tempStore(t, "b.db"), tempStore(t, "dst.db")
	sw := Sweep{ID: "sw-1", Name: "sw", Experiment: "toy", Spec: "experiment: toy\n", Points: 4}
	for _, s := range []*DB{a, b} {
		if err := s.PutSweep(ctx, sw); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range []string{"p=0", "p=1", "p=2", "p=3"} {
		s := []*DB{a, b}[i%2]
		if _, err := s.Put(ctx, sweepRun(p, i, float64(i)/4)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Merge(ctx, dst, a, b)
	if err != nil || st != (MergeStats{Added: 4}) {
		t.Fatalf("merge = %+v, %v; want 4 added", st, err)
	}
	// Again, and once more from a store holding a subset: nothing changes.
	st, err = Merge(ctx, dst, b, a, dst)
	if err != nil || st != (MergeStats{Skipped: 8}) {
		t.Fatalf("second merge = %+v, %v; want 8 skipped", st, err)
	}
	runs, err := dst.Runs(ctx, Query{SweepID: "sw-1"})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range runs {
		if r.PointIndex != i || r.Result.Metrics["agreement_shift"] != float64(i)/4 {
			t.Errorf("merged run %d: point %d, agreement %v", i, r.PointIndex, r.Result.Metrics["agreement_shift"])
		}
	}
	if n := count(t, dst, "metrics"); n != 4*6 {
		t.Errorf("merged metrics rows = %d, want 24", n)
	}
	if sws, _ := dst.Sweeps(ctx); len(sws) != 1 || sws[0].Points != 4 {
		t.Errorf("merged sweeps = %+v", sws)
	}
	// A different result under the same point is a conflict, and adds nothing.
	c := tempStore(t, "c.db")
	c.Put(ctx, sweepRun("p=9", 9, 0))
	c.Put(ctx, sweepRun("p=1", 1, 0.99))
	if _, err := Merge(ctx, dst, c); err == nil || !strings.Contains(err.Error(), "sw-1/p=1 differs") {
		t.Errorf("conflicting merge: err = %v", err)
	}
	if n, _ := dst.Count(ctx); n != 4 {
		t.Errorf("%d runs after a failed merge, want 4", n)
	}
}

func TestExport(t *testing.T) {
	ctx := context.Background()
	db := tempStore(t, "a.db")
	db.Put(ctx, &Run{Params: map[string]string{"episodes": "10"}, Result: result(7, 0.75)})
	db.Put(ctx, &Run{Params: map[string]string{"episodes": "20", "alpha": "0.1"}, Result: result(9, 0.5)})
	tab, err := db.Table(ctx, "metrics", Query{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tab.Write(&buf, "csv"); err != nil {
		t.Fatal(err)
	}
	wantCSV := `run_id,experiment,sweep_id,point_key,seed,seeds,param_alpha,param_episodes,seed_index,metric,value
1,toy,,,7,2,,10,,agreement_shift,0.75
1,toy,,,7,2,,10,,regret_shift,0.25
1,toy,,,7,2,,10,0,agreement_shift,0.75
1,toy,,,7,2,,10,0,seed,7
1,toy,,,7,2,,10,1,agreement_shift,0.375
1,toy,,,7,2,,10,1,seed,8
2,toy,,,9,2,0.1,20,,agreement_shift,0.5
2,toy,,,9,2,0.1,20,,regret_shift,0.5
2,toy,,,9,2,0.1,20,0,agreement_shift,0.5
2,toy,,,9,2,0.1,20,0,seed,9
2,toy,,,9,2,0.1,20,1,agreement_shift,0.25
2,toy,,,9,2,0.1,20,1,seed,10
`
	if buf.String() != wantCSV {
		t.Errorf("csv:\n%s\nwant:\n%s", buf.String(), wantCSV)
	}
	vt, _ := db.Table(ctx, "verdicts", Query{Limit: 1})
	buf.Reset()
	vt.Write(&buf, "jsonl")
	wantJSONL := `{"run_id":2,"experiment":"toy","sweep_id":null,"point_key":null,"seed":9,"seeds":2,"param_alpha":"0.1","param_episodes":"20","index":0,"verdict":"pseudo-aligned","distribution":"shift","subject":"seed 1","evidence":"{\"agreement_shift\":0.5,\"proxy\":\"initial Q\"}"}` + "\n"
	if buf.String() != wantJSONL {
		t.Errorf("jsonl:\n%s\nwant:\n%s", buf.String(), wantJSONL)
	}
	ct, _ := db.Table(ctx, "comparisons", Query{})
	if len(ct.Rows) != 6 || ct.Rows[1][len(ct.Columns)-1] != `["decoder"]` || ct.Rows[1][len(ct.Columns)-7] != nil ||
		ct.Rows[2][len(ct.Columns)-7] != 0.5 || ct.Rows[2][len(ct.Columns)-3] != nil {
		t.Errorf("comparisons table rows: %v", ct.Rows)
	}
	// Parquet: read back the file and compare with the table.
	buf.Reset()
	if err := tab.Write(&buf, "parquet"); err != nil {
		t.Fatal(err)
	}
	type metricRow struct {
		RunID     int64   `parquet:"run_id"`
		Metric    string  `parquet:"metric"`
		Value     float64 `parquet:"value"`
		SeedIndex *int64  `parquet:"seed_index,optional"`
		Alpha     *string `parquet:"param_alpha,optional"`
	}
	rows, err := parquet.Read[metricRow](bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tab.Rows) {
		t.Fatalf("parquet has %d rows, want %d", len(rows), len(tab.Rows))
	}
	for i, r := range rows {
		want := tab.Rows[i]
		if r.RunID != want[0] || r.Metric != want[9] || r.Value != want[10] ||
			(r.SeedIndex == nil) != (want[8] == nil) || (r.Alpha == nil) != (want[6] == nil) {
			t.Errorf("parquet row %d = %+v, table row %v", i, r, want)
		}
	}
	if _, err := db.Table(ctx, "nope", Query{}); err == nil {
		t.Error("unknown table: no error")
	}
	if err := tab.Write(&buf, "xlsx"); err == nil {
		t.Error("unknown format: no error")
	}
}

// The word-valued parts of a result (why no verdict, per-seed labels, notes)
// export as tidy tables of their own, exactly.
func TestExportWords(t *testing.T) {
	ctx := context.Background()
	db := tempStore(t, "w.db")
	res := result(3, 1)
	res.Unjudged = []verdict.Unjudged{{Subject: "seed 4", Distribution: "train", Reason: "agreement 0.98 misses the tolerance 0.01",
		Evidence: map[string]any{"agreement": 0.98}}}
	res.PerSeedLabels = []map[string]string{{"pursued": "red", "weights_prefer": "door"}, {"pursued": "door"}}
	res.Notes = []string{"unidentifiable on train: door ~ red, ρ = 1.00"}
	epic := 0.25
	res.PerLevel = []experiment.LevelResult{{Subject: "seed 3", Distribution: "shift", Level: 7, Agreement: 0.5, Regret: 2,
		NormalizedRegret: 0.2, Distance: 0.125, Decisions: 2, Outcome: "red gem", EPIC: &epic, STARC: &epic},
		{Subject: "seed 3", Distribution: "shift", Level: 8, Agreement: 1, Decisions: 1, Outcome: "door"}}
	if _, err := db.Put(ctx, &Run{Params: map[string]string{"levels": "5"}, Result: res}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"unjudged": `run_id,experiment,sweep_id,point_key,seed,seeds,param_levels,index,distribution,subject,reason,evidence
1,toy,,,3,2,5,0,train,seed 4,agreement 0.98 misses the tolerance 0.01,"{""agreement"":0.98}"
`,
		"labels": `run_id,experiment,sweep_id,point_key,seed,seeds,param_levels,seed_index,label,value
1,toy,,,3,2,5,0,pursued,red
1,toy,,,3,2,5,0,weights_prefer,door
1,toy,,,3,2,5,1,pursued,door
`,
		"notes": `run_id,experiment,sweep_id,point_key,seed,seeds,param_levels,index,note
1,toy,,,3,2,5,0,"unidentifiable on train: door ~ red, ρ = 1.00"
`,
		"levels": `run_id,experiment,sweep_id,point_key,seed,seeds,param_levels,subject,distribution,level,agreement,regret,normalized_regret,distance,decisions,outcome,epic,starc
1,toy,,,3,2,5,seed 3,shift,7,0.5,2,0.2,0.125,2,red gem,0.25,0.25
1,toy,,,3,2,5,seed 3,shift,8,1,0,0,0,1,door,,
`,
	}
	for name, csv := range want {
		tab, err := db.Table(ctx, name, Query{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := tab.Write(&buf, "csv"); err != nil {
			t.Fatal(err)
		}
		if buf.String() != csv {
			t.Errorf("%s:\n%s\nwant:\n%s", name, buf.String(), csv)
		}
	}
}
