package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mesalab/mesalab/experiment"
	"github.com/mesalab/mesalab/spec"
	"github.com/mesalab/mesalab/sweep"
	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

func newSweep() *cobra.Command {
	var (
		dbPath, shardArg, emit, outDir, image, claim, binary, timeLimit, partition string
		resume, quiet                                                              bool
		workers, shards, cpus                                                      int
	)
	cmd := &cobra.Command{
		Use:   "sweep SPEC.yaml",
		Short: "Run a spec's sweep in parallel, sharded for Slurm or Kubernetes, resumable",
		Long: `Run every point of a spec's sweep (see README, "Spec files") on all cores and
store each run in the results store as it finishes.

--shard I/N runs the points k with k mod N = I. Without it, the shard comes from
SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (a Slurm job array) or from
JOB_COMPLETION_INDEX and MESALAB_SHARD_COUNT (a Kubernetes Indexed Job). {shard}
in --db is replaced by I, so each shard writes its own file; 'mesalab merge'
joins them. --resume skips the points already stored (after a crash or kill).

--emit slurm|k8s prints a Slurm job-array script or a Kubernetes Indexed Job
manifest that runs the sweep in --shards shards, instead of running it.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInputf("sweep takes one spec file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := readSpec(args[0])
			if err != nil {
				return err
			}
			if emit != "" {
				return emitJob(cmd, args[0], s, emit, sweep.Emit{Shards: shards, CPUs: cpus, OutDir: outDir,
					Binary: binary, Time: timeLimit, Partition: partition, Image: image, Claim: claim})
			}
			var shard sweep.Shard
			if shardArg != "" {
				if shard, err = sweep.ParseShard(shardArg); err != nil {
					return badInput(err)
				}
			} else if sh, ok, err := sweep.ShardFromEnv(os.Getenv); err != nil {
				return badInput(err)
			} else if ok {
				shard = sh
			}
			path := strings.ReplaceAll(dbPath, "{shard}", strconv.Itoa(shard.I))
			db, err := openStore(path)
			if err != nil {
				return err
			}
			defer db.Close()
			opt := sweep.Options{Store: db, Shard: shard, Resume: resume, Workers: workers, CodeVersion: runVersion()}
			if !quiet && isTerminal(os.Stderr) {
				p := newProgress(cmd.ErrOrStderr())
				defer p.Wait()
				opt.Progress = sweepProgress{p}
			}
			sum, err := sweep.Run(cmd.Context(), s, opt)
			if err != nil {
				if errors.Is(err, sweep.ErrAlreadyStored) || errors.As(err, new(*experiment.ParamError)) {
					return badInput(err)
				}
				if sum.Ran > 0 {
					err = fmt.Errorf("%w (%d points stored; --resume completes the sweep)", err, sum.Ran)
				}
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "mesalab: sweep %s: shard %s ran %d points, %d already stored, of %d in all; stored in %s\n",
				sum.SweepID, shard, sum.Ran, sum.Skipped, sum.Points, db.Path())
			fmt.Fprintf(cmd.ErrOrStderr(), "mesalab: report: mesalab report --sweep %s%s --out report-%s\n", sum.SweepID, dbArg(db.Path()), sum.SweepID)
			return nil
		},
	}
	f := cmd.Flags()
	dbFlag(f, &dbPath)
	f.StringVar(&shardArg, "shard", "", "run shard I of N (I/N); default from Slurm or Kubernetes environment variables")
	f.BoolVar(&resume, "resume", false, "skip the points already stored")
	f.IntVar(&workers, "workers", 0, "points run at once (0: one per core)")
	f.BoolVar(&quiet, "quiet", false, "no progress bar on stderr")
	f.StringVar(&emit, "emit", "", "print a cluster job instead of running: slurm (job-array script) or k8s (Indexed Job manifest)")
	f.IntVar(&shards, "shards", 4, "with --emit: number of shards (array tasks, completions)")
	f.IntVar(&cpus, "cpus", 1, "with --emit: cores per shard")
	f.StringVar(&outDir, "out-dir", "", "with --emit: directory of the shard files (default: ./shards for slurm, /results for k8s)")
	f.StringVar(&binary, "binary", "", "with --emit slurm: path of mesalab on the compute nodes (default: this executable)")
	f.StringVar(&timeLimit, "time", "", "with --emit slurm: time limit of each task, e.g. 02:00:00")
	f.StringVar(&partition, "partition", "", "with --emit slurm: partition")
	f.StringVar(&image, "image", "mesalab:latest", "with --emit k8s: container image with mesalab as its entrypoint")
	f.StringVar(&claim, "claim", "mesalab-results", "with --emit k8s: PersistentVolumeClaim for the shard files")
	return cmd
}

// emitJob prints the Slurm script or Kubernetes manifest of a sweep.
func emitJob(cmd *cobra.Command, specPath string, s *spec.Spec, kind string, e sweep.Emit) error {
	points, err := sweep.Expand(s)
	if err != nil {
		return badInput(err)
	}
	e.SweepID, e.Points = sweep.ID(s, points), len(points)
	switch kind {
	case "slurm":
		if e.OutDir == "" {
			e.OutDir = "shards"
		}
		if e.OutDir, err = filepath.Abs(e.OutDir); err != nil {
			return err
		}
		if e.SpecPath, err = filepath.Abs(specPath); err != nil {
			return err
		}
		if e.Binary == "" {
			if e.Binary, err = os.Executable(); err != nil {
				return err
			}
		}
		if err := sweepCheck(e); err != nil {
			return err
		}
		// Slurm opens the tasks' output files there before mesalab starts.
		if err := os.MkdirAll(e.OutDir, 0o755); err != nil {
			return err
		}
		return sweep.EmitSlurm(cmd.OutOrStdout(), e)
	case "k8s", "kubernetes":
		if e.OutDir == "" {
			e.OutDir = "/results"
		}
		e.SpecText = s.Text
		if err := sweepCheck(e); err != nil {
			return err
		}
		return sweep.EmitKubernetes(cmd.OutOrStdout(), e)
	}
	return badInputf("--emit %q: want slurm or k8s", kind)
}

// sweepCheck reports an impossible emission as bad input before anything is
// written.
func sweepCheck(e sweep.Emit) error {
	if e.Shards < 1 || e.Shards > e.Points {
		return badInputf("--shards %d: want 1 to %d (the sweep has %d points)", e.Shards, e.Points, e.Points)
	}
	return nil
}

// sweepProgress draws the sweep's bar with a count, a percentage and an ETA
// from the average time per point so far.
type sweepProgress struct{ p *progress }

func (s sweepProgress) Bar(name string, total int) experiment.Bar {
	b := s.p.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d", decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)),
	)
	return sweepBar{b}
}

type sweepBar struct{ b *mpb.Bar }

func (s sweepBar) Increment() { s.b.Increment() }

func (s sweepBar) Done() {
	if !s.b.Completed() {
		s.b.Abort(false)
	}
}
