package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesalab/mesalab/compare"
	"github.com/mesalab/mesalab/ndarray"
)

// writeFiles writes name → content into a temporary directory and returns the
// directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

type compareJSON struct {
	Metrics      map[string]*float64 `json:"metrics"`
	Incomparable map[string]struct {
		Missing []string `json:"missing"`
	} `json:"incomparable"`
	Shapes struct {
		A       []int `json:"a"`
		B       []int `json:"b"`
		States  int   `json:"states"`
		Actions int   `json:"actions"`
	} `json:"shapes"`
	Invariance string  `json:"invariance"`
	Gamma      float64 `json:"gamma"`
}

// A 3-state chain with 2 actions (0 stays, 1 moves right, the last state stays).
const chainT = `[[[1,0,0],[0,1,0]], [[0,1,0],[0,0,1]], [[0,0,1],[0,0,1]]]`

func TestCompareJSON(t *testing.T) {
	// B = 2·(A + γΦ(s′) − Φ(s)) with Φ = (1, −2, 0.5), γ = 0.9, written as
	// (S,A,S) in C order; A is the state reward (0, 0, 1).
	a := compare.Reward{S: 3, A: 2, R: make([]float64, 18)}
	for i := range a.R {
		if i/6 == 2 {
			a.R[i] = 1
		}
	}
	b := a.Shaped(0.9, []float64{1, -2, 0.5}).Affine(2, 0)
	var npy bytes.Buffer
	if err := ndarray.WriteNPY(&npy, &ndarray.Array{Shape: []int{3, 2, 3}, Data: b.R}); err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{
		"a.csv":    "0\n0\n1\n",
		"b.npy":    npy.String(),
		"neg.json": "[0, 0, -1]",
		"t.json":   chainT,
	})
	p := func(n string) string { return filepath.Join(dir, n) }

	code, out, errs := runCLI(t, "compare", p("a.csv"), p("b.npy"), "--gamma", "0.9", "--transitions", p("t.json"), "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	var res compareJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if res.Shapes.States != 3 || res.Shapes.Actions != 2 || len(res.Shapes.A) != 1 || len(res.Shapes.B) != 3 ||
		res.Invariance != "potential-shaping" || res.Gamma != 0.9 {
		t.Fatalf("shapes/invariance/gamma: %+v", res)
	}
	for _, m := range []string{"epic", "dard", "starc", "regret"} {
		v := res.Metrics[m]
		if v == nil || *v > 1e-6 {
			t.Errorf("%s(A, shaped and rescaled A) = %v, want 0", m, v)
		}
	}

	// A against −A: EPIC and STARC are 1, regret is the whole range.
	code, out, errs = runCLI(t, "compare", p("a.csv"), p("neg.json"), "--gamma", "0.9", "--transitions", p("t.json"), "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	res = compareJSON{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	for m, want := range map[string]float64{"epic": 1, "starc": 1, "regret": 1} {
		if v := res.Metrics[m]; v == nil || math.Abs(*v-want) > 1e-9 {
			t.Errorf("%s(A, −A) = %v, want %v", m, v, want)
		}
	}
	// A general pair gives the library's numbers, through every format.
	c := compare.Reward{S: 3, A: 2, R: []float64{0.3, -1, 2, 0.5, 0, 1, -2, 1.5, 0.25, 3, -0.5, 1, 0, 0, 2, -1, 1, 0.75}}
	cj, _ := json.Marshal([][][]float64{{c.R[0:3], c.R[3:6]}, {c.R[6:9], c.R[9:12]}, {c.R[12:15], c.R[15:18]}})
	if err := os.WriteFile(p("c.json"), cj, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "compare", p("a.csv"), p("c.json"), "--gamma", "0.9", "--transitions", p("t.json"), "--metric", "epic", "--json")
	res = compareJSON{}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("exit %d, %s %s", code, out, errs)
	}
	want, err := compare.EPICDistance(a, c, 0.9, compare.Dists{}, compare.PotentialShaping)
	if err != nil || res.Metrics["epic"] == nil || *res.Metrics["epic"] != want || want < 0.1 {
		t.Fatalf("CLI EPIC %v, library %v (%v)", res.Metrics["epic"], want, err)
	}
	if len(res.Metrics) != 1 {
		t.Fatalf("--metric epic printed %v", res.Metrics)
	}
}

