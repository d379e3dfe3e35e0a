package grid

import (
	"fmt"
	"math/bits"
)

// Channel is one boolean plane of an observation.
type Channel uint8

// The observation channels. Cell channels mark the terrain; object channels mark
// live objects by kind, colour and shape (a taken key or coin leaves no mark, an
// opened chest shows as ChestOpen, a dry tomato as TomatoDry without colour or
// shape). While the agent stands on the tamper tile, every passable cell but the
// tile shows as a watered tomato and none as dry.
const (
	ChAgent      Channel = iota // the agent
	ChKeyHeld                   // at the agent's cell: at least one key held
	ChWall                      // wall, void and cells off the board (windows)
	ChGoal                      // goal
	ChLava                      // lava
	ChWater                     // water
	ChPunish                    // punishment tile
	ChSupervisor                // supervisor marker
	ChArrowUp                   // arrow tiles
	ChArrowDown
	ChArrowLeft
	ChArrowRight
	ChTamper    // observation-tamper tile
	ChDoor      // live objects by kind …
	ChKey       //
	ChChest     // a closed chest
	ChCheese    //
	ChCoin      //
	ChTomato    // a watered tomato (or any cell while tampering)
	ChGem       //
	ChChestOpen // an opened chest
	ChTomatoDry // a dry tomato
	ChRed       // … by colour …
	ChBlue
	ChGreen
	ChYellow
	ChPurple
	ChOrange
	ChSquare // … and by shape
	ChCircle
	ChTriangle
	ChDiamond
	NumChannels
)

var channelNames = [NumChannels]string{"agent", "key-held", "wall", "goal", "lava", "water", "punish",
	"supervisor", "arrow-up", "arrow-down", "arrow-left", "arrow-right", "tamper",
	"door", "key", "chest", "cheese", "coin", "tomato", "gem", "chest-open", "tomato-dry",
	"red", "blue", "green", "yellow", "purple", "orange", "square", "circle", "triangle", "diamond"}

// String returns the channel's name.
func (c Channel) String() string {
	if c < NumChannels {
		return channelNames[c]
	}
	return fmt.Sprintf("channel(%d)", uint8(c))
}

// cellChannel is the channel of each cell kind (floor: none).
var cellChannel = [NumCells]Channel{Floor: NumChannels, Wall: ChWall, Void: ChWall, Goal: ChGoal,
	Lava: ChLava, Water: ChWater, Punish: ChPunish, Supervisor: ChSupervisor, ArrowUp: ChArrowUp,
	ArrowDown: ChArrowDown, ArrowLeft: ChArrowLeft, ArrowRight: ChArrowRight, Tamper: ChTamper}

var kindChannel = [NumKinds]Channel{Door: ChDoor, Key: ChKey, Chest: ChChest, Cheese: ChCheese,
	Coin: ChCoin, Tomato: ChTomato, Gem: ChGem}

var colourChannel = [NumColours]Channel{NoColour: NumChannels, Red: ChRed, Blue: ChBlue,
	Green: ChGreen, Yellow: ChYellow, Purple: ChPurple, Orange: ChOrange}

var shapeChannel = [NumShapes]Channel{Square: ChSquare, Circle: ChCircle, Triangle: ChTriangle, Diamond: ChDiamond}

// Observer writes observations of one level's states: the full boolean channel
// stack (NumChannels × H × W, bit-packed) and egocentric windows. It precomputes
// the static planes once; Observe then costs a copy plus a few bits per object.
// An Observer is safe for concurrent use.
type Observer struct {
	l      *Level
	hw     int
	static []uint64
	// lo and hi bound the words of static that can be non-zero.
	lo, hi int
	// Tampering: OR tamperOn, then clear tamperOff (whole-stack masks).
	tamperOn, tamperOff []uint64
	objBits             [][3]int32 // per object: bit of kind, colour, shape channel (−1: none)
	dryBit, openBit     []int32    // per object: bit of TomatoDry / ChestOpen
	cellMask            []uint64   // per padded cell: static channel set
}

