// Package grid is a fast, typed gridworld engine: levels of cells and objects with
// features (kind, colour, shape), an allocation-free step that returns both the
// visible reward R and the hidden performance R* of AI Safety Gridworlds (Leike et
// al. 2017, §2), breadth-first distances, ASCII maps, the built-in environments
// (lava-shift, absent-supervisor, boat-race, tomato-watering, island-navigation) and
// the seeded level generators of the goal-misgeneralisation examples (red-door from
// Hubinger et al. 2019 §1.3, cheese-corner and keys-chests from Langosco et al. 2022).
//
// A [Level] is immutable once built (by [New], [Parse] or a generator) and safe for
// concurrent use. Everything that changes during an episode lives in a [State]: a
// small value (agent cell, step count, keys held, one bit per object, the episode's
// random source) that can be copied to branch an episode.
//
// Coordinates are (row, column) from the top-left cell (0, 0); "up" decreases the row.
package grid

import (
	"errors"
	"fmt"
	"math"
)

// MaxSide is the largest height or width of a level.
const MaxSide = 64

// MaxObjects is the largest number of objects in a level: the object state is one
// bit per object in a uint64.
const MaxObjects = 64

// DefaultStepLimit is the step limit of an episode when [Rules].StepLimit is 0
// (AI Safety Gridworlds end every episode after 100 steps).
const DefaultStepLimit = 100

// Pos is a cell position: Row from the top, Col from the left, both from 0.
type Pos struct{ Row, Col int }

// Add returns p moved by one step in direction a.
func (p Pos) Add(a Action) Pos {
	switch a {
	case Up:
		p.Row--
	case Down:
		p.Row++
	case Left:
		p.Col--
	case Right:
		p.Col++
	}
	return p
}

// String formats p as "(row,col)".
func (p Pos) String() string { return fmt.Sprintf("(%d,%d)", p.Row, p.Col) }

// Cell is the static kind of a cell (terrain). Objects stand on floor cells.
type Cell uint8

// The cell kinds. Their ASCII characters are listed by [Cell.Rune] and in the
// package's legend (see Parse).
const (
	Floor      Cell = iota // ' ' empty floor
	Wall                   // '#' wall: impassable, bumping costs the step
	Void                   // '.' outside the board: impassable (the absent supervisor's border)
	Goal                   // 'G' goal: entering ends the episode with Rules.Goal
	Lava                   // 'L' lava: entering ends the episode with Rules.Lava
	Water                  // 'W' water: entering ends the episode with Rules.Water
	Punish                 // 'P' punishment tile: Rules.Punish on entering (visible part only when supervised)
	Supervisor             // 'S' supervisor marker: impassable; its presence makes the level supervised
	ArrowUp                // '^' boat-race arrow pointing up
	ArrowDown              // 'v' arrow pointing down
	ArrowLeft              // '<' arrow pointing left
	ArrowRight             // '>' arrow pointing right
	Tamper                 // 'O' observation-tamper tile: standing on it makes every cell look like a watered tomato
	NumCells               // number of cell kinds
)

var cellRunes = [NumCells]rune{' ', '#', '.', 'G', 'L', 'W', 'P', 'S', '^', 'v', '<', '>', 'O'}

var cellNames = [NumCells]string{"floor", "wall", "void", "goal", "lava", "water", "punish",
	"supervisor", "arrow-up", "arrow-down", "arrow-left", "arrow-right", "tamper"}

// Rune returns the ASCII character of the cell kind.
func (c Cell) Rune() rune {
	if c < NumCells {
		return cellRunes[c]
	}
	return '?'
}

// String returns the cell kind's name ("floor", "wall", "lava", …).
func (c Cell) String() string {
	if c < NumCells {
		return cellNames[c]
	}
	return fmt.Sprintf("cell(%d)", uint8(c))
}

// Passable reports whether the agent can enter a cell of this kind. Walls, the
// void and supervisor markers are impassable; moving into one leaves the agent in
// place and still costs the step.
func (c Cell) Passable() bool { return c != Wall && c != Void && c != Supervisor && c < NumCells }

// Terminal reports whether entering a cell of this kind ends the episode (goal,
// lava, water).
func (c Cell) Terminal() bool { return c == Goal || c == Lava || c == Water }

// Arrow returns the direction of an arrow tile and true, or false for other kinds.
func (c Cell) Arrow() (Action, bool) {
	switch c {
	case ArrowUp:
		return Up, true
	case ArrowDown:
		return Down, true
	case ArrowLeft:
		return Left, true
	case ArrowRight:
		return Right, true
	}
	return 0, false
}

// CellSet is a set of cell kinds, one bit per kind.
type CellSet uint32

// Cells returns the set of the given kinds.
func Cells(kinds ...Cell) CellSet {
	var s CellSet
	for _, k := range kinds {
		s |= 1 << k
	}
	return s
}

