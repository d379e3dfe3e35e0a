package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// mesalab runs the command line in-process and returns exit code, stdout, stderr.
func mesalab(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"version"}, 0, ""},
		{[]string{"list"}, 0, ""},
		{[]string{"run", "no-such-experiment"}, 2, `unknown experiment "no-such-experiment"`},
		{[]string{"run"}, 2, "run takes one experiment ID"},
		{[]string{"run", "td0-3state", "--no-such-flag"}, 2, "unknown flag: --no-such-flag"},
		{[]string{"run", "td0-3state", "--seed", "abc"}, 2, `invalid argument "abc"`},
		{[]string{"run", "td0-3state", "--episodes", "many"}, 2, `parameter episodes: "many", want a whole number`},
		{[]string{"run", "td0-3state", "--epsilon", "2"}, 2, "ε = 2"},
		{[]string{"no-such-command"}, 2, `unknown command "no-such-command"`},
		{[]string{"run", "td0-3state", "--no-store", "--out", "x"}, 2, "cannot go with --no-store"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := mesalab(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and stderr containing %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

func TestListNamesTD0(t *testing.T) {
	_, out, _ := mesalab(t, "list")
	if !strings.Contains(out, "td0-3state") {
		t.Fatalf("list output lacks td0-3state:\n%s", out)
	}
}

// The JSON of a run is the same bytes for GOMAXPROCS 1 and 2 (apart from the
// wall-clock elapsed_s), and carries the contract's fields with the values the
// td0-3state MDP implies.
func TestRunJSONDeterministicAcrossGOMAXPROCS(t *testing.T) {
	runAt := func(procs int) (string, map[string]any) {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		code, out, stderr := mesalab(t, "run", "td0-3state", "--json", "--seeds", "2")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
		}
		delete(m, "elapsed_s")
		b, _ := json.Marshal(m)
		return string(b), m
	}
	one, m := runAt(1)
	two, _ := runAt(2)
	if one != two {
		t.Fatalf("JSON differs between GOMAXPROCS=1 and 2:\n%s\n%s", one, two)
	}
	for _, k := range []string{"experiment", "seeds", "config", "metrics", "comparisons", "verdicts"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	metrics := m["metrics"].(map[string]any)
	if e := metrics["q_max_abs_error"].(float64); e > 1e-3 {
		t.Errorf("q_max_abs_error = %v, want ≤ 1e-3", e)
	}
	names := map[string]bool{}
	for _, v := range m["verdicts"].([]any) {
		v := v.(map[string]any)
		names[v["name"].(string)+"@"+v["distribution"].(string)] = true
	}
	for _, want := range []string{"aligned-on-every-task@all-states", "no-disagreement-found@train", "pseudo-aligned@shift"} {
		if !names[want] {
			t.Errorf("verdicts lack %s; have %v", want, names)
		}
	}
}
