// Package store keeps mesalab runs as data: every run's experiment, parameters,
// seeds, code version, timing, metrics, comparisons and verdicts with their
// evidence, in one SQLite file (mesalab.db by default) through the pure-Go driver
// modernc.org/sqlite.
//
// A run is written in one transaction: a process killed while writing leaves the
// file as it was before that run, never half a run. The schema is versioned
// (table schema_version) and migrated forward on [Open]; the file carries
// SQLite's application_id "MESA", so a database of another program is recognised
// and refused with a clear error rather than written to. Runs of a sweep carry the
// sweep's ID and the point's key, which makes shard files mergeable ([Merge]) and
// sweeps resumable.
package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/experiment"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ApplicationID is the SQLite application_id of a mesalab store: "MESA" in ASCII.
const ApplicationID = 0x4d455341

// DefaultPath is the store used when a command is given no --db.
const DefaultPath = "mesalab.db"

// ErrNotFound is returned when a run or sweep asked for is not in the store.
var ErrNotFound = errors.New("not found")

// DB is an open store. It is safe for concurrent use; writes are serialised.
type DB struct {
	db       *sql.DB
	path     string
	readOnly bool
}

// Run is one stored run: what was run, where, when, and its result.
type Run struct {
	ID  int64  // the store's row id: stable within one file, renumbered by Merge
	UID string // unique across files: sweepID/pointKey for sweep points, random otherwise

	Experiment  string
	Params      map[string]string // every declared parameter, defaults filled in
	Seed        uint64
	Seeds       int
	CodeVersion string
	Started     time.Time
	Finished    time.Time
	ElapsedS    float64

	SweepID    string // "" for a run outside a sweep
	PointKey   string
	PointIndex int

	// Digest is the SHA-256 of the run's content without its timing: two runs of
	// the same configuration on any machine or shard have the same digest.
	Digest string
	Result *experiment.Result
}

// Sweep is a stored sweep: the spec it expands and the number of its points.
type Sweep struct {
	ID         string
	Name       string
	Experiment string
	Spec       string // the spec file's text
	Points     int    // points of the whole sweep, all shards
	Created    time.Time
}

// Open opens the store at path for reading and writing, creating the file if it
// does not exist and migrating an older schema forward. A file that is not a
// SQLite database, a database of another program, or a store written by a newer
// mesalab gives an error naming the file.
func Open(path string) (*DB, error) { return open(path, false) }

// OpenReadOnly opens an existing store for reading only (report, export, serve).
// The file must exist and be a mesalab store at the current schema version.
func OpenReadOnly(path string) (*DB, error) { return open(path, true) }