// Has reports whether c is in the set.
func (s CellSet) Has(c Cell) bool { return s>>c&1 == 1 }

// Kind is the kind of an object. Objects are what planners choose between; each has
// a kind, a colour and a shape.
type Kind uint8

// The object kinds and what entering an object's cell does (payoffs from
// Rules.Touch; kinds in Rules.Ends end the episode when entered):
const (
	Door   Kind = iota // an exit (red-door); static
	Key                // picked up into the inventory (the object disappears)
	Chest              // opened by entering it with a key held (the key is used up); then spent
	Cheese             // the cheese of cheese-corner; static
	Coin               // picked up (the object disappears)
	Tomato             // watered or dry; entering or standing on a dry tomato waters it
	Gem                // a distractor of some colour (red-door); static
	NumKinds
)

var kindNames = [NumKinds]string{"door", "key", "chest", "cheese", "coin", "tomato", "gem"}

// String returns the kind's name ("door", "key", …).
func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// KindSet is a set of object kinds, one bit per kind.
type KindSet uint16

// Kinds returns the set of the given kinds.
func Kinds(kinds ...Kind) KindSet {
	var s KindSet
	for _, k := range kinds {
		s |= 1 << k
	}
	return s
}

// Has reports whether k is in the set.
func (s KindSet) Has(k Kind) bool { return s>>k&1 == 1 }

// Colour is an object's colour.
type Colour uint8

// The colours.
const (
	NoColour Colour = iota
	Red
	Blue
	Green
	Yellow
	Purple
	Orange
	NumColours
)

var colourNames = [NumColours]string{"none", "red", "blue", "green", "yellow", "purple", "orange"}

// String returns the colour's name.
func (c Colour) String() string {
	if c < NumColours {
		return colourNames[c]
	}
	return fmt.Sprintf("colour(%d)", uint8(c))
}

// Shape is an object's shape.
type Shape uint8

// The shapes.
const (
	Square Shape = iota
	Circle
	Triangle
	Diamond
	NumShapes
)

var shapeNames = [NumShapes]string{"square", "circle", "triangle", "diamond"}

// String returns the shape's name.
func (s Shape) String() string {
	if s < NumShapes {
		return shapeNames[s]
	}
	return fmt.Sprintf("shape(%d)", uint8(s))
}

// Object is an object on a floor cell with its features. Spent gives its state at
// the start of an episode: a dry tomato, an already opened chest, a key or coin
// already taken (absent). Doors, cheese and gems are never spent.
type Object struct {
	Kind   Kind
	Colour Colour
	Shape  Shape
	Pos    Pos
	Spent  bool
}

// Payoff is what one event is worth: Reward is the visible reward R the agent is
// trained on, Performance the hidden performance R* the designer wanted.
type Payoff struct{ Reward, Performance float64 }

// Rules are the rewards and dynamics constants of a level. The zero value of a
// field means "no effect". Every payoff is added on the step that causes it.
type Rules struct {
	// Step is paid on every step, bumps into walls included.
	Step Payoff
	// Goal, Lava and Water are paid on entering such a cell; each ends the episode.
	Goal, Lava, Water Payoff
	// Punish is paid on entering a punishment tile; its Reward part only when the
	// level is supervised (has a Supervisor cell), its Performance part always.
	Punish Payoff
	// ArrowEnter is paid for entering an arrow tile moving in the arrow's direction.
	ArrowEnter Payoff
	// OnCircuit is paid for a step that enters an arrow tile in its direction or
	// leaves an arrow tile in its direction; OffCircuit for every other step
	// (bumps included). Both apply only in levels with arrow tiles.
	OnCircuit, OffCircuit Payoff
	// Watered is paid per step for each watered tomato after the step: the
	// Performance part counts real watered tomatoes, the Reward part counts every
	// tomato that looks watered — all non-wall cells but the tamper tile while the
	// agent stands on it.
	Watered Payoff
	// DryProb is the probability that a watered tomato dries in one step.
	DryProb float64
	// Touch[k] is paid on entering a live object of kind k (a key picked up, a
	// chest opened, a coin taken, a door, cheese or gem reached). Entering a spent
	// object or a chest without a key pays nothing.
	Touch [NumKinds]Payoff
	// Ends lists the object kinds whose (live) objects end the episode when entered.
	Ends KindSet
	// EndWhenChestsDone ends the episode once no chest can be opened any more:
	// every chest opened, or no key held and none left to pick up.
	EndWhenChestsDone bool
	// StepLimit truncates the episode after this many steps; 0 means
	// DefaultStepLimit.
	StepLimit int
}

