package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/mesalab/mesalab/report"
	"github.com/spf13/cobra"
)

func newServe() *cobra.Command {
	var dbPath, addr string
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080]",
		Short: "Serve the report pages of the results store over HTTP, read-only",
		Long: `Serve the pages of 'mesalab report' live from the results store: the index at /,
runs at /run/ID, sweeps at /sweep/ID. The store is opened read-only; the server
listens on 127.0.0.1 unless --addr says otherwise, with request timeouts. Stop
it with Ctrl-C.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openStoreReadOnly(dbPath)
			if err != nil {
				return err
			}
			defer db.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return badInputf("--addr %s: %v", addr, err)
			}
			srv := report.Server(addr, db)
			fmt.Fprintf(cmd.ErrOrStderr(), "mesalab: serving %s read-only on http://%s/ (Ctrl-C stops)\n", db.Path(), ln.Addr())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return err
			case <-cmd.Context().Done():
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil {
					return err
				}
				if err := <-done; !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			}
		},
	}
	f := cmd.Flags()
	dbFlag(f, &dbPath)
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	return cmd
}
