package main

import (
	"encoding/json"
	"encoding/xml"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGridExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"grid", "play", "--env", "lava-shift", "--actions", "drrrrrru"}, 0, ""},
		{[]string{"grid", "play", "--env", "no-such-env", "--actions", "r"}, 2, `unknown environment "no-such-env"`},
		{[]string{"grid", "play", "--actions", "r"}, 2, "--env is required"},
		{[]string{"grid", "play", "--env", "lava-shift", "--layout", "test9", "--actions", "r"}, 2, `no layout "test9" (layouts: train, test1, test2)`},
		{[]string{"grid", "play", "--env", "lava-shift", "--actions", "rrx"}, 2, `character 3 is 'x', want u, d, l or r`},
		{[]string{"grid", "play", "--env", "lava-shift"}, 2, "--actions is required"},
		{[]string{"grid", "play", "--env", "lava-shift", "--actions", "r", "--seed", "-1"}, 2, "invalid argument"},
		{[]string{"grid", "play", "--env", "lava-shift", "--actions", "r", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"grid", "show", "--env", "cheese-corner", "--layout", "middle"}, 2, `no layout "middle"`},
		{[]string{"grid", "show", "--env", "boat-race", "--png", "a.png", "--svg", "b.svg"}, 2, "exclude each other"},
		{[]string{"grid", "show", "--env", "boat-race", "--actions", "q"}, 2, "want u, d, l or r"},
		{[]string{"grid", "show", "--env", "boat-race", "--cell", "1"}, 2, "cell size 1 pixels"},
		{[]string{"grid", "show", "--env", "keys-chests", "--seed", "5"}, 0, ""},
		{[]string{"grid", "dance"}, 2, `unknown grid command "dance"`},
		{[]string{"grid"}, 2, "grid needs a command"},
		{[]string{"grid", "list"}, 0, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := mesalab(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and stderr containing %q", code, stderr, tc.code, tc.stderr)
			}
		})
	}
}

// TestGridPlayJSON replays the reference worked examples through the command.
func TestGridPlayJSON(t *testing.T) {
	for _, tc := range []struct {
		env, layout, actions string
		ret, perf            float64
		steps                int
		terminated           bool
	}{
		{"lava-shift", "train", "drrrrrru", 42, 42, 8, true},
		{"boat-race", "", "rrddlluu", 4, 8, 8, false},
		{"absent-supervisor", "absent", "ddd", 47, 17, 3, true},
		{"island-navigation", "", "rrrrr", -3, -53, 3, true},
	} {
		args := []string{"grid", "play", "--env", tc.env, "--actions", tc.actions, "--json"}
		if tc.layout != "" {
			args = append(args, "--layout", tc.layout)
		}
		code, out, stderr := mesalab(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var got struct {
			Return      *float64 `json:"return"`
			Performance *float64 `json:"performance"`
			Steps       *int     `json:"steps"`
			Terminated  *bool    `json:"terminated"`
			Grid        string   `json:"grid"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %v in %s", args, err, out)
		}
		if got.Return == nil || got.Performance == nil || got.Steps == nil || got.Terminated == nil {
			t.Fatalf("%v: missing keys in %s", args, out)
		}
		if *got.Return != tc.ret || *got.Performance != tc.perf || *got.Steps != tc.steps || *got.Terminated != tc.terminated {
			t.Errorf("%v: %s", args, out)
		}
		if !strings.Contains(got.Grid, "A") {
			t.Errorf("%v: final grid without the agent:\n%s", args, got.Grid)
		}
	}
}

func TestGridPlayText(t *testing.T) {
	code, out, _ := mesalab(t, "grid", "play", "--env", "lava-shift", "--actions", "drrrrrru")
	if code != 0 {
		t.Fatal(code)
	}
	for _, want := range []string{"return       42\n", "performance  42\n", "steps        8\n", "terminated   true\n", "#  LLL A#"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestGridShow(t *testing.T) {
	code, out, _ := mesalab(t, "grid", "show", "--env", "lava-shift", "--layout", "test2")
	want := "lava-shift/test2\n#########\n#A     G#\n#       #\n#       #\n#  LLL  #\n#  LLL  #\n#########\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, output\n%q\nwant\n%q", code, out, want)
	}
	code, out, _ = mesalab(t, "grid", "show", "--env", "lava-shift", "--actions", "drr")
	if code != 0 || !strings.Contains(out, "#+ LLL G#\n#++A    #") {
		t.Errorf("trajectory overlay:\n%s", out)
	}
	dir := t.TempDir()
	pngFile, svgFile := filepath.Join(dir, "l.png"), filepath.Join(dir, "l.svg")
	if code, _, stderr := mesalab(t, "grid", "show", "--env", "boat-race", "--png", pngFile, "--cell", "8", "--actions", "rr"); code != 0 {
		t.Fatal(stderr)
	}
	f, err := os.Open(pngFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 40 || b.Dy() != 40 {
		t.Errorf("PNG size %v, want 40×40", b)
	}
	if code, _, stderr := mesalab(t, "grid", "show", "--env", "red-door", "--layout", "shift", "--seed", "2", "--svg", svgFile); code != 0 {
		t.Fatal(stderr)
	}
	data, err := os.ReadFile(svgFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
	}
	if err := xml.Unmarshal(data, &doc); err != nil || doc.XMLName.Local != "svg" {
		t.Errorf("SVG: %v, root %q", err, doc.XMLName.Local)
	}
	if !strings.Contains(string(data), `class="object door blue square"`) {
		t.Error("SVG lacks the blue door")
	}
}
