package grid

import (
	"fmt"
	"strings"
)

// glyph is the ASCII form of an object with given features.
type glyph struct {
	r      rune
	kind   Kind
	colour Colour
	shape  Shape
	spent  bool
}

// objectGlyphs is the object part of the ASCII legend. The first glyph matching an
// object's features and state is the one the renderer writes.
var objectGlyphs = []glyph{
	{'D', Door, Red, Square, false},
	{'d', Door, Blue, Square, false},
	{'K', Key, Yellow, Triangle, false},
	{'C', Chest, Orange, Diamond, false},
	{'U', Chest, Orange, Diamond, true},
	{'c', Cheese, Yellow, Triangle, false},
	{'$', Coin, Yellow, Circle, false},
	{'T', Tomato, Red, Circle, false},
	{'t', Tomato, Red, Circle, true},
	{'r', Gem, Red, Circle, false},
	{'b', Gem, Blue, Circle, false},
	{'g', Gem, Green, Circle, false},
	{'y', Gem, Yellow, Circle, false},
	{'p', Gem, Purple, Circle, false},
}

// kindLetters render objects whose features have no glyph of their own.
var kindLetters = [NumKinds]rune{'D', 'K', 'C', 'c', '$', 'T', 'r'}

// Legend is the ASCII legend of maps, one "character meaning" line each.
const Legend = `' ' floor
'#' wall
'.' void (outside the board; impassable)
'A' agent start (on floor)
'G' goal
'L' lava
'W' water
'P' punishment tile
'S' supervisor marker (impassable)
'^' 'v' '<' '>' arrow tiles (boat race)
'O' observation-tamper tile
'D' red door, 'd' blue door (square)
'K' key (yellow triangle)
'C' closed chest, 'U' opened chest (orange diamond)
'c' cheese (yellow triangle)
'$' coin (yellow circle)
'T' watered tomato, 't' dry tomato (red circle)
'r' 'b' 'g' 'y' 'p' gems: red, blue, green, yellow, purple (circle)`

// ParseError is a malformed ASCII map: Line and Col are 1-based (Col counts
// characters, not bytes).
type ParseError struct {
	Name      string
	Line, Col int
	Msg       string
}

// Error formats the error as "name:line:col: message".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Name, e.Line, e.Col, e.Msg)
}

// Parse reads an ASCII map (legend: [Legend]) into a level with the given rules.
// Rows are separated by "\n" (a trailing "\r" on a row and one final newline are
// ignored); every row must have the same width; exactly one 'A' marks the start.
// Errors are *ParseError with the line and column of the first problem: an
// unknown character, a row of another width, a missing or second agent, a board
// larger than MaxSide × MaxSide, more than MaxObjects objects.
func Parse(name, text string, rules Rules) (*Level, error) {
	perr := func(line, col int, format string, a ...any) error {
		return &ParseError{Name: name, Line: line, Col: col, Msg: fmt.Sprintf(format, a...)}
	}
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil, perr(1, 1, "empty map")
	}
	var (
		cells   []Cell
		objects []Object
		w       = -1
		start   Pos
		agents  int
		lines   int
	)
	for rest, more := text, true; more; {
		var line string
		line, rest, more = strings.Cut(rest, "\n")
		line = strings.TrimSuffix(line, "\r")
		lines++
		if lines > MaxSide {
			return nil, perr(lines, 1, "more than %d rows", MaxSide)
		}
		row := lines - 1
		col := 0
		for _, ch := range line {
			col++
			if col > MaxSide {
				return nil, perr(lines, col, "row longer than %d characters", MaxSide)
			}
			if w >= 0 && col > w {
				return nil, perr(lines, col, "row %d is longer than the first row (%d characters)", lines, w)
			}
			p := Pos{Row: row, Col: col - 1}
			k, obj, isObj, ok := decode(ch)
			if !ok {
				return nil, perr(lines, col, "unknown character %q (see the legend)", ch)
			}
			if ch == 'A' {
				agents++
				if agents > 1 {
					return nil, perr(lines, col, "second agent 'A' (the first is at line %d, column %d)", start.Row+1, start.Col+1)
				}
				start = p
			}
			if isObj {
				if len(objects) == MaxObjects {
					return nil, perr(lines, col, "more than %d objects", MaxObjects)
				}
				obj.Pos = p
				objects = append(objects, obj)
			}
			cells = append(cells, k)
		}
		if w < 0 {
			if col == 0 {
				return nil, perr(lines, 1, "empty first row")
			}
			w = col
		} else if col < w {
			return nil, perr(lines, col+1, "row %d has %d characters, the first row has %d", lines, col, w)
		}
	}
	if agents == 0 {
		return nil, perr(1, 1, "no agent 'A' in the map")
	}
	l, err := New(name, lines, w, cells, objects, start, rules)
	if err != nil {
		return nil, &ParseError{Name: name, Line: 1, Col: 1, Msg: err.Error()}
	}
	return l, nil
}

// decode maps one map character to its cell kind and, for objects, the object.
func decode(ch rune) (k Cell, o Object, isObj, ok bool) {
	if ch == 'A' {
		return Floor, o, false, true
	}
	for c, r := range cellRunes {
		if r == ch {
			return Cell(c), o, false, true
		}
	}
	for _, g := range objectGlyphs {
		if g.r == ch {
			return Floor, Object{Kind: g.kind, Colour: g.colour, Shape: g.shape, Spent: g.spent}, true, true
		}
	}
	return 0, o, false, false
}

// glyphOf returns the character of object o in state live.
func glyphOf(o Object, live bool) rune {
	for _, g := range objectGlyphs {
		if g.kind == o.Kind && g.colour == o.Colour && g.shape == o.Shape && g.spent == !live {
			return g.r
		}
	}
	if !live && (o.Kind == Key || o.Kind == Coin) {
		return ' '
	}
	return kindLetters[o.Kind]
}

// MustParse is Parse for maps known at compile time; it panics on error.
func MustParse(name, text string, rules Rules) *Level {
	l, err := Parse(name, text, rules)
	if err != nil {
		panic(err)
	}
	return l
}