func open(path string, readOnly bool) (_ *DB, err error) {
	if path == "" {
		return nil, errors.New("store: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	st, statErr := os.Stat(abs)
	switch {
	case statErr == nil && st.IsDir():
		return nil, fmt.Errorf("store %s: is a directory, want a database file", path)
	case errors.Is(statErr, fs.ErrNotExist) && readOnly:
		return nil, fmt.Errorf("store %s: no such file (run an experiment first, or give --db)", path)
	case statErr != nil && !errors.Is(statErr, fs.ErrNotExist):
		return nil, fmt.Errorf("store %s: %w", path, statErr)
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() +
		"?_pragma=busy_timeout(20000)&_pragma=foreign_keys(1)"
	if readOnly {
		dsn += "&mode=ro&_pragma=query_only(1)"
	} else {
		dsn += "&_txlock=immediate"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &DB{db: db, path: path, readOnly: readOnly}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// check recognises the file and brings its schema up to date.
func (s *DB) check() error {
	ctx := context.Background()
	var integrity string
	if err := s.db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&integrity); err != nil {
		return s.notStore(err)
	}
	if integrity != "ok" {
		return fmt.Errorf("store %s: the database file is corrupt (%s)", s.path, firstLine(integrity))
	}
	if s.readOnly {
		appID, tables, err := s.identity(ctx, s.db)
		if err != nil {
			return s.notStore(err)
		}
		if err := s.recognise(appID, tables); err != nil {
			return err
		}
		v, err := schemaVersion(ctx, s.db)
		if err != nil {
			return s.fail(err)
		}
		if v != len(migrations) {
			return s.versionError(v)
		}
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.notStore(err)
	}
	defer tx.Rollback()
	appID, tables, err := s.identity(ctx, tx)
	if err != nil {
		return s.notStore(err)
	}
	if err := s.recognise(appID, tables); err != nil {
		return err
	}
	if appID == 0 {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", ApplicationID)); err != nil {
			return s.fail(err)
		}
		if _, err := tx.ExecContext(ctx, "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (0)"); err != nil {
			return s.fail(err)
		}
	}
	v, err := schemaVersion(ctx, tx)
	if err != nil {
		return s.fail(err)
	}
	if v > len(migrations) {
		return s.versionError(v)
	}
	for i := v; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("store %s: migrating the schema to version %d: %w", s.path, i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE schema_version SET version = ?", len(migrations)); err != nil {
		return s.fail(err)
	}
	if err := tx.Commit(); err != nil {
		return s.fail(err)
	}
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// identity reads the application_id and the names of the tables in the file.
func (s *DB) identity(ctx context.Context, q querier) (int64, []string, error) {
	var appID int64
	if err := q.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return 0, nil, err
	}
	rows, err := q.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return 0, nil, err
		}
		tables = append(tables, n)
	}
	return appID, tables, rows.Err()
}

// recognise accepts a mesalab store, or an empty database when writing.
func (s *DB) recognise(appID int64, tables []string) error {
	switch {
	case appID == ApplicationID:
		return nil
	case appID == 0 && len(tables) == 0 && s.readOnly:
		return fmt.Errorf("store %s: empty database, no runs stored yet", s.path)
	case appID == 0 && len(tables) == 0:
		return nil
	}
	desc := "tables " + strings.Join(tables, ", ")
	if len(tables) == 0 {
		desc = "no tables"
	}
	return fmt.Errorf("store %s: not a mesalab results store: a SQLite database of another program (application_id %#x, %s)", s.path, appID, desc)
}

func (s *DB) versionError(v int) error {
	if v > len(migrations) {
		return fmt.Errorf("store %s: written by a newer mesalab (schema version %d; this mesalab knows up to %d): upgrade mesalab", s.path, v, len(migrations))
	}
	return fmt.Errorf("store %s: schema version %d is older than this mesalab's %d: open it once for writing (e.g. mesalab merge %s) to migrate it", s.path, v, len(migrations), s.path)
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	return v, nil
}

// notStore explains an error on first contact with the file.
func (s *DB) notStore(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "file is not a database"), strings.Contains(msg, "(26)"):
		return fmt.Errorf("store %s: not a SQLite database (is it a mesalab results store?): %v", s.path, err)
	case strings.Contains(msg, "malformed"), strings.Contains(msg, "(11)"):
		return fmt.Errorf("store %s: the database file is corrupt: %v", s.path, err)
	}
	return s.fail(err)
}

func (s *DB) fail(err error) error { return fmt.Errorf("store %s: %w", s.path, err) }

// firstLine shortens SQLite's integrity report to its first finding.
func firstLine(s string) string {
	lines := strings.Split(strings.TrimPrefix(s, "*** in database main ***\n"), "\n")
	if len(lines) > 1 {
		return lines[0] + fmt.Sprintf(" and %d more problems", len(lines)-1)
	}
	return lines[0]
}

// Path is the file the store was opened from.
func (s *DB) Path() string { return s.path }

// Close closes the store.
func (s *DB) Close() error { return s.db.Close() }

// extras are the parts of a result outside its JSON contract that the store keeps
// for the report: the experiment's tables and figures.
type extras struct {
	Tables  []experiment.Table  `json:"tables,omitempty"`
	Figures []experiment.Figure `json:"figures,omitempty"`
}

