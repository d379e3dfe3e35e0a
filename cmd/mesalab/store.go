package main

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/mesalab/mesalab/store"
	"github.com/spf13/pflag"
)

// dbFlag adds --db to a command's flags.
func dbFlag(f *pflag.FlagSet, path *string) {
	f.StringVar(path, "db", store.DefaultPath, "results store (SQLite file)")
}

// openStore opens the store for writing; a file that is not a mesalab store is
// bad input.
func openStore(path string) (*store.DB, error) {
	db, err := store.Open(path)
	return db, badInput(err)
}

// openStoreReadOnly opens an existing store for reading.
func openStoreReadOnly(path string) (*store.DB, error) {
	db, err := store.OpenReadOnly(path)
	return db, badInput(err)
}

// runVersion is the code version stored with every run: the mesalab version and,
// when the binary was built from a git checkout, the commit (+dirty when it had
// uncommitted changes).
func runVersion() string {
	v := codeVersion()
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " " + rev + dirty
	}
	return v
}

// dbArg is " --db PATH" when path is not the default store, for printed commands.
func dbArg(path string) string {
	if path == store.DefaultPath {
		return ""
	}
	return " --db " + shellWord(path)
}

// shellWord quotes s for a shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=+,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fileExists reports whether path names a regular file.
func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// isNotFound reports whether err says a run or sweep is not in the store.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// dirOf is the directory of a file path ("." for a bare name).
func dirOf(path string) string { return filepath.Dir(path) }
