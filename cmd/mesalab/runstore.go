package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mesalab/mesalab/report"
	"github.com/mesalab/mesalab/spec"
	"github.com/mesalab/mesalab/store"
	"github.com/spf13/cobra"
)

// isSpecName reports whether arg names a spec file rather than an experiment.
func isSpecName(arg string) bool {
	ext := strings.ToLower(filepath.Ext(arg))
	return ext == ".yaml" || ext == ".yml"
}

// readSpec reads and parses a spec file; every problem is bad input.
func readSpec(path string) (*spec.Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badInputf("spec: %v", err)
	}
	defer f.Close()
	b := make([]byte, spec.MaxSize+1)
	n, _ := io.ReadFull(f, b)
	s, err := spec.Parse(path, b[:n])
	if err != nil {
		return nil, badInput(err)
	}
	return s, nil
}

// storeRun stores a finished run, says where on stderr with the command that
// makes its report, and writes the report into outDir when given.
func storeRun(cmd *cobra.Command, db *store.DB, r *store.Run, outDir string) error {
	id, err := db.Put(cmd.Context(), r)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	if outDir != "" {
		main, err := report.WriteDir(cmd.Context(), db, outDir, report.Selection{RunID: id})
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "mesalab: stored run %d in %s; report: %s\n", id, db.Path(), main)
		return nil
	}
	fmt.Fprintf(stderr, "mesalab: stored run %d in %s; report: mesalab report --run %d%s --out report-%d\n",
		id, db.Path(), id, dbArg(db.Path()), id)
	return nil
}
