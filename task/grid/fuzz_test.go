package grid

import (
	"errors"
	"testing"
)

// FuzzParse: no map text makes Parse panic or hang; an error is a *ParseError with
// a position inside the text; an accepted map prints back to a text that parses to
// the same map, and its levels step, search and observe without panicking.
func FuzzParse(f *testing.F) {
	for _, m := range []string{LavaTrain, SupervisorAbsent, BoatRace, TomatoWatering, IslandNavigation,
		"A", "#A#\n# #", "#A\r\n##\r\n", "#A\n#", "AA", "x", "", "\n", "#DdKCUc$Ttrbgyp\n      A        "} {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, text string) {
		l, err := Parse("fuzz", text, TomatoRules)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Col < 1 {
				t.Fatalf("error %v is not a positioned *ParseError", err)
			}
			return
		}
		out := l.String()
		l2, err := Parse("fuzz", out, TomatoRules)
		if err != nil {
			t.Fatalf("printed map does not parse: %v\n%s", err, out)
		}
		if l2.String() != out {
			t.Fatalf("round trip changed the map:\n%s\n---\n%s", out, l2.String())
		}
		s := l.Reset(1)
		for _, a := range []Action{Up, Right, Down, Down, Left, Up, NumActions} {
			l.Step(&s, a)
		}
		var ws Workspace
		ws.From(l, l.Start(), l.Terminals())
		o := NewObserver(l)
		obs := make([]uint64, o.Words())
		o.Observe(&s, obs)
	})
}

// FuzzParseActions: ParseActions accepts exactly the strings of u, d, l, r and
// FormatActions inverts it.
func FuzzParseActions(f *testing.F) {
	for _, s := range []string{"", "udlr", "drrrrrru", "x", "uuX", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		acts, err := ParseActions(s)
		valid := true
		for _, r := range s {
			if r != 'u' && r != 'd' && r != 'l' && r != 'r' {
				valid = false
			}
		}
		if (err == nil) != valid {
			t.Fatalf("ParseActions(%q) error %v, valid %v", s, err, valid)
		}
		if err == nil && FormatActions(acts) != s {
			t.Fatalf("FormatActions(ParseActions(%q)) = %q", s, FormatActions(acts))
		}
	})
}
