// Package sweep runs the points of a spec's sweep: it expands the spec into
// points in a deterministic order with stable keys, runs this shard's share of
// them in parallel, stores each finished point in one transaction, and skips
// the points already stored when resuming.
//
// Sharding: point k (0-based, in expansion order) belongs to shard k mod N, so
// the N shards of a sweep — Slurm array tasks or the pods of a Kubernetes
// Indexed Job ([EmitSlurm], [EmitKubernetes]) — partition it without talking to
// each other, and [store.Merge] joins their files. A point's result depends on
// its configuration only, so a sweep gives the same results bit for bit however
// it is sharded and however many cores run it.
package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mesalab/mesalab/experiment"
	"github.com/mesalab/mesalab/spec"
	"github.com/mesalab/mesalab/store"
)

// Point is one configuration of a sweep.
type Point struct {
	Index  int               // position in expansion order
	Key    string            // stable key: the point's parameters, seed and seeds
	Seed   uint64            // base seed of the run
	Seeds  int               // seeds of the run (the experiment's default filled in)
	Params map[string]string // the parameters given by the spec, fixed and swept
}

// Expand lists the points of a spec: each entry of the sweep's list (in order)
// crossed with the grid (axes sorted by name, the last varying fastest). A spec
// without a sweep is one point. Two points with the same configuration are an
// error.
func Expand(s *spec.Spec) ([]Point, error) {
	exp, err := experiment.Lookup(s.Experiment)
	if err != nil {
		return nil, err
	}
	list := []map[string]string{{}}
	var grid []spec.Axis
	if s.Sweep != nil {
		if len(s.Sweep.List) > 0 {
			list = s.Sweep.List
		}
		grid = s.Sweep.Grid
	}
	var points []Point
	seen := map[string]int{}
	idx := make([]int, len(grid))
	for _, entry := range list {
		for {
			values := merged(s.Params, entry)
			for a, axis := range grid {
				values[axis.Name] = axis.Values[idx[a]]
			}
			p, err := newPoint(exp, s, len(points), values)
			if err != nil {
				return nil, err
			}
			if prev, dup := seen[p.Key]; dup {
				return nil, fmt.Errorf("%s: sweep points %d and %d are the same configuration (%s)", s.File, prev, p.Index, p.Key)
			}
			seen[p.Key] = p.Index
			points = append(points, p)
			// Advance the grid odometer, the last axis fastest.
			a := len(grid) - 1
			for ; a >= 0; a-- {
				if idx[a]++; idx[a] < len(grid[a].Values) {
					break
				}
				idx[a] = 0
			}
			if a < 0 {
				break
			}
		}
	}
	return points, nil
}

func merged(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func newPoint(exp experiment.Experiment, s *spec.Spec, index int, values map[string]string) (Point, error) {
	p := Point{Index: index, Seed: s.Seed, Seeds: s.Seeds, Params: map[string]string{}}
	var err error
	for k, v := range values {
		switch k {
		case "seed":
			p.Seed, err = strconv.ParseUint(v, 10, 64)
		case "seeds":
			p.Seeds, err = strconv.Atoi(v)
		default:
			p.Params[k] = v
		}
		if err != nil {
			return p, fmt.Errorf("%s: sweep point %d: %s = %q: %v", s.File, index, k, v, err)
		}
	}
	cfg, err := exp.Configure(p.Seed, p.Seeds, p.Params)
	if err != nil {
		return p, fmt.Errorf("%s: sweep point %d: %w", s.File, index, err)
	}
	p.Seeds = cfg.Seeds
	keys := slices.Sorted(maps.Keys(p.Params))
	parts := make([]string, 0, len(keys)+2)
	for _, k := range keys {
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(p.Params[k]))
	}
	parts = append(parts, fmt.Sprintf("seed=%d", p.Seed), fmt.Sprintf("seeds=%d", p.Seeds))
	p.Key = strings.Join(parts, "&")
	return p, nil
}