// encoded is a run's content as stored.
type encoded struct {
	params, config, result, extras []byte
	digest                         string
}

func encode(r *Run) (encoded, error) {
	var e encoded
	var err error
	if r.Result == nil {
		return e, errors.New("run has no result")
	}
	if e.params, err = json.Marshal(orEmpty(r.Params)); err != nil {
		return e, err
	}
	cfg := r.Result.Config
	if cfg == nil {
		cfg = map[string]any{}
	}
	if e.config, err = json.Marshal(cfg); err != nil {
		return e, fmt.Errorf("result config: %w", err)
	}
	if e.result, err = json.Marshal(r.Result); err != nil {
		return e, fmt.Errorf("result (metrics, evidence and series must be finite numbers): %w", err)
	}
	if e.extras, err = json.Marshal(extras{Tables: r.Result.Tables, Figures: r.Result.Figures}); err != nil {
		return e, err
	}
	// The digest leaves out the timing: the same configuration gives the same digest.
	timeless := *r.Result
	timeless.ElapsedS = 0
	body, err := json.Marshal(&timeless)
	if err != nil {
		return e, err
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(r.Experiment), e.params, fmt.Appendf(nil, "%d/%d", r.Seed, r.Seeds),
		[]byte(r.SweepID), []byte(r.PointKey), body, e.extras} {
		fmt.Fprintf(h, "%d:", len(part))
		h.Write(part)
	}
	e.digest = hex.EncodeToString(h.Sum(nil))
	return e, nil
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// NewUID returns a random run UID for a run outside a sweep.
func NewUID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "run-" + hex.EncodeToString(b)
}

// PointUID is the UID of a sweep point's run: the same on every shard.
func PointUID(sweepID, pointKey string) string { return sweepID + "/" + pointKey }

// Put stores a run in one transaction and returns its ID. An empty UID is filled
// in (PointUID for a sweep point, NewUID otherwise), as are the Digest and, from
// the result, an unset Experiment, Seed and Seeds.
func (s *DB) Put(ctx context.Context, r *Run) (int64, error) {
	if s.readOnly {
		return 0, fmt.Errorf("store %s: opened read-only", s.path)
	}
	if r.Result == nil {
		return 0, fmt.Errorf("store %s: run has no result", s.path)
	}
	if r.Experiment == "" {
		r.Experiment = r.Result.Experiment
	}
	if r.Seeds == 0 {
		r.Seed, r.Seeds = r.Result.Seed, r.Result.Seeds
	}
	if r.UID == "" {
		if r.SweepID != "" {
			r.UID = PointUID(r.SweepID, r.PointKey)
		} else {
			r.UID = NewUID()
		}
	}
	e, err := encode(r)
	if err != nil {
		return 0, fmt.Errorf("store %s: run of %s: %w", s.path, r.Experiment, err)
	}
	r.Digest = e.digest
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, s.fail(err)
	}
	defer tx.Rollback()
	id, err := insertRun(ctx, tx, r, e)
	if err != nil {
		return 0, s.fail(err)
	}
	if testHookBeforeCommit != nil {
		if err := testHookBeforeCommit(); err != nil {
			return 0, s.fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, s.fail(err)
	}
	r.ID = id
	return id, nil
}

func insertRun(ctx context.Context, tx *sql.Tx, r *Run, e encoded) (int64, error) {
	var sweep, point, index any
	if r.SweepID != "" {
		sweep, point, index = r.SweepID, r.PointKey, r.PointIndex
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO runs (uid, experiment, params, config, seed, seeds, code_version,
		started, finished, elapsed_s, sweep_id, point_key, point_index, digest, result, extras)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.UID, r.Experiment, string(e.params), string(e.config), int64(r.Seed), r.Seeds, r.CodeVersion,
		formatTime(r.Started), formatTime(r.Finished), finite(r.ElapsedS), sweep, point, index,
		e.digest, string(e.result), string(e.extras))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return 0, fmt.Errorf("run %s is already stored", r.UID)
		}
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return id, insertChildren(ctx, tx, id, r.Result)
}

