package grid

import (
	"fmt"
	"math/rand/v2"
)

// Action is a move: Up, Down, Left or Right.
type Action uint8

// The actions, in the order of their indices (the action index of exported MDPs
// and Q-tables).
const (
	Up Action = iota
	Down
	Left
	Right
	NumActions
)

// Actions lists every action in index order.
var Actions = [NumActions]Action{Up, Down, Left, Right}

var actionLetters = [NumActions]byte{'u', 'd', 'l', 'r'}

// String returns the action's letter: "u", "d", "l" or "r".
func (a Action) String() string {
	if a < NumActions {
		return string(actionLetters[a])
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Reverse returns the opposite move.
func (a Action) Reverse() Action { return a ^ 1 }

// ParseActions reads an action string of the letters u, d, l and r. An error names
// the first other character and its 1-based position.
func ParseActions(s string) ([]Action, error) {
	acts := make([]Action, 0, len(s))
	for i, r := range []rune(s) {
		switch r {
		case 'u':
			acts = append(acts, Up)
		case 'd':
			acts = append(acts, Down)
		case 'l':
			acts = append(acts, Left)
		case 'r':
			acts = append(acts, Right)
		default:
			return nil, fmt.Errorf("actions: character %d is %q, want u, d, l or r", i+1, r)
		}
	}
	return acts, nil
}

// FormatActions writes actions as a string of u/d/l/r letters.
func FormatActions(acts []Action) string {
	b := make([]byte, len(acts))
	for i, a := range acts {
		if a < NumActions {
			b[i] = actionLetters[a]
		} else {
			b[i] = '?'
		}
	}
	return string(b)
}

const (
	running uint8 = iota
	terminated
	truncated
)

// State is everything that changes during an episode: the agent's cell, the step
// count, the keys held, one bit per object (set while the object is live: a key or
// coin still on the board, a chest still closed, a tomato watered; doors, cheese
// and gems are always live) and the episode's random source. It is a small value:
// copying it branches the episode, random draws included. A State belongs to the
// level that made it (Reset) and must only be stepped by that level.
type State struct {
	at    int32 // cell index on the bordered board
	steps int32
	live  uint64
	keys  uint8
	end   uint8
	rng   rand.PCG
}

// Steps returns the number of steps taken.
func (s *State) Steps() int { return int(s.steps) }

// Keys returns the number of keys held.
func (s *State) Keys() int { return int(s.keys) }

// Live returns the object bits: bit i is set while object i is live.
func (s *State) Live() uint64 { return s.live }

// Terminated reports whether the episode ended in a terminal state (goal, lava,
// water, an ending object, all chests done).
func (s *State) Terminated() bool { return s.end == terminated }

// Truncated reports whether the episode was cut at the step limit.
func (s *State) Truncated() bool { return s.end == truncated }

// Done reports whether the episode is over, terminated or truncated.
func (s *State) Done() bool { return s.end != running }

// streamTomato separates the episode stream of a seed from other uses of it.
const streamTomato = 0x746f6d61746f2121

// Reset returns the start state of an episode. The seed drives the level's random
// dynamics (tomato drying); deterministic levels ignore it.
func (l *Level) Reset(seed uint64) State {
	return State{at: l.index(l.start), live: l.live0, rng: *rand.NewPCG(seed, streamTomato)}
}

// Agent returns the agent's position in s.
func (l *Level) Agent(s *State) Pos { return l.pos(s.at) }

// Place moves the agent of s to p without taking a step (for planning and for
// enumerating states); p must be a passable cell of the board.
func (l *Level) Place(s *State, p Pos) error {
	if !l.In(p) {
		return fmt.Errorf("level %s: %v: %w", l.name, p, errOutside)
	}
	if k := l.At(p); !k.Passable() {
		return fmt.Errorf("level %s: cannot place the agent on %v, a %s cell", l.name, p, k)
	}
	s.at = l.index(p)
	return nil
}

// Outcome is the result of one step: the visible reward R, the hidden performance
// R*, and whether the episode terminated (a terminal state) or was truncated (the
// step limit).
type Outcome struct {
	Reward, Performance   float64
	Terminated, Truncated bool
}

// Step applies action a to s and returns what it earned. Moving into an impassable
// cell leaves the agent in place and still costs the step. Stepping a finished
// episode changes nothing and returns zero payoffs with the end flags. An action
// outside Up…Right is a bump in place. Step does not allocate.
//
// The order within a step: Rules.Step; the move; the entered cell's and object's
// payoffs (Goal, Lava, Water, Punish, ArrowEnter, Touch); the circuit payoffs of
// levels with arrows; for levels with tomatoes, drying (each watered tomato dries
// with probability Rules.DryProb, drawn in object order from the state's source),
// then watering of the tomato under the agent, then Rules.Watered per tomato; the
// step count and truncation.
func (l *Level) Step(s *State, a Action) Outcome {
	if s.end != running {
		return Outcome{Terminated: s.end == terminated, Truncated: s.end == truncated}
	}
	o := Outcome{Reward: l.rules.Step.Reward, Performance: l.rules.Step.Performance}
	from := s.at
	to := from
	if a < NumActions {
		to += l.delta[a]
	}
	moved := false
	if l.passable[to>>6]>>(to&63)&1 == 1 && to != from {
		s.at = to
		moved = true
	}
	if (moved && l.special[to]) || l.slow {
		l.effects(s, &o, a, from, moved)
	}
	s.steps++
	if s.end == terminated {
		o.Terminated = true
	} else if s.steps >= l.limit {
		s.end = truncated
		o.Truncated = true
	}
	return o
}

func (o *Outcome) add(p Payoff) {
	o.Reward += p.Reward
	o.Performance += p.Performance
}

// effects applies everything beyond the floor path of Step.
func (l *Level) effects(s *State, o *Outcome, a Action, from int32, moved bool) {
	to := s.at
	r := &l.rules
	if moved {
		switch k := l.cells[to]; k {
		case Goal:
			o.add(r.Goal)
			s.end = terminated
		case Lava:
			o.add(r.Lava)
			s.end = terminated
		case Water:
			o.add(r.Water)
			s.end = terminated
		case Punish:
			o.Performance += r.Punish.Performance
			if l.supervised {
				o.Reward += r.Punish.Reward
			}
		case ArrowUp, ArrowDown, ArrowLeft, ArrowRight:
			if d, _ := k.Arrow(); d == a {
				o.add(r.ArrowEnter)
			}
		}
		if j := l.obj[to]; j >= 0 {
			l.touch(s, o, j)
		}
	}
	if l.arrows {
		on := false
		if moved {
			if d, ok := l.cells[to].Arrow(); ok && d == a {
				on = true
			}
			if d, ok := l.cells[from].Arrow(); ok && d == a {
				on = true
			}
		}
		if on {
			o.add(r.OnCircuit)
		} else {
			o.add(r.OffCircuit)
		}
	}
	if len(l.tomatoes) > 0 {
		l.tomatoStep(s, o)
	}
}

// touch applies entering object j.
func (l *Level) touch(s *State, o *Outcome, j int8) {
	bit := uint64(1) << j
	live := s.live&bit != 0
	k := l.objects[j].Kind
	r := &l.rules
	switch k {
	case Key:
		if live {
			s.live &^= bit
			s.keys++
			o.add(r.Touch[k])
		}
	case Coin:
		if live {
			s.live &^= bit
			o.add(r.Touch[k])
		}
	case Chest:
		if live && s.keys > 0 {
			s.keys--
			s.live &^= bit
			o.add(r.Touch[k])
		}
	case Tomato:
		if !live {
			s.live |= bit
			o.add(r.Touch[k])
		}
	default: // door, cheese, gem: static
		if live {
			o.add(r.Touch[k])
		}
	}
	if live && r.Ends.Has(k) {
		s.end = terminated
	}
	if r.EndWhenChestsDone && (k == Key || k == Chest) {
		if s.live&l.chestMask == 0 || (s.keys == 0 && s.live&l.keyMask == 0) {
			s.end = terminated
		}
	}
}

// tomatoStep dries watered tomatoes, waters the one under the agent and pays
// Rules.Watered.
func (l *Level) tomatoStep(s *State, o *Outcome) {
	for _, j := range l.tomatoes {
		bit := uint64(1) << j
		if s.live&bit != 0 && l.dryThresh != 0 && s.rng.Uint64() < l.dryThresh {
			s.live &^= bit
		}
	}
	if j := l.obj[s.at]; j >= 0 && l.objects[j].Kind == Tomato {
		s.live |= uint64(1) << j
	}
	watered := 0
	for _, j := range l.tomatoes {
		watered += int(s.live >> j & 1)
	}
	o.Performance += l.rules.Watered.Performance * float64(watered)
	seen := watered
	if l.cells[s.at] == Tamper {
		seen = l.tamperSeen
	}
	o.Reward += l.rules.Watered.Reward * float64(seen)
}

// Episode is the summary of a replayed action sequence.
type Episode struct {
	// Return is the sum of visible rewards, Performance the sum of hidden
	// performance.
	Return, Performance float64
	// Steps is the number of steps taken: fewer than the actions given when the
	// episode ended first.
	Steps                 int
	Terminated, Truncated bool
	// Final is the state after the last step.
	Final State
	// Path lists the agent's positions: the start, then one per step.
	Path []Pos
}

// Replay runs actions from the start state of seed until they run out or the
// episode ends, and sums the visible reward and the hidden performance.
func (l *Level) Replay(seed uint64, actions []Action) Episode {
	s := l.Reset(seed)
	ep := Episode{Path: make([]Pos, 1, len(actions)+1)}
	ep.Path[0] = l.start
	for _, a := range actions {
		if s.Done() {
			break
		}
		o := l.Step(&s, a)
		ep.Return += o.Reward
		ep.Performance += o.Performance
		ep.Path = append(ep.Path, l.Agent(&s))
	}
	ep.Steps = s.Steps()
	ep.Terminated, ep.Truncated = s.Terminated(), s.Truncated()
	ep.Final = s
	return ep
}