// ID names a sweep: its name (or its experiment) and a hash of its experiment
// and point keys, so every shard computes the same ID and a changed sweep gets
// a new one.
func ID(s *spec.Spec, points []Point) string {
	h := sha256.New()
	h.Write([]byte(s.Experiment))
	for _, p := range points {
		h.Write([]byte{'\n'})
		h.Write([]byte(p.Key))
	}
	name := s.Name
	if name == "" {
		name = s.Experiment
	}
	return name + "-" + hex.EncodeToString(h.Sum(nil))[:10]
}

// Shard is shard I of N (0 ≤ I < N): it owns the points k with k mod N = I.
type Shard struct{ I, N int }

// Owns reports whether point k belongs to the shard. The zero Shard owns all.
func (s Shard) Owns(k int) bool { return s.N <= 1 || k%s.N == s.I }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, max(s.N, 1)) }

// ParseShard reads "I/N".
func ParseShard(v string) (Shard, error) {
	i, n, ok := strings.Cut(v, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want I/N, e.g. 0/4", v)
	}
	return newShard(v, i, n)
}

func newShard(v, is, ns string) (Shard, error) {
	i, err1 := strconv.Atoi(strings.TrimSpace(is))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n || n > spec.MaxPoints {
		return Shard{}, fmt.Errorf("shard %q: want I/N with 0 ≤ I < N", v)
	}
	return Shard{i, n}, nil
}

// ShardCountEnv is the variable that gives the shard count next to Kubernetes'
// JOB_COMPLETION_INDEX (Kubernetes sets the index only; the emitted manifest sets
// this to the Job's completions).
const ShardCountEnv = "MESALAB_SHARD_COUNT"

// ShardFromEnv finds the shard of a cluster task: Slurm job arrays
// (SLURM_ARRAY_TASK_ID, with SLURM_ARRAY_TASK_COUNT or the array's bounds
// SLURM_ARRAY_TASK_MIN/MAX) or Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX and
// MESALAB_SHARD_COUNT). ok is false outside both.
func ShardFromEnv(getenv func(string) string) (s Shard, ok bool, err error) {
	if id := getenv("SLURM_ARRAY_TASK_ID"); id != "" {
		task, err := strconv.Atoi(id)
		if err != nil {
			return Shard{}, false, fmt.Errorf("SLURM_ARRAY_TASK_ID=%q: not a number", id)
		}
		lo, _ := strconv.Atoi(getenv("SLURM_ARRAY_TASK_MIN"))
		count := getenv("SLURM_ARRAY_TASK_COUNT")
		if count == "" {
			hi, err := strconv.Atoi(getenv("SLURM_ARRAY_TASK_MAX"))
			if err != nil {
				return Shard{}, false, errors.New("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX: give --shard I/N")
			}
			count = strconv.Itoa(hi - lo + 1)
		}
		s, err := newShard("SLURM_ARRAY_TASK_ID="+id+", count "+count, strconv.Itoa(task-lo), count)
		return s, err == nil, err
	}
	if idx := getenv("JOB_COMPLETION_INDEX"); idx != "" {
		count := getenv(ShardCountEnv)
		if count == "" {
			return Shard{}, false, fmt.Errorf("JOB_COMPLETION_INDEX is set but %s is not: set it to the Job's completions, or give --shard I/N", ShardCountEnv)
		}
		s, err := newShard("JOB_COMPLETION_INDEX="+idx+", "+ShardCountEnv+"="+count, idx, count)
		return s, err == nil, err
	}
	return Shard{}, false, nil
}

// Options configure Run.
type Options struct {
	Store  *store.DB
	Shard  Shard // the zero Shard runs every point
	Resume bool  // skip points already stored instead of refusing to start
	// Workers is the number of points run at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, if not nil, gets one bar over this shard's points to run.
	Progress    experiment.Progress
	CodeVersion string
	// Done, if not nil, is called after each point is stored (from one goroutine
	// at a time).
	Done func(p Point, run *store.Run)
}