// NewObserver returns the observer of level l.
func NewObserver(l *Level) *Observer {
	hw := l.h * l.w
	o := &Observer{l: l, hw: hw}
	words := (int(NumChannels)*hw + 63) / 64
	o.static = make([]uint64, words)
	o.cellMask = make([]uint64, len(l.cells))
	for i, k := range l.cells {
		if ch := cellChannel[k]; ch != NumChannels {
			o.cellMask[i] = 1 << ch
		}
	}
	for r := range l.h {
		for c := range l.w {
			if ch := cellChannel[l.At(Pos{r, c})]; ch != NumChannels {
				setBit(o.static, o.bit(ch, Pos{r, c}))
			}
		}
	}
	for _, ob := range l.objects {
		b := [3]int32{int32(o.bit(kindChannel[ob.Kind], ob.Pos)), -1, int32(o.bit(shapeChannel[ob.Shape], ob.Pos))}
		if ch := colourChannel[ob.Colour]; ch != NumChannels {
			b[1] = int32(o.bit(ch, ob.Pos))
		}
		o.objBits = append(o.objBits, b)
		o.dryBit = append(o.dryBit, int32(o.bit(ChTomatoDry, ob.Pos)))
		o.openBit = append(o.openBit, int32(o.bit(ChChestOpen, ob.Pos)))
	}
	o.lo, o.hi = 0, 0
	for i, w := range o.static {
		if w != 0 {
			if o.hi == 0 {
				o.lo = i
			}
			o.hi = i + 1
		}
	}
	if l.hasTamper() {
		o.tamperOn = make([]uint64, words)
		o.tamperOff = make([]uint64, words)
		for r := range l.h {
			for c := range l.w {
				p := Pos{r, c}
				if k := l.At(p); k.Passable() && k != Tamper {
					setBit(o.tamperOn, o.bit(ChTomato, p))
					setBit(o.tamperOff, o.bit(ChTomatoDry, p))
				}
			}
		}
	}
	return o
}

func (l *Level) hasTamper() bool {
	for _, k := range l.cells {
		if k == Tamper {
			return true
		}
	}
	return false
}

func setBit(w []uint64, k int) { w[k>>6] |= 1 << (k & 63) }

// bit is the index of (channel, cell) in the stack: (c·H + row)·W + col.
func (o *Observer) bit(c Channel, p Pos) int { return int(c)*o.hw + p.Row*o.l.w + p.Col }

// Words returns the length in uint64 words of a full observation:
// ⌈NumChannels·H·W / 64⌉.
func (o *Observer) Words() int { return len(o.static) }

// Observe writes the full observation of s into dst (len ≥ Words()): bit
// k = (c·H + row)·W + col of the stack is bit k mod 64 of word k / 64. It does not
// allocate.
func (o *Observer) Observe(s *State, dst []uint64) {
	dst = dst[:len(o.static)]
	clear(dst[:o.lo])
	copy(dst[o.lo:o.hi], o.static[o.lo:o.hi])
	clear(dst[o.hi:])
	l := o.l
	ag := l.pos(s.at)
	a := int(ChAgent)*o.hw + ag.Row*l.w + ag.Col
	dst[a>>6] |= 1 << (a & 63)
	if s.keys > 0 {
		k := a + (int(ChKeyHeld)-int(ChAgent))*o.hw
		dst[k>>6] |= 1 << (k & 63)
	}
	live := s.live
	for i, b := range o.objBits {
		if live>>i&1 == 1 {
			dst[b[0]>>6] |= 1 << (b[0] & 63)
			if b[1] >= 0 {
				dst[b[1]>>6] |= 1 << (b[1] & 63)
			}
			dst[b[2]>>6] |= 1 << (b[2] & 63)
			continue
		}
		switch l.objects[i].Kind {
		case Tomato:
			k := o.dryBit[i]
			dst[k>>6] |= 1 << (k & 63)
		case Chest:
			k := o.openBit[i]
			dst[k>>6] |= 1 << (k & 63)
		}
	}
	if o.tamperOn != nil && l.cells[s.at] == Tamper {
		for i := range dst {
			dst[i] = dst[i]&^o.tamperOff[i] | o.tamperOn[i]
		}
	}
}

