package main

import (
	"fmt"

	"github.com/mesalab/mesalab/store"
	"github.com/spf13/cobra"
)

func newMerge() *cobra.Command {
	return &cobra.Command{
		Use:   "merge DEST.db SRC.db...",
		Short: "Merge results stores (the shard files of a sweep) into one",
		Long: `Copy every run and sweep of the SRC stores into DEST (created if missing).
Merging is idempotent: a run DEST already holds, identical, is skipped; the same
sweep point with a different result is an error naming it.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return badInputf("merge takes a destination store and at least one source store")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var srcs []*store.DB
			defer func() {
				for _, s := range srcs {
					s.Close()
				}
			}()
			for _, p := range args[1:] {
				s, err := openStoreReadOnly(p)
				if err != nil {
					return err
				}
				srcs = append(srcs, s)
			}
			dst, err := openStore(args[0])
			if err != nil {
				return err
			}
			defer dst.Close()
			st, err := store.Merge(cmd.Context(), dst, srcs...)
			if err != nil {
				return err
			}
			n, err := dst.Count(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "mesalab: merged %d stores into %s: %d runs added, %d already there; %d runs in all\n",
				len(srcs), dst.Path(), st.Added, st.Skipped, n)
			return nil
		},
	}
}
