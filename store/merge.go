package store

import (
	"context"
	"database/sql"
	"fmt"
)

// MergeStats counts what a merge did.
type MergeStats struct {
	Added   int // runs copied into the destination
	Skipped int // runs the destination already held, identical
}

// Merge copies every run and sweep of the stores srcs into dst, typically the
// shard files of a sweep run as a cluster job array. It is idempotent: a run
// whose UID dst already holds with the same digest is skipped. A run whose UID
// dst holds with a different digest is a conflict, reported as an error naming
// the run; runs copied before the conflict stay (each source is merged in one
// transaction, so a failed source adds nothing).
func Merge(ctx context.Context, dst *DB, srcs ...*DB) (MergeStats, error) {
	var total MergeStats
	for _, src := range srcs {
		st, err := mergeOne(ctx, dst, src)
		if err != nil {
			return total, err
		}
		total.Added += st.Added
		total.Skipped += st.Skipped
	}
	return total, nil
}

func mergeOne(ctx context.Context, dst, src *DB) (MergeStats, error) {
	var st MergeStats
	if dst.readOnly {
		return st, fmt.Errorf("store %s: opened read-only", dst.path)
	}
	sweeps, err := src.Sweeps(ctx)
	if err != nil {
		return st, err
	}
	runs, err := src.Runs(ctx, Query{})
	if err != nil {
		return st, err
	}
	raw, err := src.rawRuns(ctx)
	if err != nil {
		return st, err
	}
	tx, err := dst.db.BeginTx(ctx, nil)
	if err != nil {
		return st, dst.fail(err)
	}
	defer tx.Rollback()
	for _, sw := range sweeps {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sweeps (id, name, experiment, spec, points, created)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			sw.ID, sw.Name, sw.Experiment, sw.Spec, sw.Points, formatTime(sw.Created)); err != nil {
			return st, dst.fail(err)
		}
	}
	for _, r := range runs {
		var digest string
		err := tx.QueryRowContext(ctx, "SELECT digest FROM runs WHERE uid = ?", r.UID).Scan(&digest)
		switch {
		case err == nil && digest == r.Digest:
			st.Skipped++
			continue
		case err == nil:
			return st, fmt.Errorf("merge %s into %s: run %s differs between the two stores (digest %.12s vs %.12s): was the same sweep run with different code?",
				src.path, dst.path, r.UID, r.Digest, digest)
		case err != sql.ErrNoRows:
			return st, dst.fail(err)
		}
		e := raw[r.ID]
		e.digest = r.Digest
		if _, err := insertRun(ctx, tx, &r, e); err != nil {
			return st, fmt.Errorf("merge %s into %s: run %s: %w", src.path, dst.path, r.UID, err)
		}
		st.Added++
	}
	if err := tx.Commit(); err != nil {
		return st, dst.fail(err)
	}
	return st, nil
}

// rawRuns reads the stored JSON of every run as it is, so that a merge copies the
// bytes rather than a re-encoding.
func (s *DB) rawRuns(ctx context.Context) (map[int64]encoded, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, params, config, result, extras FROM runs")
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	out := map[int64]encoded{}
	for rows.Next() {
		var id int64
		var p, c, r, x string
		if err := rows.Scan(&id, &p, &c, &r, &x); err != nil {
			return nil, s.fail(err)
		}
		out[id] = encoded{params: []byte(p), config: []byte(c), result: []byte(r), extras: []byte(x)}
	}
	return out, rows.Err()
}
