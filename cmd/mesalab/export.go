package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/mesalab/mesalab/store"
	"github.com/spf13/cobra"
)

func newExport() *cobra.Command {
	var dbPath, format, table, out, sweepID, exp string
	cmd := &cobra.Command{
		Use:   "export --format csv|jsonl|parquet [--table T] [--out FILE]",
		Short: "Export runs, metrics, comparisons or verdicts as a tidy table (CSV, JSON lines, Parquet)",
		Long: `Write one tidy table of the results store: one observation per row, the run's
experiment, sweep, point, seeds and parameters (param_NAME) on every row, ready
for pandas. Tables: metrics (default; run-level and per-seed), runs, comparisons,
verdicts (evidence as JSON), unjudged (why a distribution earned no verdict),
labels (per-seed facts in words), notes (run-level statements) and levels (per
subject, distribution and level). CSV and JSON lines go to stdout unless --out FILE.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(store.Formats, format) {
				return badInputf("--format %q: want %s", format, strings.Join(store.Formats, ", "))
			}
			if !slices.Contains(store.Tables, table) {
				return badInputf("--table %q: want %s", table, strings.Join(store.Tables, ", "))
			}
			if format == "parquet" && out == "" && isTerminal(os.Stdout) {
				return badInputf("--format parquet writes binary: give --out FILE")
			}
			db, err := openStoreReadOnly(dbPath)
			if err != nil {
				return err
			}
			defer db.Close()
			if sweepID != "" {
				if _, err := db.Sweep(cmd.Context(), sweepID); err != nil {
					return badInput(err)
				}
			}
			t, err := db.Table(cmd.Context(), table, store.Query{SweepID: sweepID, Experiment: exp})
			if err != nil {
				return err
			}
			if out == "" {
				w := bufio.NewWriter(cmd.OutOrStdout())
				if err := t.Write(w, format); err != nil {
					return err
				}
				return w.Flush()
			}
			// Write next to the target and rename, so a failed export leaves no partial file.
			tmp, err := os.CreateTemp(dirOf(out), ".mesalab-export-*")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			w := bufio.NewWriter(tmp)
			if err := t.Write(w, format); err != nil {
				tmp.Close()
				return err
			}
			if err := w.Flush(); err != nil {
				tmp.Close()
				return err
			}
			if err := tmp.Close(); err != nil {
				return err
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "mesalab: wrote %d rows of %s to %s\n", len(t.Rows), table, out)
			return nil
		},
	}
	f := cmd.Flags()
	dbFlag(f, &dbPath)
	f.StringVar(&format, "format", "csv", "csv, jsonl or parquet")
	f.StringVar(&table, "table", "metrics", strings.Join(store.Tables, ", "))
	f.StringVar(&out, "out", "", "file to write (default: stdout)")
	f.StringVar(&sweepID, "sweep", "", "only the runs of this sweep")
	f.StringVar(&exp, "experiment", "", "only the runs of this experiment")
	return cmd
}
