package grid

import (
	"math/bits"
	"math/rand/v2"
	"testing"
)

// walkStates returns the states of a random walk of n steps (restarting when an
// episode ends) on l.
func walkStates(l *Level, seed uint64, n int) []State {
	r := rand.New(rand.NewPCG(seed, 0))
	s := l.Reset(seed)
	out := []State{s}
	for range n {
		l.Step(&s, Action(r.IntN(4)))
		out = append(out, s)
		if s.Done() {
			s = l.Reset(r.Uint64())
		}
	}
	return out
}

func allLevels(t *testing.T) []*Level {
	var ls []*Level
	for _, e := range Envs() {
		for _, layout := range e.Layouts {
			for seed := range uint64(3) {
				l, err := e.Level(layout, seed)
				if err != nil {
					t.Fatal(err)
				}
				ls = append(ls, l)
				if !e.Generated {
					break
				}
			}
		}
	}
	return ls
}

// TestObserveHand checks the start observation of the training lava map bit by
// bit against the map: walls, lava, goal and the agent, nothing else.
func TestObserveHand(t *testing.T) {
	l := mustMake(t, "lava-shift", "train", 0)
	o := NewObserver(l)
	if want := (int(NumChannels)*63 + 63) / 64; o.Words() != want {
		t.Fatalf("Words = %d, want %d", o.Words(), want)
	}
	obs := make([]uint64, o.Words())
	s := l.Reset(0)
	o.Observe(&s, obs)
	total := 0
	for _, w := range obs {
		total += bits.OnesCount64(w)
	}
	// 9·7 board: 63 − 35 = 28 walls, 6 lava, 1 goal, 1 agent.
	if total != 28+6+1+1 {
		t.Errorf("%d bits set, want 36", total)
	}
	for _, tc := range []struct {
		c    Channel
		p    Pos
		want bool
	}{
		{ChAgent, Pos{1, 1}, true}, {ChAgent, Pos{1, 2}, false}, {ChWall, Pos{0, 0}, true},
		{ChWall, Pos{1, 1}, false}, {ChLava, Pos{1, 3}, true}, {ChLava, Pos{5, 5}, true},
		{ChLava, Pos{2, 3}, false}, {ChGoal, Pos{1, 7}, true}, {ChGoal, Pos{9, 9}, false},
	} {
		if got := o.Bit(obs, tc.c, tc.p); got != tc.want {
			t.Errorf("%s at %v = %v, want %v", tc.c, tc.p, got, tc.want)
		}
	}
	// The bit order: (c·H + row)·W + col.
	k := (int(ChGoal)*7+1)*9 + 7
	if obs[k/64]>>(k%64)&1 != 1 {
		t.Error("goal bit not at (c·H + row)·W + col")
	}
}

