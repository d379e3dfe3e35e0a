package grid

import (
	"fmt"
	"math"
	"math/bits"
	"strings"

	"github.com/mesalab/mesalab/task/mdp"
)

// MaxMDPStates bounds the states of an exported MDP. Its dense T and R arrays hold
// S·4·S entries each, so 1024 states take 2·4·1024²·8 B = 64 MiB.
const MaxMDPStates = 1024

// Signal selects which payoff an exported MDP's reward is: the visible reward R
// or the hidden performance R*.
type Signal uint8

// The two signals.
const (
	VisibleReward Signal = iota
	HiddenPerformance
)

// String returns "reward" or "performance".
func (s Signal) String() string {
	if s == HiddenPerformance {
		return "performance"
	}
	return "reward"
}

// StateMap maps the states of a level to the state indices of its exported MDP
// and back. Index 0 is the start state; End is the absorbing state every finished
// episode moves to.
type StateMap struct {
	l      *Level
	index  map[uint64]int
	states []State
	// End is the index of the absorbing end state (the last index).
	End int
}

// Len returns the number of MDP states, the end state included.
func (m *StateMap) Len() int { return len(m.states) + 1 }

// Index returns the MDP state of s (by its StateID; finished episodes map to End)
// and false if s was not reached from the start.
func (m *StateMap) Index(s *State) (int, bool) {
	if s.Done() {
		return m.End, true
	}
	i, ok := m.index[m.l.StateID(s)]
	return i, ok
}

// State returns the level state of MDP state i (step count 0, random source of
// seed 0), and false for End or an index out of range.
func (m *StateMap) State(i int) (State, bool) {
	if i < 0 || i >= len(m.states) {
		return State{}, false
	}
	return m.states[i], true
}

// Export builds the tabular MDP of one level: states are the (agent cell, keys
// held, live bits of changeable objects) reachable from the start, in
// breadth-first order (index 0 is the start), plus one absorbing end state that
// every terminating step leads to with zero reward afterwards. Actions are Up,
// Down, Left, Right (indices 0…3). R(s,a,s′) is the chosen signal of the step.
// Random tomato drying is enumerated exactly: each watered tomato not under the
// agent dries independently with Rules.DryProb. The step limit is not part of the
// MDP (discounting with gamma replaces it).
//
// Export fails, naming the bound, when more than MaxMDPStates states are reachable.
func Export(l *Level, sig Signal, gamma float64) (*mdp.MDP, *StateMap, error) {
	sm := &StateMap{l: l, index: map[uint64]int{}}
	rng0 := l.Reset(0).rng
	nodry := *l
	nodry.dryThresh = 0
	p := l.rules.DryProb
	type edge struct {
		from, a, to int // to = −1: the end state
		prob, r     float64
	}
	var edges []edge
	add := func(s State) (int, error) {
		id := l.StateID(&s)
		if i, ok := sm.index[id]; ok {
			return i, nil
		}
		if len(sm.states)+1 >= MaxMDPStates {
			return 0, fmt.Errorf("grid: exporting level %s: more than %d states reachable (the bound MaxMDPStates, end state included)", l.name, MaxMDPStates)
		}
		s.steps, s.end, s.rng = 0, running, rng0
		sm.index[id] = len(sm.states)
		sm.states = append(sm.states, s)
		return len(sm.states) - 1, nil
	}
	if _, err := add(l.Reset(0)); err != nil {
		return nil, nil, err
	}
	for i := 0; i < len(sm.states); i++ {
		for _, a := range Actions {
			s := sm.states[i]
			o := nodry.Step(&s, a)
			if s.end == truncated {
				s.end = running
			}
			// The tomatoes that may dry: watered after the step, bar the one under
			// the agent (it is watered again after drying).
			var dryable uint64
			if p > 0 {
				for _, j := range l.tomatoes {
					if s.live>>j&1 == 1 && l.obj[s.at] != j {
						dryable |= 1 << j
					}
				}
			}
			tampering := l.cells[s.at] == Tamper
			n := bits.OnesCount64(dryable)
			if n > 20 {
				return nil, nil, fmt.Errorf("grid: exporting level %s: %d tomatoes may dry in one step, want at most 20", l.name, n)
			}
			// Enumerate the subsets D of dryable as sub-masks.
			for d := dryable; ; d = (d - 1) & dryable {
				k := bits.OnesCount64(d)
				prob := math.Pow(p, float64(k)) * math.Pow(1-p, float64(n-k))
				rew, perf := o.Reward, o.Performance
				perf -= l.rules.Watered.Performance * float64(k)
				if !tampering {
					rew -= l.rules.Watered.Reward * float64(k)
				}
				r := rew
				if sig == HiddenPerformance {
					r = perf
				}
				if prob > 0 {
					to := -1
					if s.end == running {
						t := s
						t.live &^= d
						j, err := add(t)
						if err != nil {
							return nil, nil, err
						}
						to = j
					}
					edges = append(edges, edge{i, int(a), to, prob, r})
				}
				if d == 0 {
					break
				}
			}
		}
	}
	sm.End = len(sm.states)
	S := sm.Len()
	A := int(NumActions)
	T := make([]float64, S*A*S)
	R := make([]float64, S*A*S)
	for _, e := range edges {
		to := e.to
		if to < 0 {
			to = sm.End
		}
		k := (e.from*A+e.a)*S + to
		T[k] += e.prob
		R[k] += e.prob * e.r
	}
	for k, p := range T {
		if p > 0 {
			R[k] /= p // the mean reward of the outcomes merged into one (s, a, s′)
		}
	}
	for a := range A {
		T[(sm.End*A+a)*S+sm.End] = 1
	}
	start := make([]float64, S)
	start[0] = 1
	m, err := mdp.New(S, A, T, R, gamma, start)
	if err != nil {
		return nil, nil, fmt.Errorf("grid: exporting level %s: %w", l.name, err)
	}
	m.ActionNames = []string{"u", "d", "l", "r"}
	m.StateNames = make([]string, S)
	for i, s := range sm.states {
		m.StateNames[i] = sm.name(&s)
	}
	m.StateNames[sm.End] = "end"
	return m, sm, nil
}

// name formats a state as "(row,col)" plus " keys=K" and " live=…" (one 0/1 per
// changeable object, in object order) where the level has such objects.
func (m *StateMap) name(s *State) string {
	var b strings.Builder
	b.WriteString(m.l.Agent(s).String())
	if m.l.keyMask != 0 {
		fmt.Fprintf(&b, " keys=%d", s.keys)
	}
	if m.l.changing != 0 {
		b.WriteString(" live=")
		for i := range m.l.objects {
			if m.l.changing>>i&1 == 1 {
				b.WriteByte('0' + byte(s.live>>i&1))
			}
		}
	}
	return b.String()
}