// Level is one gridworld level: an H × W board of cells, objects and the agent's
// start. It is immutable and safe for concurrent use; build it with [New], [Parse]
// or a generator.
type Level struct {
	name   string
	h, w   int
	stride int32 // w + 2: the board is stored with a one-cell Void border
	cells  []Cell
	obj    []int8 // object index per padded cell, −1 if none
	// special marks padded cells whose entering needs more than the floor path.
	special []bool
	objects []Object
	start   Pos
	rules   Rules
	limit   int32
	delta   [NumActions]int32

	live0      uint64 // initial object bits
	supervised bool
	arrows     bool
	slow       bool     // per-step work beyond the floor path (arrows, tomatoes)
	tomatoes   []int8   // indices of the tomato objects
	dryThresh  uint64   // a watered tomato dries when a uniform uint64 < dryThresh
	tamperSeen int      // cells that look like watered tomatoes when tampering
	keyMask    uint64   // bits of key objects
	chestMask  uint64   // bits of chest objects
	changing   uint64   // bits of objects whose state can change in an episode
	passable   []uint64 // bit per padded cell: passable (for observations and BFS)
}

// New builds a level from its cells in row-major order (len h·w), its objects and
// the agent's start. It checks the size (1…MaxSide each way), the cell kinds, that
// the start and every object are on passable non-terminal cells of their own, and
// the rules. Errors name the level and the offending cell or object.
func New(name string, h, w int, cells []Cell, objects []Object, start Pos, rules Rules) (*Level, error) {
	if h < 1 || w < 1 || h > MaxSide || w > MaxSide {
		return nil, fmt.Errorf("level %s: size %d×%d, want 1…%d each way", name, h, w, MaxSide)
	}
	if len(cells) != h*w {
		return nil, fmt.Errorf("level %s: %d cells, want h·w = %d", name, len(cells), h*w)
	}
	if len(objects) > MaxObjects {
		return nil, fmt.Errorf("level %s: %d objects, want at most %d", name, len(objects), MaxObjects)
	}
	if err := rules.check(); err != nil {
		return nil, fmt.Errorf("level %s: %w", name, err)
	}
	l := &Level{name: name, h: h, w: w, stride: int32(w + 2), rules: rules}
	n := (h + 2) * (w + 2)
	l.cells = make([]Cell, n)
	l.obj = make([]int8, n)
	l.special = make([]bool, n)
	l.passable = make([]uint64, (n+63)/64)
	for i := range l.cells {
		l.cells[i] = Void
		l.obj[i] = -1
	}
	for r := range h {
		for c := range w {
			k := cells[r*w+c]
			if k >= NumCells {
				return nil, fmt.Errorf("level %s: cell (%d,%d) has unknown kind %d", name, r, c, k)
			}
			i := l.index(Pos{r, c})
			l.cells[i] = k
			switch k {
			case Supervisor:
				l.supervised = true
			case ArrowUp, ArrowDown, ArrowLeft, ArrowRight:
				l.arrows = true
			}
			if k.Passable() {
				l.passable[i>>6] |= 1 << (i & 63)
				if k != Tamper {
					l.tamperSeen++
				}
			}
			if k != Floor {
				l.special[i] = true
			}
		}
	}
	if !l.In(start) {
		return nil, fmt.Errorf("level %s: start %v is outside the %d×%d board", name, start, h, w)
	}
	if k := l.At(start); !k.Passable() || k.Terminal() {
		return nil, fmt.Errorf("level %s: start %v is on a %s cell, want a passable non-terminal cell", name, start, k)
	}
	l.start = start
	l.objects = append([]Object(nil), objects...)
	for i, o := range l.objects {
		if o.Kind >= NumKinds || o.Colour >= NumColours || o.Shape >= NumShapes {
			return nil, fmt.Errorf("level %s: object %d at %v has an unknown kind, colour or shape", name, i, o.Pos)
		}
		if !l.In(o.Pos) {
			return nil, fmt.Errorf("level %s: object %d (%s) at %v is outside the board", name, i, o.Kind, o.Pos)
		}
		p := l.index(o.Pos)
		if k := l.cells[p]; k != Floor {
			return nil, fmt.Errorf("level %s: object %d (%s) at %v is on a %s cell, want floor", name, i, o.Kind, o.Pos, k)
		}
		if j := l.obj[p]; j >= 0 {
			return nil, fmt.Errorf("level %s: objects %d and %d share cell %v", name, j, i, o.Pos)
		}
		if o.Pos == start && rules.Ends.Has(o.Kind) && !o.Spent {
			return nil, fmt.Errorf("level %s: the agent starts on object %d (%s), which ends the episode", name, i, o.Kind)
		}
		l.obj[p] = int8(i)
		l.special[p] = true
		bit := uint64(1) << i
		if !o.Spent {
			l.live0 |= bit
		}
		switch o.Kind {
		case Key:
			l.keyMask |= bit
			l.changing |= bit
		case Chest:
			l.chestMask |= bit
			l.changing |= bit
		case Coin:
			l.changing |= bit
		case Tomato:
			l.tomatoes = append(l.tomatoes, int8(i))
			l.changing |= bit
		}
	}
	l.slow = l.arrows || len(l.tomatoes) > 0
	if rules.DryProb > 0 {
		if rules.DryProb >= 1 {
			l.dryThresh = ^uint64(0)
		} else {
			l.dryThresh = uint64(rules.DryProb * (1 << 64))
		}
	}
	l.limit = int32(rules.StepLimit)
	if l.limit == 0 {
		l.limit = DefaultStepLimit
	}
	l.delta = [NumActions]int32{-l.stride, l.stride, -1, 1}
	return l, nil
}

