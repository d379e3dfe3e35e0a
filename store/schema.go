package store

// migrations bring the schema from version i to i+1 (migrations[i]); the version
// reached is recorded in schema_version. Append, never edit: a store written by
// an older mesalab is migrated forward when it is opened for writing.
var migrations = []string{
	// 1: runs of experiments and sweeps, with their tidy metrics, comparisons and
	// verdicts.
	`CREATE TABLE sweeps (
		id         TEXT PRIMARY KEY,
		name       TEXT NOT NULL,
		experiment TEXT NOT NULL,
		spec       TEXT NOT NULL,
		points     INTEGER NOT NULL,
		created    TEXT NOT NULL
	);
	CREATE TABLE runs (
		id           INTEGER PRIMARY KEY,
		uid          TEXT NOT NULL UNIQUE,
		experiment   TEXT NOT NULL,
		params       TEXT NOT NULL,  -- JSON object: every declared parameter
		config       TEXT NOT NULL,  -- JSON object: the result's config
		seed         INTEGER NOT NULL, -- uint64 stored as its int64 bit pattern
		seeds        INTEGER NOT NULL,
		code_version TEXT NOT NULL,
		started      TEXT NOT NULL,  -- RFC 3339, UTC
		finished     TEXT NOT NULL,
		elapsed_s    REAL NOT NULL,
		sweep_id     TEXT,           -- NULL outside a sweep
		point_key    TEXT,
		point_index  INTEGER,
		digest       TEXT NOT NULL,  -- SHA-256 of the content without timing
		result       TEXT NOT NULL,  -- the result's JSON (DESIGN.md §6)
		extras       TEXT NOT NULL   -- JSON: tables and figures for the report
	);
	CREATE UNIQUE INDEX runs_sweep_point ON runs (sweep_id, point_key);
	CREATE TABLE metrics (
		run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
		seed_index INTEGER NOT NULL, -- -1: the run's metric; i: the i-th entry of per_seed
		name       TEXT NOT NULL,
		value      REAL NOT NULL,
		PRIMARY KEY (run_id, seed_index, name)
	) WITHOUT ROWID;
	CREATE TABLE comparisons (
		run_id            INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
		idx               INTEGER NOT NULL,
		distribution      TEXT NOT NULL,
		subject           TEXT NOT NULL,
		agreement         REAL,
		regret            REAL,
		normalized_regret REAL,
		distance          REAL,
		coverage          REAL,
		tasks             INTEGER NOT NULL,
		incomparable      TEXT, -- JSON list of the missing bridges; NULL when comparable
		PRIMARY KEY (run_id, idx)
	) WITHOUT ROWID;
	CREATE TABLE verdicts (
		run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
		idx          INTEGER NOT NULL,
		name         TEXT NOT NULL,
		distribution TEXT NOT NULL,
		subject      TEXT NOT NULL,
		evidence     TEXT NOT NULL, -- JSON object
		PRIMARY KEY (run_id, idx)
	) WITHOUT ROWID;`,
	// 2: list runs by experiment without a scan.
	`CREATE INDEX runs_experiment ON runs (experiment, id);
	CREATE INDEX verdicts_name ON verdicts (name);`,
}