// Summary says what Run did.
type Summary struct {
	SweepID string
	Points  int // points of the whole sweep
	Owned   int // points of this shard
	Skipped int // of those, already stored (resume)
	Ran     int // of those, run and stored now
}

// ErrAlreadyStored is wrapped by Run's error when points of this shard are
// already stored and Options.Resume is false.
var ErrAlreadyStored = errors.New("sweep already (partly) stored")

// Run runs this shard's points of the spec's sweep and stores each result in
// its own transaction as it finishes. On the first failure it stops starting
// points, waits for the running ones, and returns the error: the points stored
// stay stored and a later Run with Resume completes the sweep.
func Run(ctx context.Context, s *spec.Spec, opt Options) (Summary, error) {
	exp, err := experiment.Lookup(s.Experiment)
	if err != nil {
		return Summary{}, err
	}
	points, err := Expand(s)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{SweepID: ID(s, points), Points: len(points)}
	if err := opt.Store.PutSweep(ctx, store.Sweep{ID: sum.SweepID, Name: s.Name, Experiment: s.Experiment,
		Spec: s.Text, Points: len(points)}); err != nil {
		return sum, err
	}
	stored, err := opt.Store.PointKeys(ctx, sum.SweepID)
	if err != nil {
		return sum, err
	}
	var todo []Point
	for _, p := range points {
		if !opt.Shard.Owns(p.Index) {
			continue
		}
		sum.Owned++
		if stored[p.Key] {
			sum.Skipped++
			continue
		}
		todo = append(todo, p)
	}
	if sum.Skipped > 0 && !opt.Resume {
		return sum, fmt.Errorf("%w: %d of the %d points of shard %s of sweep %s are in %s: add --resume to complete it, or use another --db",
			ErrAlreadyStored, sum.Skipped, sum.Owned, opt.Shard, sum.SweepID, opt.Store.Path())
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(todo), 1))
	var bar experiment.Bar
	if opt.Progress != nil && len(todo) > 0 {
		bar = opt.Progress.Bar("sweep "+sum.SweepID, len(todo))
		defer bar.Done()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan Point)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				run, err := runPoint(ctx, exp, sum.SweepID, p, opt)
				if err != nil {
					fail(err)
					continue
				}
				mu.Lock()
				sum.Ran++
				if opt.Done != nil {
					opt.Done(p, run)
				}
				mu.Unlock()
				if bar != nil {
					bar.Increment()
				}
			}
		}()
	}
feed:
	for _, p := range todo {
		select {
		case jobs <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return sum, firstErr
}

// PointError is the failure of one point of a sweep.
type PointError struct {
	Point Point
	Err   error
}

func (e *PointError) Error() string {
	return fmt.Sprintf("sweep point %d (%s): %v", e.Point.Index, e.Point.Key, e.Err)
}

func (e *PointError) Unwrap() error { return e.Err }

func runPoint(ctx context.Context, exp experiment.Experiment, sweepID string, p Point, opt Options) (*store.Run, error) {
	cfg, err := exp.Configure(p.Seed, p.Seeds, p.Params)
	if err != nil {
		return nil, &PointError{p, err}
	}
	started := time.Now()
	res, err := exp.Run(ctx, cfg)
	if err != nil {
		return nil, &PointError{p, err}
	}
	finished := time.Now()
	run := &store.Run{Experiment: exp.ID, Params: cfg.Params, Seed: cfg.Seed, Seeds: cfg.Seeds,
		CodeVersion: opt.CodeVersion, Started: started, Finished: finished,
		ElapsedS: finished.Sub(started).Seconds(), SweepID: sweepID, PointKey: p.Key, PointIndex: p.Index, Result: res}
	// A point that finished is stored even if the sweep is being cancelled.
	if _, err := opt.Store.Put(context.WithoutCancel(ctx), run); err != nil {
		return nil, &PointError{p, err}
	}
	return run, nil
}