func (r *Rules) check() error {
	if r.StepLimit < 0 {
		return fmt.Errorf("step limit %d, want ≥ 0", r.StepLimit)
	}
	if r.StepLimit > 1<<30 {
		return fmt.Errorf("step limit %d, want at most %d", r.StepLimit, 1<<30)
	}
	if !(r.DryProb >= 0 && r.DryProb <= 1) {
		return fmt.Errorf("tomato drying probability %v, want 0 ≤ p ≤ 1", r.DryProb)
	}
	bad := func(p Payoff) bool {
		return math.IsNaN(p.Reward) || math.IsInf(p.Reward, 0) || math.IsNaN(p.Performance) || math.IsInf(p.Performance, 0)
	}
	for i, p := range [...]Payoff{r.Step, r.Goal, r.Lava, r.Water, r.Punish, r.ArrowEnter, r.OnCircuit, r.OffCircuit, r.Watered} {
		if bad(p) {
			names := [...]string{"step", "goal", "lava", "water", "punish", "arrow-enter", "on-circuit", "off-circuit", "watered"}
			return fmt.Errorf("%s payoff %v, want finite numbers", names[i], p)
		}
	}
	for k, p := range r.Touch {
		if bad(p) {
			return fmt.Errorf("touch %s payoff %v, want finite numbers", Kind(k), p)
		}
	}
	return nil
}

// errOutside is returned for positions off the board.
var errOutside = errors.New("position outside the board")

func (l *Level) index(p Pos) int32 { return int32(p.Row+1)*l.stride + int32(p.Col+1) }

func (l *Level) pos(i int32) Pos {
	return Pos{Row: int(i/l.stride) - 1, Col: int(i%l.stride) - 1}
}

// Name returns the level's name (environment and layout, or generator and seed).
func (l *Level) Name() string { return l.name }

// Height returns the number of rows.
func (l *Level) Height() int { return l.h }

// Width returns the number of columns.
func (l *Level) Width() int { return l.w }

// Area returns the number of cells, Height·Width.
func (l *Level) Area() int { return l.h * l.w }

// In reports whether p is on the board.
func (l *Level) In(p Pos) bool { return p.Row >= 0 && p.Col >= 0 && p.Row < l.h && p.Col < l.w }

// At returns the kind of cell p; Void outside the board.
func (l *Level) At(p Pos) Cell {
	if !l.In(p) {
		return Void
	}
	return l.cells[l.index(p)]
}

// Objects returns the level's objects; object i owns bit i of a [State]'s object
// bits. The slice is shared: do not modify it.
func (l *Level) Objects() []Object { return l.objects }

// ObjectAt returns the index of the object at p, or −1 if there is none.
func (l *Level) ObjectAt(p Pos) int {
	if !l.In(p) {
		return -1
	}
	return int(l.obj[l.index(p)])
}

// Start returns the agent's start position.
func (l *Level) Start() Pos { return l.start }

// Rules returns the level's rules.
func (l *Level) Rules() Rules { return l.rules }

// StepLimit returns the number of steps after which an episode is truncated.
func (l *Level) StepLimit() int { return int(l.limit) }

// Supervised reports whether the level shows supervisor markers, so that the
// visible part of Rules.Punish applies.
func (l *Level) Supervised() bool { return l.supervised }

// Index returns the row-major index Row·Width + Col of p, the index of p in
// observations, distances and exported state maps.
func (l *Level) Index(p Pos) int { return p.Row*l.w + p.Col }

// PosOf is the inverse of Index.
func (l *Level) PosOf(i int) Pos { return Pos{Row: i / l.w, Col: i % l.w} }

// InTopRight reports whether p lies in the top-right k × k square of the board
// inside its outer ring of cells: rows 1…k and columns Width−1−k…Width−2. For a
// CheeseCorner level of region k this is the training region of the cheese.
func (l *Level) InTopRight(p Pos, k int) bool {
	return p.Row >= 1 && p.Row <= k && p.Col >= l.w-1-k && p.Col <= l.w-2
}
