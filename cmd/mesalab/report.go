package main

import (
	"fmt"

	"github.com/mesalab/mesalab/report"
	"github.com/spf13/cobra"
)

func newReport() *cobra.Command {
	var dbPath, sweepID, out string
	var runID int64
	cmd := &cobra.Command{
		Use:   "report [--run ID | --sweep ID] --out DIR",
		Short: "Write a static HTML report of a run, a sweep or the whole store",
		Long: `Write HTML pages into DIR: the run's page (verdicts with their evidence, metrics,
comparisons, plots as SVG, the experiment's figures), the sweep's page (every
metric against every swept parameter, the diversity curve, the table of points)
and an index. Without --run or --sweep, the whole store. Open DIR/index.html, or
see the same pages live with 'mesalab serve'.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return badInputf("report needs --out DIR")
			}
			if runID != 0 && sweepID != "" {
				return badInputf("give --run or --sweep, not both")
			}
			if cmd.Flags().Changed("run") && runID < 1 {
				return badInputf("--run %d: run IDs start at 1", runID)
			}
			db, err := openStoreReadOnly(dbPath)
			if err != nil {
				return err
			}
			defer db.Close()
			main, err := report.WriteDir(cmd.Context(), db, out, report.Selection{RunID: runID, SweepID: sweepID})
			if err != nil {
				if isNotFound(err) {
					return badInput(err)
				}
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "mesalab: report written: %s\n", main)
			return nil
		},
	}
	f := cmd.Flags()
	dbFlag(f, &dbPath)
	f.Int64Var(&runID, "run", 0, "report this run")
	f.StringVar(&sweepID, "sweep", "", "report this sweep")
	f.StringVar(&out, "out", "", "directory to write the pages into")
	return cmd
}