// insertChildren writes the tidy rows of a result: metrics, comparisons, verdicts.
func insertChildren(ctx context.Context, tx *sql.Tx, id int64, res *experiment.Result) error {
	metric, err := tx.PrepareContext(ctx, "INSERT INTO metrics (run_id, seed_index, name, value) VALUES (?, ?, ?, ?)")
	if err != nil {
		return err
	}
	defer metric.Close()
	for _, k := range sortedKeys(res.Metrics) {
		if _, err := metric.ExecContext(ctx, id, -1, k, res.Metrics[k]); err != nil {
			return err
		}
	}
	for i, m := range res.PerSeed {
		for _, k := range sortedKeys(m) {
			if _, err := metric.ExecContext(ctx, id, i, k, m[k]); err != nil {
				return err
			}
		}
	}
	for i, c := range res.Comparisons {
		var missing any
		var coverage any = c.Coverage
		if c.Coverage == mesalab.CoverageUnknown {
			coverage = nil
		}
		nums := []any{c.Agreement, c.Regret, c.NormalizedRegret, c.Distance, coverage}
		if c.Incomparable != nil {
			b, _ := json.Marshal(c.Incomparable.Missing)
			missing = string(b)
			nums = []any{nil, nil, nil, nil, nil}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO comparisons (run_id, idx, distribution, subject, agreement,
			regret, normalized_regret, distance, coverage, tasks, incomparable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			append(append([]any{id, i, c.Distribution, c.Subject}, nums...), c.Tasks, missing)...); err != nil {
			return err
		}
	}
	for i, v := range res.Verdicts {
		ev, err := json.Marshal(v.Evidence)
		if err != nil {
			return fmt.Errorf("verdict %s evidence: %w", v.Name, err)
		}
		if v.Evidence == nil {
			ev = []byte("{}")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO verdicts (run_id, idx, name, distribution, subject, evidence)
			VALUES (?, ?, ?, ?, ?, ?)`, id, i, string(v.Name), v.Distribution, v.Subject, string(ev)); err != nil {
			return err
		}
	}
	return nil
}

func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

const timeLayout = time.RFC3339Nano

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

// testHookBeforeCommit, when set by a test, runs after a run's rows are written
// and before the transaction commits; an error aborts the transaction.
var testHookBeforeCommit func() error

// PutSweep records a sweep; recording the same sweep ID again keeps the first.
func (s *DB) PutSweep(ctx context.Context, sw Sweep) error {
	if s.readOnly {
		return fmt.Errorf("store %s: opened read-only", s.path)
	}
	if sw.Created.IsZero() {
		sw.Created = time.Now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sweeps (id, name, experiment, spec, points, created)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		sw.ID, sw.Name, sw.Experiment, sw.Spec, sw.Points, formatTime(sw.Created))
	if err != nil {
		return s.fail(err)
	}
	return nil
}

// Sweeps lists the stored sweeps, oldest first.
func (s *DB) Sweeps(ctx context.Context) ([]Sweep, error) {
	return s.sweeps(ctx, "")
}

// Sweep returns the sweep with the given ID, or an error wrapping ErrNotFound.
func (s *DB) Sweep(ctx context.Context, id string) (Sweep, error) {
	sw, err := s.sweeps(ctx, id)
	if err != nil {
		return Sweep{}, err
	}
	if len(sw) == 0 {
		return Sweep{}, fmt.Errorf("store %s: sweep %q: %w", s.path, id, ErrNotFound)
	}
	return sw[0], nil
}

func (s *DB) sweeps(ctx context.Context, id string) ([]Sweep, error) {
	q := "SELECT id, name, experiment, spec, points, created FROM sweeps"
	var args []any
	if id != "" {
		q += " WHERE id = ?"
		args = append(args, id)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY created, id", args...)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	var out []Sweep
	for rows.Next() {
		var sw Sweep
		var created string
		if err := rows.Scan(&sw.ID, &sw.Name, &sw.Experiment, &sw.Spec, &sw.Points, &created); err != nil {
			return nil, s.fail(err)
		}
		sw.Created = parseTime(created)
		out = append(out, sw)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err)
	}
	return out, nil
}

// Query selects runs. The zero Query selects every run.
type Query struct {
	SweepID    string // only the runs of this sweep, in point order
	Experiment string // only runs of this experiment
	Limit      int    // at most this many (0: no limit), the newest
}

const runColumns = `id, uid, experiment, params, seed, seeds, code_version, started, finished, elapsed_s,
	sweep_id, point_key, point_index, digest, result, extras`

// Runs returns the runs selected by q: the runs of a sweep in point order,
// otherwise in the order they were stored.
func (s *DB) Runs(ctx context.Context, q Query) ([]Run, error) {
	var where []string
	var args []any
	if q.SweepID != "" {
		where = append(where, "sweep_id = ?")
		args = append(args, q.SweepID)
	}
	if q.Experiment != "" {
		where = append(where, "experiment = ?")
		args = append(args, q.Experiment)
	}
	sqlq := "SELECT " + runColumns + " FROM runs"
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	if q.Limit > 0 {
		sqlq = "SELECT * FROM (" + sqlq + fmt.Sprintf(" ORDER BY id DESC LIMIT %d)", q.Limit)
	}
	sqlq += " ORDER BY sweep_id IS NULL, sweep_id, point_index, id"
	return s.queryRuns(ctx, sqlq, args...)
}

// Run returns the run with the given ID, or an error wrapping ErrNotFound.
func (s *DB) Run(ctx context.Context, id int64) (Run, error) {
	runs, err := s.queryRuns(ctx, "SELECT "+runColumns+" FROM runs WHERE id = ?", id)
	if err != nil {
		return Run{}, err
	}
	if len(runs) == 0 {
		return Run{}, fmt.Errorf("store %s: run %d: %w", s.path, id, ErrNotFound)
	}
	return runs[0], nil
}

func (s *DB) queryRuns(ctx context.Context, q string, args ...any) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var params, started, finished, result, ext string
		var seed int64
		var sweep, point sql.NullString
		var index sql.NullInt64
		if err := rows.Scan(&r.ID, &r.UID, &r.Experiment, &params, &seed, &r.Seeds, &r.CodeVersion,
			&started, &finished, &r.ElapsedS, &sweep, &point, &index, &r.Digest, &result, &ext); err != nil {
			return nil, s.fail(err)
		}
		r.Seed = uint64(seed)
		r.Started, r.Finished = parseTime(started), parseTime(finished)
		r.SweepID, r.PointKey, r.PointIndex = sweep.String, point.String, int(index.Int64)
		if err := json.Unmarshal([]byte(params), &r.Params); err != nil {
			return nil, fmt.Errorf("store %s: run %d: params: %w", s.path, r.ID, err)
		}
		r.Result = new(experiment.Result)
		if err := json.Unmarshal([]byte(result), r.Result); err != nil {
			return nil, fmt.Errorf("store %s: run %d: result: %w", s.path, r.ID, err)
		}
		var x extras
		if err := json.Unmarshal([]byte(ext), &x); err != nil {
			return nil, fmt.Errorf("store %s: run %d: tables and figures: %w", s.path, r.ID, err)
		}
		r.Result.Tables, r.Result.Figures = x.Tables, x.Figures
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err)
	}
	return out, nil
}

// PointKeys returns the keys of the points of a sweep already stored.
func (s *DB) PointKeys(ctx context.Context, sweepID string) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT point_key FROM runs WHERE sweep_id = ?", sweepID)
	if err != nil {
		return nil, s.fail(err)
	}
	defer rows.Close()
	keys := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, s.fail(err)
		}
		keys[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(err)
	}
	return keys, nil
}

// Count returns the number of stored runs.
func (s *DB) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM runs").Scan(&n); err != nil {
		return 0, s.fail(err)
	}
	return n, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
