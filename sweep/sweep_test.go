package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/mesalab/mesalab/experiment"
	"github.com/mesalab/mesalab/spec"
	"github.com/mesalab/mesalab/store"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var toyRuns atomic.Int64

// sweep-toy: a fast experiment whose metrics are a fixed function of its seed
// and parameters, with a parameter that makes it fail.
func init() {
	experiment.Register(experiment.Experiment{
		ID: "sweep-toy", Summary: "test experiment of package sweep",
		Params:       []experiment.Param{{Name: "x", Default: "1"}, {Name: "fail", Default: "no"}},
		DefaultSeeds: 2,
		Run: func(ctx context.Context, cfg experiment.Config) (*experiment.Result, error) {
			toyRuns.Add(1)
			x, err := cfg.Float("x")
			if err != nil {
				return nil, err
			}
			if cfg.Params["fail"] == "yes" {
				return nil, errors.New("toy failure")
			}
			res := &experiment.Result{Experiment: "sweep-toy", Seed: cfg.Seed, Seeds: cfg.Seeds,
				Config: map[string]any{"x": x}, Metrics: map[string]float64{}}
			var sum float64
			for i := range cfg.Seeds {
				r := rand.New(rand.NewPCG(cfg.Seed+uint64(i), 0)).Float64()
				res.PerSeed = append(res.PerSeed, map[string]float64{"value": x * r})
				sum += x * r
			}
			res.Metrics["mean_value"] = sum / float64(cfg.Seeds)
			return res, nil
		},
	})
}

func parse(t *testing.T, src string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExpand(t *testing.T) {
	s := parse(t, `experiment: sweep-toy
seed: 7
sweep:
  grid:
    x: [2, 0.5]
    seed: [1, 2]
  list:
    - {seeds: 1}
    - {seeds: 3}
`)
	points, err := Expand(s)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i, p := range points {
		if p.Index != i {
			t.Errorf("point %d has index %d", i, p.Index)
		}
		keys = append(keys, p.Key)
	}
	want := []string{
		"x=2&seed=1&seeds=1", "x=0.5&seed=1&seeds=1", "x=2&seed=2&seeds=1", "x=0.5&seed=2&seeds=1",
		"x=2&seed=1&seeds=3", "x=0.5&seed=1&seeds=3", "x=2&seed=2&seeds=3", "x=0.5&seed=2&seeds=3",
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys =\n%q\nwant\n%q", keys, want)
	}
	if p := points[5]; p.Seed != 1 || p.Seeds != 3 || !reflect.DeepEqual(p.Params, map[string]string{"x": "0.5"}) {
		t.Errorf("point 5 = %+v", p)
	}
	// Reordering the YAML keys changes neither the order nor the keys; the
	// experiment's default seed count is written into the key.
	again, _ := Expand(parse(t, "experiment: sweep-toy\nseed: 7\nsweep:\n  list: [{seeds: 1}, {seeds: 3}]\n  grid: {seed: [1, 2], x: [2.0, 0.50]}\n"))
	if !reflect.DeepEqual(again, points) {
		t.Errorf("reordered spec expands differently")
	}
	single, _ := Expand(parse(t, "experiment: sweep-toy\nparams: {x: 3}\n"))
	if len(single) != 1 || single[0].Key != "x=3&seed=1&seeds=2" {
		t.Errorf("spec without sweep = %+v", single)
	}
	if ID(s, points) == ID(s, single) || ID(s, points) != ID(s, again) || !strings.HasPrefix(ID(s, points), "sweep-toy-") {
		t.Errorf("IDs: %s %s %s", ID(s, points), ID(s, again), ID(s, single))
	}
	if _, err := Expand(parse(t, "experiment: sweep-toy\nsweep:\n  list: [{x: 1}, {x: 1.0}]\n")); err == nil ||
		!strings.Contains(err.Error(), "points 0 and 1 are the same configuration") {
		t.Errorf("duplicate points: err = %v", err)
	}
}

func TestShards(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7} {
		owners := make([]int, 20)
		for i := range n {
			sh := Shard{i, n}
			for k := range owners {
				if sh.Owns(k) {
					owners[k]++
					if k%n != i {
						t.Errorf("shard %v owns point %d", sh, k)
					}
				}
			}
		}
		for k, c := range owners {
			if c != 1 {
				t.Errorf("N=%d: point %d owned by %d shards", n, k, c)
			}
		}
	}
	for _, c := range []struct {
		in   string
		want Shard
		bad  bool
	}{{"0/4", Shard{0, 4}, false}, {"3/4", Shard{3, 4}, false}, {"4/4", Shard{}, true}, {"-1/2", Shard{}, true},
		{"1", Shard{}, true}, {"a/b", Shard{}, true}, {"0/0", Shard{}, true}} {
		got, err := ParseShard(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseShard(%q) = %v, %v", c.in, got, err)
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want Shard
		ok   bool
		err  string
	}{
		{map[string]string{}, Shard{}, false, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, Shard{2, 4}, true, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_MAX": "8"}, Shard{1, 4}, true, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_COUNT": "4"}, Shard{1, 4}, true, ""},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"}, Shard{}, false, "not a number"},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, Shard{}, false, "give --shard"},
		{map[string]string{"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4"}, Shard{}, false, "0 ≤ I < N"},
		{map[string]string{"JOB_COMPLETION_INDEX": "3", ShardCountEnv: "5"}, Shard{3, 5}, true, ""},
		{map[string]string{"JOB_COMPLETION_INDEX": "3"}, Shard{}, false, ShardCountEnv},
	}
	for _, c := range cases {
		got, ok, err := ShardFromEnv(func(k string) string { return c.env[k] })
		if got != c.want || ok != c.ok || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("env %v: %v, %v, %v; want %v, %v, error %q", c.env, got, ok, err, c.want, c.ok, c.err)
		}
	}
}