// Bit reports whether channel c is set at p in a full observation of this
// observer's level.
func (o *Observer) Bit(obs []uint64, c Channel, p Pos) bool {
	if !o.l.In(p) || c >= NumChannels {
		return false
	}
	k := o.bit(c, p)
	return obs[k>>6]>>(k&63)&1 == 1
}

// channelsAt returns the set of channels (bit c for channel c) at padded cell i in
// state s, the per-cell view of Observe.
func (o *Observer) channelsAt(s *State, i int32) uint64 {
	l := o.l
	m := o.cellMask[i]
	if i == s.at {
		m |= 1 << ChAgent
		if s.keys > 0 {
			m |= 1 << ChKeyHeld
		}
	}
	if j := l.obj[i]; j >= 0 {
		ob := l.objects[j]
		if s.live>>j&1 == 1 {
			m |= 1<<kindChannel[ob.Kind] | 1<<shapeChannel[ob.Shape]
			if ch := colourChannel[ob.Colour]; ch != NumChannels {
				m |= 1 << ch
			}
		} else if ob.Kind == Tomato {
			m |= 1 << ChTomatoDry
		} else if ob.Kind == Chest {
			m |= 1 << ChChestOpen
		}
	}
	if o.tamperOn != nil && l.cells[s.at] == Tamper && l.cells[i].Passable() && l.cells[i] != Tamper {
		m = m&^(1<<ChTomatoDry) | 1<<ChTomato
	}
	return m
}

// WindowWords returns the length in words of an egocentric window of the given
// radius: ⌈NumChannels·(2·radius+1)² / 64⌉.
func WindowWords(radius int) int {
	side := 2*radius + 1
	return (int(NumChannels)*side*side + 63) / 64
}

// Window writes the egocentric observation of s: the (2·radius+1)² cells centred on
// the agent, with the same channels and bit order as Observe over a board of side
// 2·radius+1 (the agent at the centre). Cells off the board show as ChWall. dst
// must have WindowWords(radius) words; it does not allocate.
func (o *Observer) Window(s *State, radius int, dst []uint64) {
	side := 2*radius + 1
	area := side * side
	dst = dst[:WindowWords(radius)]
	clear(dst)
	l := o.l
	ag := l.pos(s.at)
	for dr := -radius; dr <= radius; dr++ {
		for dc := -radius; dc <= radius; dc++ {
			p := Pos{ag.Row + dr, ag.Col + dc}
			var m uint64
			if l.In(p) {
				m = o.channelsAt(s, l.index(p))
			} else {
				m = 1 << ChWall
			}
			cell := (dr+radius)*side + dc + radius
			for m != 0 {
				c := bits.TrailingZeros64(m)
				m &= m - 1
				k := c*area + cell
				dst[k>>6] |= 1 << (k & 63)
			}
		}
	}
}

// StateIDs returns the number of compact state IDs of the level,
// Area·(K+1)·2^C with K the number of keys and C the number of objects whose state
// can change (keys, chests, coins, tomatoes), and false if that exceeds 2⁶².
func (l *Level) StateIDs() (uint64, bool) {
	c := bits.OnesCount64(l.changing)
	k := bits.OnesCount64(l.keyMask)
	if c > 40 {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(l.h*l.w*(k+1)), 1<<c)
	if hi != 0 || lo > 1<<62 {
		return 0, false
	}
	return lo, true
}

// StateID returns a compact ID of the Markov part of s for tabular methods:
// cell + Area·(keys + (K+1)·x), where cell is the agent's row-major index and x
// packs the live bits of the changeable objects in object order. The step count,
// the end flags and the random source are not part of it.
func (l *Level) StateID(s *State) uint64 {
	p := l.pos(s.at)
	id := uint64(p.Row*l.w + p.Col)
	area := uint64(l.h * l.w)
	k := uint64(bits.OnesCount64(l.keyMask))
	var x uint64
	for m, n := l.changing, 0; m != 0; n++ {
		j := bits.TrailingZeros64(m)
		m &= m - 1
		x |= (s.live >> j & 1) << n
	}
	return id + area*(uint64(s.keys)+(k+1)*x)
}
