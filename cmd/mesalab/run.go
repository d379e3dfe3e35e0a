package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mesalab/mesalab/experiment"
	"github.com/mesalab/mesalab/store"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in experiments",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, e := range experiment.All() {
				fmt.Fprintf(tw, "%s\t%s\n", e.ID, e.Summary)
			}
			return tw.Flush()
		},
	}
}

func newRun() *cobra.Command {
	var (
		seed    uint64
		seeds   int
		asJSON  bool
		quiet   bool
		dbPath  string
		noStore bool
		outDir  string
		params  = map[string]*string{}
		usageOf = map[string][]string{}
	)
	cmd := &cobra.Command{
		Use:   "run ID|SPEC.yaml",
		Short: "Run a built-in experiment: train, evaluate on train and shifted distributions, compare, judge",
		Long: `Run a built-in experiment (see 'mesalab list'). It trains its systems, evaluates
them on the training and shifted distributions, compares the learned objective
with the base objective through the experiment's bridge, and prints a verdict
table. --json prints one JSON object instead (see README, "JSON output").

Experiment parameters are flags; each applies to the experiments listed in its help.

Instead of an ID, run takes a spec file (see README, "Spec files"): its
experiment, seed, seeds and parameters; flags given as well override it. A spec
with a sweep section runs with 'mesalab sweep'.

Every run is stored in the results store (mesalab.db in the working directory,
or --db PATH; --no-store skips it); the command to make its HTML report is
printed on stderr, or --out DIR writes the report at once.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return badInputf("run takes one experiment ID (known: %s) or a spec file", strings.Join(experiment.IDs(), ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			given := map[string]string{}
			exp, err := experiment.Lookup(args[0])
			if err != nil && (fileExists(args[0]) || isSpecName(args[0])) {
				s, serr := readSpec(args[0])
				if serr != nil {
					return serr
				}
				if s.Sweep != nil {
					return badInputf("%s has a sweep section: run it with 'mesalab sweep %s'", args[0], args[0])
				}
				exp, err = experiment.Lookup(s.Experiment)
				given = s.Params
				if !cmd.Flags().Changed("seed") {
					seed = s.Seed
				}
				if !cmd.Flags().Changed("seeds") {
					seeds = s.Seeds
				}
			}
			if err != nil {
				return badInput(err)
			}
			cmd.Flags().Visit(func(f *pflag.Flag) {
				if _, ok := params[f.Name]; ok {
					given[f.Name] = f.Value.String()
				}
			})
			cfg, err := exp.Configure(seed, seeds, given)
			if err != nil {
				return badInput(err)
			}
			var db *store.DB
			if noStore && outDir != "" {
				return badInputf("--out writes the report of the stored run: it cannot go with --no-store")
			}
			if !noStore {
				if db, err = openStore(dbPath); err != nil {
					return err
				}
				defer db.Close()
			}
			if !quiet && isTerminal(os.Stderr) {
				p := newProgress(cmd.ErrOrStderr())
				defer p.Wait()
				cfg.Progress = p
			}
			started := time.Now()
			res, err := exp.Run(cmd.Context(), cfg)
			if err != nil {
				if pe := (*experiment.ParamError)(nil); errors.As(err, &pe) {
					return badInput(err)
				}
				return fmt.Errorf("run %s: %w", exp.ID, err)
			}
			finished := time.Now()
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				err = enc.Encode(res)
			} else {
				err = res.WriteText(cmd.OutOrStdout())
			}
			if err != nil || db == nil {
				return err
			}
			return storeRun(cmd, db, &store.Run{Experiment: exp.ID, Params: cfg.Params, Seed: cfg.Seed, Seeds: cfg.Seeds,
				CodeVersion: runVersion(), Started: started, Finished: finished,
				ElapsedS: finished.Sub(started).Seconds(), Result: res}, outDir)
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&seed, "seed", 1, "base seed: seed i of the run uses seed+i")
	f.IntVar(&seeds, "seeds", 0, "number of independent seeds (0: the experiment's default)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object (DESIGN.md §6) instead of tables")
	f.BoolVar(&quiet, "quiet", false, "no progress bars on stderr")
	dbFlag(f, &dbPath)
	f.BoolVar(&noStore, "no-store", false, "do not store the run")
	f.StringVar(&outDir, "out", "", "also write the run's HTML report into this directory")
	// Every experiment's parameters become flags; one name means one thing.
	for _, e := range experiment.All() {
		for _, p := range e.Params {
			usageOf[p.Name] = append(usageOf[p.Name], fmt.Sprintf("%s (default %s): %s", e.ID, p.Default, p.Usage))
		}
	}
	names := make([]string, 0, len(usageOf))
	for n := range usageOf {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		params[n] = f.String(n, "", strings.Join(usageOf[n], "; "))
	}
	return cmd
}