func TestCompareIncomparable(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.json": "[1, 2, 3]", "b.json": "[3, 1, 2]"})
	code, out, errs := runCLI(t, "compare", filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	var res compareJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Metrics["epic"] == nil {
		t.Fatal("epic missing without transitions")
	}
	for _, m := range []string{"dard", "starc", "regret"} {
		inc, ok := res.Incomparable[m]
		if res.Metrics[m] != nil || !ok || !strings.Contains(strings.Join(inc.Missing, " "), "--transitions") {
			t.Errorf("%s without transitions: metric %v, incomparable %+v", m, res.Metrics[m], inc)
		}
	}
	// STARC's EPIC canonicalisation needs no transitions.
	code, out, _ = runCLI(t, "compare", filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), "--metric", "starc", "--canonicalisation", "epic", "--json")
	res = compareJSON{}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Metrics["starc"] == nil {
		t.Fatalf("starc with the epic canonicalisation: exit %d, %s", code, out)
	}
	// A class EPIC cannot honour.
	code, out, _ = runCLI(t, "compare", filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), "--metric", "epic", "--invariance", "argmax-sets")
	if code != 0 || !strings.Contains(out, "epic    incomparable  invariance to argmax-sets") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestCompareBadInput(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"a.json":       "[1, 2, 3]",
		"b.json":       "[3, 1, 2]",
		"four.json":    "[1, 2, 3, 4]",
		"nan.csv":      "1\n2\nnan\n",
		"ragged.json":  "[[1, 2], [3]]",
		"trunc.npy":    "\x93NUMPY\x01\x00\x46\x00{'descr': '<f8'",
		"ds.json":      "[0.5, 0.2, 0.2]",
		"neg.json":     "[1.5, -0.5, 0]",
		"t_bad.json":   `[[[1,0,0],[0,1,0]], [[0,1,0],[0,0.5,0]], [[0,0,1],[0,0,1]]]`,
		"t_wrong.json": `[[1,0,0],[0,1,0],[0,0,1]]`,
		"a2.json":      "[[1, 2], [3, 4], [5, 6]]",
		"b3.json":      "[[1, 2, 3], [3, 4, 5], [5, 6, 7]]",
		"t.json":       chainT,
		"i8.npy":       "\x93NUMPY\x01\x00\x46\x00{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }      \n" + strings.Repeat("\x00", 24),
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"one file", []string{p("a.json")}, "compare takes two reward files"},
		{"missing file", []string{p("a.json"), p("nope.json")}, "nope.json"},
		{"states differ", []string{p("a.json"), p("four.json")}, "rewards disagree on the number of states"},
		{"actions differ", []string{p("a2.json"), p("b3.json")}, "has 3 actions"},
		{"NaN", []string{p("nan.csv"), p("a.json")}, "nan.csv:3:1: \"nan\" is not finite"},
		{"ragged", []string{p("ragged.json"), p("a.json")}, "ragged.json:1:12: ragged array"},
		{"truncated npy", []string{p("trunc.npy"), p("a.json")}, "truncated .npy header"},
		{"dtype", []string{p("i8.npy"), p("a.json")}, "unsupported dtype \"<i8\""},
		{"D_S sum", []string{p("a.json"), p("b.json"), "--states-dist", p("ds.json")}, "ds.json: state distribution D_S sums to 0.9"},
		{"D_S negative", []string{p("a.json"), p("b.json"), "--states-dist", p("neg.json")}, "entry 1 = -0.5"},
		{"T row", []string{p("a.json"), p("b.json"), "--transitions", p("t_bad.json")}, "t_bad.json: transition row T[s=1][a=1][·] sums to 0.5"},
		{"T rank", []string{p("a.json"), p("b.json"), "--transitions", p("t_wrong.json")}, "want rank [3]"},
		{"metric", []string{p("a.json"), p("b.json"), "--metric", "npec"}, "--metric \"npec\""},
		{"invariance", []string{p("a.json"), p("b.json"), "--invariance", "affine"}, "unknown invariance class \"affine\""},
		{"gamma", []string{p("a.json"), p("b.json"), "--gamma", "1.5"}, "--gamma 1.5"},
		{"gamma syntax", []string{p("a.json"), p("b.json"), "--gamma", "x"}, "invalid argument \"x\""},
		{"unknown flag", []string{p("a.json"), p("b.json"), "--bogus"}, "unknown flag: --bogus"},
		{"starc γ=1", []string{p("a.json"), p("b.json"), "--gamma", "1", "--metric", "starc", "--transitions", p("t.json")}, "starc: STARC: the value canonicalisation needs a discount 0 ≤ γ < 1, got 1"},
	} {
		code, out, errs := runCLI(t, append([]string{"compare"}, tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and stderr containing %q", tc.name, code, out, errs, tc.want)
		}
	}
}
