package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mesalab/mesalab/store"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// pkgDir is this package's source directory: the tests run in a temporary
// working directory, so that runs stored in the default ./mesalab.db land there.
var pkgDir string

func TestMain(m *testing.M) {
	var err error
	if pkgDir, err = os.Getwd(); err != nil {
		panic(err)
	}
	work, err := os.MkdirTemp("", "mesalab-cmd-test-")
	if err != nil {
		panic(err)
	}
	if err := os.Chdir(work); err != nil {
		panic(err)
	}
	code := m.Run()
	os.Chdir(pkgDir)
	os.RemoveAll(work)
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds the real mesalab executable once per test process (go build,
// no race detector: the tests below measure the program, not this package).
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "mesalab-bin-")
		if buildErr != nil {
			return
		}
		build := exec.Command("go", "build", "-o", filepath.Join(buildDir, "mesalab"), ".")
		build.Dir = pkgDir
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return filepath.Join(buildDir, "mesalab")
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// exportTable is the metrics table of a store without its run IDs.
func exportTable(t *testing.T, bin, db string) string {
	t.Helper()
	out, err := exec.Command(bin, "export", "--db", db).Output()
	if err != nil {
		t.Fatalf("export %s: %v", db, err)
	}
	var b strings.Builder
	for _, row := range readCSV(t, string(out)) {
		b.WriteString(strings.Join(row[1:], ",") + "\n")
	}
	return b.String()
}

// Kill -9 in the middle of a sweep, then --resume: every point is stored
// exactly once, the file is intact, and the table equals a sweep never killed.
func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := binary(t)
	dir := t.TempDir()
	const points = 30
	spec := writeTestFile(t, filepath.Join(dir, "kill.yaml"),
		"experiment: td0-3state\nname: kill\nparams: {episodes: 40000}\nsweep:\n  grid:\n    seed: {from: 1, to: 30}\n")
	db := filepath.Join(dir, "killed.db")

	cmd := exec.Command(bin, "sweep", spec, "--db", db, "--workers", "2")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until a few points are stored, then kill without warning.
	stored := 0
	deadline := time.Now().Add(60 * time.Second)
	for stored < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if s, err := store.OpenReadOnly(db); err == nil {
			stored, _ = s.Count(context.Background())
			s.Close()
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("sweep was not killed (it ended first: %v, %s); make its points slower", err, stderr.String())
	}
	s, err := store.Open(db) // checks the file's integrity
	if err != nil {
		t.Fatalf("store after kill -9: %v", err)
	}
	before, _ := s.Count(context.Background())
	s.Close()
	if before < 3 || before >= points {
		t.Fatalf("%d points stored at the kill, want some but not all", before)
	}
	t.Logf("killed with %d of %d points stored", before, points)

	out, err := exec.Command(bin, "sweep", spec, "--db", db, "--resume", "--workers", "2").CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if want := "ran " + strconv.Itoa(points-before) + " points, " + strconv.Itoa(before) + " already stored"; !strings.Contains(string(out), want) {
		t.Errorf("resume said %q, want %q", out, want)
	}
	s, err = store.OpenReadOnly(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.Runs(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, r := range runs {
		seen[r.PointIndex]++
	}
	if len(runs) != points || len(seen) != points {
		t.Errorf("%d runs of %d distinct points, want %d each", len(runs), len(seen), points)
	}
	for k, n := range seen {
		if n != 1 || k < 0 || k >= points {
			t.Errorf("point %d stored %d times", k, n)
		}
	}
	clean := filepath.Join(dir, "clean.db")
	if out, err := exec.Command(bin, "sweep", spec, "--db", clean).CombinedOutput(); err != nil {
		t.Fatalf("clean sweep: %v\n%s", err, out)
	}
	if a, b := exportTable(t, bin, db), exportTable(t, bin, clean); a != b {
		t.Errorf("killed and resumed sweep differs from a clean one:\n%s\nclean:\n%s", a, b)
	}
}
