package grid

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("#", MaxSide+1)
	tall := strings.Repeat("#\n", MaxSide) + "A"
	var many strings.Builder
	many.WriteString("A" + strings.Repeat("$", 39) + "\n")
	many.WriteString(strings.Repeat("$", 40))
	for _, tc := range []struct {
		name, text string
		line, col  int
		msg        string
	}{
		{"empty", "", 1, 1, "empty map"},
		{"unknown", "#A#\n#x#", 2, 2, `unknown character 'x'`},
		{"tab", "#A\t#", 1, 3, `unknown character '\t'`},
		{"unicode", "#A\n#é", 2, 2, `unknown character 'é'`},
		{"short row", "###\n#A\n###", 2, 3, "row 2 has 2 characters, the first row has 3"},
		{"long row", "##\n#A#", 2, 3, "row 2 is longer than the first row (2 characters)"},
		{"empty row", "#A\n\n##", 2, 1, "row 2 has 0 characters"},
		{"trailing blank", "#A\n\n", 2, 1, "row 2 has 0 characters"},
		{"no agent", "###\n# #", 1, 1, "no agent"},
		{"two agents", "#A\nA#", 2, 1, "second agent 'A' (the first is at line 1, column 2)"},
		{"too wide", long, 1, MaxSide + 1, "row longer than 64"},
		{"too tall", tall, MaxSide + 1, 1, "more than 64 rows"},
		{"too many objects", many.String(), 2, 26, "more than 64 objects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("m", tc.text, Rules{})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v, want a *ParseError", err)
			}
			if pe.Line != tc.line || pe.Col != tc.col || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("got %v; want m:%d:%d: …%s…", err, tc.line, tc.col, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "m:") {
				t.Errorf("error %q does not start with the map name", err)
			}
		})
	}
}

// TestParseRoundTrip: every built-in map prints back to its own text, and the
// CRLF form and a final newline parse to the same level.
func TestParseRoundTrip(t *testing.T) {
	for _, text := range []string{LavaTrain, LavaTest1, LavaTest2, SupervisorPresent, SupervisorAbsent,
		BoatRace, TomatoWatering, IslandNavigation, "#DdKCUc$Ttrbgyp#\n#      A       #"} {
		l, err := Parse("m", text, Rules{})
		if err != nil {
			t.Fatal(err)
		}
		if got := l.String(); got != text {
			t.Errorf("round trip:\n%s\nwant\n%s", got, text)
		}
		for _, variant := range []string{text + "\n", strings.ReplaceAll(text, "\n", "\r\n")} {
			l2, err := Parse("m", variant, Rules{})
			if err != nil {
				t.Fatalf("variant %q: %v", variant, err)
			}
			if l2.String() != text {
				t.Errorf("variant %q prints\n%s", variant, l2.String())
			}
		}
	}
}

func TestParseFeatures(t *testing.T) {
	l := MustParse("m", "#DAd#\n#Kr$#", Rules{})
	if l.Height() != 2 || l.Width() != 5 || l.Start() != (Pos{0, 2}) || l.Area() != 10 {
		t.Fatalf("size %d×%d start %v", l.Height(), l.Width(), l.Start())
	}
	want := []Object{
		{Kind: Door, Colour: Red, Shape: Square, Pos: Pos{0, 1}},
		{Kind: Door, Colour: Blue, Shape: Square, Pos: Pos{0, 3}},
		{Kind: Key, Colour: Yellow, Shape: Triangle, Pos: Pos{1, 1}},
		{Kind: Gem, Colour: Red, Shape: Circle, Pos: Pos{1, 2}},
		{Kind: Coin, Colour: Yellow, Shape: Circle, Pos: Pos{1, 3}},
	}
	got := l.Objects()
	if len(got) != len(want) {
		t.Fatalf("objects %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("object %d = %+v, want %+v", i, got[i], want[i])
		}
		if l.ObjectAt(want[i].Pos) != i {
			t.Errorf("ObjectAt(%v) = %d, want %d", want[i].Pos, l.ObjectAt(want[i].Pos), i)
		}
	}
	if l.At(Pos{0, 0}) != Wall || l.At(Pos{0, 2}) != Floor || l.At(Pos{-1, 0}) != Void || l.ObjectAt(Pos{9, 9}) != -1 {
		t.Error("At/ObjectAt outside or on cells")
	}
}

func TestNewErrors(t *testing.T) {
	floor := make([]Cell, 4)
	for _, tc := range []struct {
		name    string
		h, w    int
		cells   []Cell
		objects []Object
		start   Pos
		rules   Rules
		msg     string
	}{
		{"size", 0, 4, nil, nil, Pos{}, Rules{}, "size 0×4"},
		{"cells", 2, 2, floor[:3], nil, Pos{}, Rules{}, "3 cells, want h·w = 4"},
		{"start outside", 2, 2, floor, nil, Pos{2, 0}, Rules{}, "outside"},
		{"start on wall", 2, 2, []Cell{Wall, 0, 0, 0}, nil, Pos{0, 0}, Rules{}, "on a wall cell"},
		{"object on lava", 2, 2, []Cell{0, Lava, 0, 0}, []Object{{Kind: Key, Pos: Pos{0, 1}}}, Pos{}, Rules{}, "on a lava cell"},
		{"shared cell", 2, 2, floor, []Object{{Kind: Key, Pos: Pos{1, 1}}, {Kind: Coin, Pos: Pos{1, 1}}}, Pos{}, Rules{}, "share cell"},
		{"start on ending object", 2, 2, floor, []Object{{Kind: Door}}, Pos{}, Rules{Ends: Kinds(Door)}, "ends the episode"},
		{"bad kind", 2, 2, floor, []Object{{Kind: NumKinds}}, Pos{}, Rules{}, "unknown kind"},
		{"dry prob", 2, 2, floor, nil, Pos{}, Rules{DryProb: 2}, "drying probability"},
		{"step limit", 2, 2, floor, nil, Pos{}, Rules{StepLimit: -1}, "step limit"},
		{"NaN payoff", 2, 2, floor, nil, Pos{}, Rules{Goal: Payoff{math.NaN(), 0}}, "goal payoff"},
		{"Inf touch", 2, 2, floor, nil, Pos{}, Rules{Touch: [NumKinds]Payoff{Chest: {0, math.Inf(1)}}}, "touch chest payoff"},
	} {
		_, err := New("n", tc.h, tc.w, tc.cells, tc.objects, tc.start, tc.rules)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want …%s…", tc.name, err, tc.msg)
		}
	}
}