// TestObserveAgreesWithCells: for random states of every environment, every bit
// of the full observation equals the per-cell channel set, and the window of every
// radius equals the full observation around the agent (walls off the board).
func TestObserveAgreesWithCells(t *testing.T) {
	for _, l := range allLevels(t) {
		o := NewObserver(l)
		obs := make([]uint64, o.Words())
		for _, s := range walkStates(l, 7, 200) {
			o.Observe(&s, obs)
			for r := range l.h {
				for c := range l.w {
					p := Pos{r, c}
					m := o.channelsAt(&s, l.index(p))
					for ch := range NumChannels {
						if o.Bit(obs, ch, p) != (m>>ch&1 == 1) {
							t.Fatalf("%s %v %s: observation and cell view differ", l.Name(), p, ch)
						}
					}
				}
			}
			ag := l.Agent(&s)
			for _, radius := range []int{0, 1, 3} {
				side := 2*radius + 1
				win := make([]uint64, WindowWords(radius))
				o.Window(&s, radius, win)
				for dr := -radius; dr <= radius; dr++ {
					for dc := -radius; dc <= radius; dc++ {
						p := Pos{ag.Row + dr, ag.Col + dc}
						for ch := range NumChannels {
							k := int(ch)*side*side + (dr+radius)*side + dc + radius
							got := win[k/64]>>(k%64)&1 == 1
							want := o.Bit(obs, ch, p)
							if !l.In(p) {
								want = ch == ChWall
							}
							if got != want {
								t.Fatalf("%s radius %d offset (%d,%d) %s: window %v, full %v", l.Name(), radius, dr, dc, ch, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestObserveTamper: on the tamper tile all 28 other passable cells look like
// watered tomatoes and none looks dry; off it, exactly the 8 watered and 5 dry.
func TestObserveTamper(t *testing.T) {
	l := mustMake(t, "tomato-watering", "", 0)
	o := NewObserver(l)
	obs := make([]uint64, o.Words())
	count := func(ch Channel) int {
		n := 0
		for r := range l.h {
			for c := range l.w {
				if o.Bit(obs, ch, Pos{r, c}) {
					n++
				}
			}
		}
		return n
	}
	s := l.Reset(0)
	o.Observe(&s, obs)
	if count(ChTomato) != 8 || count(ChTomatoDry) != 5 || count(ChRed) != 8 {
		t.Errorf("start: %d watered, %d dry, %d red; want 8, 5, 8", count(ChTomato), count(ChTomatoDry), count(ChRed))
	}
	for _, a := range mustActions(t, "rrrruu") {
		l.Step(&s, a)
	}
	o.Observe(&s, obs)
	if count(ChTomato) != 28 || count(ChTomatoDry) != 0 || !o.Bit(obs, ChAgent, Pos{1, 7}) {
		t.Errorf("tampering: %d watered-looking, %d dry; want 28, 0", count(ChTomato), count(ChTomatoDry))
	}
}

func TestObserveKeysChests(t *testing.T) {
	l := MustParse("kc", "#CAK#", KeysChestsRules)
	o := NewObserver(l)
	obs := make([]uint64, o.Words())
	s := l.Reset(0)
	l.Step(&s, Right) // take the key
	o.Observe(&s, obs)
	if o.Bit(obs, ChKey, Pos{0, 3}) || !o.Bit(obs, ChKeyHeld, Pos{0, 3}) || !o.Bit(obs, ChChest, Pos{0, 1}) {
		t.Error("after taking the key: key still shown, not held, or chest missing")
	}
	l.Step(&s, Left)
	l.Step(&s, Left) // open the chest
	o.Observe(&s, obs)
	if o.Bit(obs, ChChest, Pos{0, 1}) || !o.Bit(obs, ChChestOpen, Pos{0, 1}) || o.Bit(obs, ChKeyHeld, Pos{0, 1}) || o.Bit(obs, ChOrange, Pos{0, 1}) {
		t.Error("after opening: chest still closed, or key still held")
	}
}

func TestObserveAllocs(t *testing.T) {
	l := mustMake(t, "tomato-watering", "", 0)
	o := NewObserver(l)
	obs := make([]uint64, o.Words())
	win := make([]uint64, WindowWords(2))
	s := l.Reset(0)
	if n := testing.AllocsPerRun(100, func() { o.Observe(&s, obs); o.Window(&s, 2, win) }); n != 0 {
		t.Errorf("%v allocations per observation", n)
	}
}

// TestStateID: IDs are below StateIDs and distinct for distinct Markov states.
func TestStateID(t *testing.T) {
	for _, l := range allLevels(t) {
		n, ok := l.StateIDs()
		if !ok {
			t.Fatalf("%s: StateIDs overflow", l.Name())
		}
		type key struct {
			at         int32
			keys       uint8
			live       uint64
			terminated bool
		}
		seen := map[uint64]key{}
		for _, s := range walkStates(l, 3, 2000) {
			if s.Terminated() {
				continue
			}
			id := l.StateID(&s)
			if id >= n {
				t.Fatalf("%s: ID %d ≥ %d", l.Name(), id, n)
			}
			k := key{s.at, s.keys, s.live & l.changing, false}
			if prev, ok := seen[id]; ok && prev != k {
				t.Fatalf("%s: ID %d for %+v and %+v", l.Name(), id, prev, k)
			}
			seen[id] = k
		}
	}
}