func open(t *testing.T, dir, name string) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// table is the metrics table of a store without its run IDs, as CSV.
func table(t *testing.T, db *store.DB) string {
	t.Helper()
	tab, err := db.Table(context.Background(), "metrics", store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range tab.Rows {
		row[0] = nil
	}
	var b bytes.Buffer
	tab.Write(&b, "csv")
	return b.String()
}

// Two (and three) shards merged equal the unsharded sweep, whatever the number
// of workers: same rows, same digests.
func TestShardedEqualsUnsharded(t *testing.T) {
	ctx := context.Background()
	src := `experiment: td0-3state
name: shards
params: {episodes: 150}
sweep:
  grid:
    seed: {from: 1, to: 5}
    epsilon: [0.2, 0.5]
`
	s := parse(t, src)
	dir := t.TempDir()
	whole := open(t, dir, "whole.db")
	sum, err := Run(ctx, s, Options{Store: whole, Workers: 1, CodeVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Points != 10 || sum.Ran != 10 || sum.Owned != 10 {
		t.Fatalf("unsharded summary %+v", sum)
	}
	want := table(t, whole)
	if strings.Count(want, "\n") != 1+10*(6+4) {
		t.Fatalf("unsharded table has %d lines:\n%s", strings.Count(want, "\n"), want)
	}
	for _, n := range []int{2, 3} {
		merged := open(t, dir, fmt.Sprintf("merged-%d.db", n))
		var shards []*store.DB
		for i := n - 1; i >= 0; i-- { // run the shards in reverse order
			db := open(t, dir, fmt.Sprintf("shard-%d-of-%d.db", i, n))
			sum, err := Run(ctx, s, Options{Store: db, Shard: Shard{i, n}, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Owned != (10-i+n-1)/n || sum.Ran != sum.Owned {
				t.Errorf("shard %d/%d summary %+v", i, n, sum)
			}
			shards = append(shards, db)
		}
		if _, err := store.Merge(ctx, merged, shards...); err != nil {
			t.Fatal(err)
		}
		if got := table(t, merged); got != want {
			t.Errorf("%d shards merged:\n%s\nunsharded:\n%s", n, got, want)
		}
		// And the merged store merges into the unsharded one as identical runs.
		st, err := store.Merge(ctx, whole, merged)
		if err != nil || st.Skipped != 10 || st.Added != 0 {
			t.Errorf("merging %d shards into the unsharded store: %+v, %v; want 10 identical", n, st, err)
		}
	}
}

func TestResume(t *testing.T) {
	ctx := context.Background()
	s := parse(t, "experiment: sweep-toy\nsweep:\n  grid:\n    x: [1, 2, 3]\n    seed: {from: 1, to: 4}\n")
	db := open(t, t.TempDir(), "a.db")
	if _, err := Run(ctx, s, Options{Store: db, Shard: Shard{1, 3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, s, Options{Store: db}); !errors.Is(err, ErrAlreadyStored) || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("second run without resume: err = %v", err)
	}
	before := toyRuns.Load()
	sum, err := Run(ctx, s, Options{Store: db, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped != 4 || sum.Ran != 8 || toyRuns.Load()-before != 8 {
		t.Errorf("resume: %+v, %d experiment runs; want 4 skipped, 8 run", sum, toyRuns.Load()-before)
	}
	if n, _ := db.Count(ctx); n != 12 {
		t.Errorf("%d runs stored, want 12", n)
	}
	sum, err = Run(ctx, s, Options{Store: db, Resume: true})
	if err != nil || sum.Ran != 0 || sum.Skipped != 12 {
		t.Errorf("resuming a complete sweep: %+v, %v", sum, err)
	}
}

// A failing point stops the sweep with an error naming it; finished points stay
// stored and a resume runs only the rest.
func TestFailure(t *testing.T) {
	ctx := context.Background()
	s := parse(t, "experiment: sweep-toy\nsweep:\n  grid:\n    seed: {from: 1, to: 3}\n  list: [{fail: 'no'}, {fail: 'yes'}]\n")
	db := open(t, t.TempDir(), "a.db")
	sum, err := Run(ctx, s, Options{Store: db, Workers: 1})
	var pe *PointError
	if !errors.As(err, &pe) || pe.Point.Index != 3 || !strings.Contains(err.Error(), "fail=yes&seed=1&seeds=2") {
		t.Fatalf("err = %v, want the failure of point 3", err)
	}
	if sum.Ran != 3 {
		t.Errorf("ran %d points before the failure, want 3", sum.Ran)
	}
	keys, _ := db.PointKeys(ctx, sum.SweepID)
	if len(keys) != 3 {
		t.Errorf("stored %v, want the 3 points before the failure", keys)
	}
	if _, err := Run(ctx, parse(t, "experiment: sweep-toy\nparams: {x: abc}\n"), Options{Store: db}); !errors.As(err, new(*experiment.ParamError)) {
		t.Errorf("bad parameter value: err = %v, want a ParamError", err)
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	db := open(t, t.TempDir(), "a.db")
	_, err := Run(ctx, parse(t, "experiment: sweep-toy\nsweep: {grid: {seed: {from: 1, to: 50}}}\n"), Options{Store: db})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled sweep: err = %v", err)
	}
}

func TestEmitSlurm(t *testing.T) {
	var b bytes.Buffer
	err := EmitSlurm(&b, Emit{SweepID: "s-1", Points: 10, Shards: 3, CPUs: 2, OutDir: "/shared/out",
		Binary: "/opt/mesalab", SpecPath: "/home/a/it's.yaml", Time: "01:00:00"})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"#!/bin/bash", "#SBATCH --array=0-2", "#SBATCH --cpus-per-task=2", "#SBATCH --time=01:00:00",
		"#SBATCH --output=/shared/out/slurm-%A_%a.out",
		`exec '/opt/mesalab' sweep '/home/a/it'\''s.yaml' --db '/shared/out/shard-{shard}.db' --resume --quiet`} {
		if !strings.Contains(b.String(), line+"\n") {
			t.Errorf("script lacks %q:\n%s", line, b.String())
		}
	}
	if err := EmitSlurm(&b, Emit{Points: 2, Shards: 3, OutDir: "x", Binary: "m", SpecPath: "s"}); err == nil {
		t.Error("3 shards for 2 points: no error")
	}
}

func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// asJSON converts a YAML document to the values a JSON decoder would give.
func asJSON(t *testing.T, doc []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The Kubernetes manifest: a ConfigMap with the spec and an Indexed Job, each
// valid against its schema, with the shard count where mesalab reads it.
func TestEmitKubernetes(t *testing.T) {
	specText := "experiment: td0-3state\nsweep:\n  grid:\n    seed: {from: 1, to: 8}\n"
	var b bytes.Buffer
	err := EmitKubernetes(&b, Emit{SweepID: "Diversity_Curve.v2-0123456789", Points: 8, Shards: 4, CPUs: 2,
		OutDir: "/results", Image: "registry.example/mesalab:1", SpecText: specText, Claim: "mesalab-results"})
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(b.String(), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2:\n%s", len(docs), b.String())
	}
	docs[0] += "\n"
	cm, job := asJSON(t, []byte(docs[0])), asJSON(t, []byte(docs[1]))
	if err := compileSchema(t, "k8s-configmap.schema.json").Validate(cm); err != nil {
		t.Errorf("ConfigMap invalid: %v\n%s", err, docs[0])
	}
	if err := compileSchema(t, "k8s-job.schema.json").Validate(job); err != nil {
		t.Errorf("Job invalid: %v\n%s", err, docs[1])
	}
	var parsed struct {
		Data map[string]string `yaml:"data"`
	}
	yaml.Unmarshal([]byte(docs[0]), &parsed)
	if parsed.Data["spec.yaml"] != specText {
		t.Errorf("ConfigMap spec = %q, want %q", parsed.Data["spec.yaml"], specText)
	}
	var j struct {
		Spec struct {
			Completions int    `yaml:"completions"`
			Mode        string `yaml:"completionMode"`
			Template    struct {
				Spec struct {
					Containers []struct {
						Args []string `yaml:"args"`
						Env  []struct{ Name, Value string }
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(docs[1]), &j); err != nil {
		t.Fatal(err)
	}
	c := j.Spec.Template.Spec.Containers[0]
	if j.Spec.Completions != 4 || j.Spec.Mode != "Indexed" || len(c.Env) != 1 || c.Env[0].Name != ShardCountEnv ||
		c.Env[0].Value != "4" || strings.Join(c.Args, " ") != "sweep /spec/spec.yaml --db /results/shard-{shard}.db --resume --quiet" {
		t.Errorf("job = %+v", j)
	}
	// The schema catches what Kubernetes would refuse.
	bad := strings.Replace(docs[1], "completionMode: Indexed", "completionMode: indexed", 1)
	if err := compileSchema(t, "k8s-job.schema.json").Validate(asJSON(t, []byte(bad))); err == nil {
		t.Error("schema accepts completionMode: indexed")
	}
	if got := k8sName("Diversity_Curve.v2-0123456789"); got != "diversity-curve-v2-0123456789" {
		t.Errorf("k8sName = %q", got)
	}
	if got := k8sName(strings.Repeat("a", 70)); len(got) != 63 {
		t.Errorf("k8sName of 70 letters has length %d", len(got))
	}
}
