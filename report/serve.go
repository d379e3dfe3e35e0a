package report

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mesalab/mesalab/store"
)

// Timeouts of the server of [Server].
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 10 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 60 * time.Second
	// PageTimeout bounds the rendering of one page.
	PageTimeout = 30 * time.Second
	// IndexLimit is the number of runs the served index lists.
	IndexLimit = 500
)

// Handler serves the report pages of a store, read-only: GET / (the index),
// GET /run/ID and GET /sweep/ID. Any other path is 404, any other method 405; a
// run ID that is not a number or a sweep ID that is not of the form sweep IDs
// take is 400. Nothing is read from the file system: there is no path to
// traverse.
func Handler(db *store.DB) http.Handler {
	links := ServerLinks{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		sweeps, err := db.Sweeps(r.Context())
		if err != nil {
			fail(w, err)
			return
		}
		runs, err := db.Runs(r.Context(), store.Query{Limit: IndexLimit})
		if err != nil {
			fail(w, err)
			return
		}
		stored := map[string]int{}
		for _, s := range sweeps {
			keys, err := db.PointKeys(r.Context(), s.ID)
			if err != nil {
				fail(w, err)
				return
			}
			stored[s.ID] = len(keys)
		}
		total, err := db.Count(r.Context())
		if err != nil {
			fail(w, err)
			return
		}
		page(w, func(b *bytes.Buffer) error { return IndexPage(b, sweeps, stored, runs, total, links) })
	})
	mux.HandleFunc("GET /run/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id < 1 {
			http.Error(w, "bad run ID: want a number", http.StatusBadRequest)
			return
		}
		run, err := db.Run(r.Context(), id)
		if err != nil {
			fail(w, err)
			return
		}
		page(w, func(b *bytes.Buffer) error { return RunPage(b, run, links) })
	})
	mux.HandleFunc("GET /sweep/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !validSweepID.MatchString(id) {
			http.Error(w, "bad sweep ID", http.StatusBadRequest)
			return
		}
		sw, err := db.Sweep(r.Context(), id)
		if err != nil {
			fail(w, err)
			return
		}
		runs, err := db.Runs(r.Context(), store.Query{SweepID: id})
		if err != nil {
			fail(w, err)
			return
		}
		page(w, func(b *bytes.Buffer) error { return SweepPage(b, sw, runs, links) })
	})
	return secure(http.TimeoutHandler(mux, PageTimeout, "page timed out"))
}

// secure adds headers that keep a page from loading or running anything: the
// pages are self-contained (inline styles and SVG, images as data: URLs).
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func page(w http.ResponseWriter, render func(*bytes.Buffer) error) {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

func fail(w http.ResponseWriter, err error) {
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	http.Error(w, fmt.Sprintf("internal error: %v", err), http.StatusInternalServerError)
}

// Server is an HTTP server for Handler(db) on addr with the timeouts above.
func Server(addr string, db *store.DB) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           Handler(db),
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
}
