package grid

import "testing"

// stepDistances computes distances from the start independently of the BFS code:
// breadth-first over episode states using Step itself, never expanding a state
// whose episode ended.
func stepDistances(l *Level) map[Pos]int {
	dist := map[Pos]int{l.Start(): 0}
	frontier := []State{l.Reset(0)}
	for d := 1; len(frontier) > 0; d++ {
		var next []State
		for _, s := range frontier {
			for _, a := range Actions {
				c := s
				c.steps = 0 // distances are not cut by the step limit
				l.Step(&c, a)
				p := l.Agent(&c)
				if _, seen := dist[p]; seen {
					continue
				}
				dist[p] = d
				if !c.Terminated() {
					next = append(next, c)
				}
			}
		}
		frontier = next
	}
	return dist
}

func TestDistancesAgreeWithStep(t *testing.T) {
	var ws Workspace
	for _, e := range Envs() {
		for _, layout := range e.Layouts {
			l, err := e.Level(layout, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := stepDistances(l)
			ds := ws.From(l, l.Start(), l.Terminals())
			for r := range l.Height() {
				for c := range l.Width() {
					p := Pos{r, c}
					w, ok := want[p]
					if !ok {
						w = Unreachable
					}
					if got := ds.At(p); got != w {
						t.Errorf("%s: distance to %v = %d, Step-based BFS says %d", l.Name(), p, got, w)
					}
				}
			}
		}
	}
}

func TestDistancesLava(t *testing.T) {
	l := mustMake(t, "lava-shift", "train", 0)
	var ws Workspace
	goal := Pos{1, 7}
	ds := ws.From(l, goal, l.Terminals())
	if d := ds.At(l.Start()); d != 8 {
		t.Fatalf("distance start→goal avoiding lava = %d, want 8", d)
	}
	// Walking Toward the goal replays an optimal path: return 50 − 8 = 42.
	var acts []Action
	for p := l.Start(); p != goal; {
		a, ok := ds.Toward(p)
		if !ok {
			t.Fatalf("no way on from %v", p)
		}
		acts = append(acts, a)
		p = p.Add(a)
	}
	if got := FormatActions(acts); got != "drrrrrur" {
		t.Errorf("Toward path %s, want drrrrrur (down first: lowest action index among ties)", got)
	}
	if ep := l.Replay(0, acts); ep.Return != 42 || !ep.Terminated {
		t.Errorf("Toward path returns %v", ep.Return)
	}
	path := ds.Path(l.Start())
	if len(path) != 9 || path[0] != l.Start() || path[8] != goal {
		t.Errorf("Path = %v", path)
	}
	// Without blocks the lava is crossed: the straight line is 6 steps.
	if d := ws.From(l, goal, Blocks{}).At(l.Start()); d != 6 {
		t.Errorf("distance through lava = %d, want 6", d)
	}
	// Lava cells are reachable as endpoints: (1,3) is 2 steps from the start.
	if d := ws.From(l, l.Start(), l.Terminals()).At(Pos{1, 3}); d != 2 {
		t.Errorf("distance to the first lava cell = %d, want 2", d)
	}
	// Walls are never reached; off-board is unreachable.
	ds = ws.From(l, l.Start(), l.Terminals())
	if ds.At(Pos{0, 0}) != Unreachable || ds.At(Pos{-1, 3}) != Unreachable {
		t.Error("wall or off-board cell reachable")
	}
	if _, ok := ds.Toward(l.Start()); ok {
		t.Error("Toward at the source returned an action")
	}
}

func TestDistancesBlockedObjects(t *testing.T) {
	// The door blocks the corridor: the gem beyond it is unreachable when doors
	// block, 3 steps away otherwise; the door itself is 2 away either way.
	l := MustParse("m", "#A Dr#", Rules{Ends: Kinds(Door)})
	var ws Workspace
	ds := ws.From(l, l.Start(), l.Terminals())
	if ds.At(Pos{0, 3}) != 2 || ds.At(Pos{0, 4}) != Unreachable {
		t.Errorf("blocked door: %d %d", ds.At(Pos{0, 3}), ds.At(Pos{0, 4}))
	}
	ds = ws.From(l, l.Start(), Blocks{})
	if ds.At(Pos{0, 4}) != 3 {
		t.Errorf("unblocked: %d", ds.At(Pos{0, 4}))
	}
}

func TestDistancesAllocs(t *testing.T) {
	l := mustMake(t, "lava-shift", "train", 0)
	var ws Workspace
	ws.From(l, l.Start(), l.Terminals())
	if n := testing.AllocsPerRun(100, func() { ws.From(l, l.Start(), l.Terminals()) }); n != 0 {
		t.Errorf("%v allocations per BFS in the steady state", n)
	}
}
