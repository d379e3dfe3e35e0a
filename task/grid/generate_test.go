package grid

import (
	"math"
	"testing"
)

// generatorSeeds is 10,000 (the property count) or 1,000 with -short.
func generatorSeeds() uint64 {
	if testing.Short() {
		return 1000
	}
	return 10000
}

// TestCarveMazePerfect: a maze of side n has m² rooms and m² − 1 corridors
// (m = (n−1)/2), all connected: a spanning tree of the rooms. Border is wall.
func TestCarveMazePerfect(t *testing.T) {
	var mw MazeWorkspace
	var ws Workspace
	for _, n := range []int{5, 7, 13, 21, 63} {
		for seed := range uint64(50) {
			cells := make([]Cell, n*n)
			if err := mw.CarveMaze(NewRand(seed), n, cells); err != nil {
				t.Fatal(err)
			}
			m := (n - 1) / 2
			floor := floorCells(cells, n, nil)
			if len(floor) != 2*m*m-1 {
				t.Fatalf("n=%d seed %d: %d floor cells, want 2m²−1 = %d", n, seed, len(floor), 2*m*m-1)
			}
			l, err := New("maze", n, n, cells, nil, floor[0], Rules{})
			if err != nil {
				t.Fatal(err)
			}
			ds := ws.From(l, floor[0], Blocks{})
			for _, p := range floor {
				if ds.At(p) == Unreachable {
					t.Fatalf("n=%d seed %d: %v unreachable", n, seed, p)
				}
			}
			for i := range n {
				for _, p := range []Pos{{0, i}, {n - 1, i}, {i, 0}, {i, n - 1}} {
					if l.At(p) != Wall {
						t.Fatalf("n=%d seed %d: border cell %v is %s", n, seed, p, l.At(p))
					}
				}
			}
		}
	}
	for _, n := range []int{3, 4, 65} {
		if err := mw.CarveMaze(NewRand(0), n, make([]Cell, n*n)); err == nil {
			t.Errorf("CarveMaze(%d) accepted", n)
		}
	}
}

// TestCheeseCorner over 10,000 seeds: solvable; in training the cheese is in the
// top-right region every time; shifted, the share outside the region agrees with
// the per-maze probability 1 − region/(floor − 1) averaged over the same mazes;
// with diversity d the training share outside is d times that.
func TestCheeseCorner(t *testing.T) {
	seeds := generatorSeeds()
	var ws Workspace
	for _, tc := range []struct {
		g         CheeseCorner
		diversity float64
		doc       float64 // the documented share outside the region
	}{
		{CheeseCorner{}, 0, 0},
		{CheeseCorner{Region: 1}, 0, 0},
		{CheeseCorner{Size: 15, Region: 3}, 0, 0},
		{CheeseCorner{Shifted: true}, 1, 0.77},
		{CheeseCorner{Region: 3, Shifted: true}, 1, 0.91},
		{CheeseCorner{Diversity: 0.3}, 0.3, 0.3 * 0.77},
	} {
		g := tc.g.norm()
		outside, expected := 0.0, 0.0
		for seed := range seeds {
			l := g.Sample(NewRand(seed))
			objs := l.Objects()
			if len(objs) != 1 || objs[0].Kind != Cheese {
				t.Fatalf("%+v seed %d: objects %v", g, seed, objs)
			}
			cheese := objs[0].Pos
			if g.InRegion(cheese) != l.InTopRight(cheese, g.Region) {
				t.Fatalf("InRegion and InTopRight disagree at %v", cheese)
			}
			if d := ws.From(l, l.Start(), l.Terminals()).At(cheese); d == Unreachable {
				t.Fatalf("%+v seed %d: cheese unreachable\n%s", g, seed, l)
			}
			if l.Start() != (Pos{g.Size - 2, 1}) {
				t.Fatalf("start %v", l.Start())
			}
			if !g.InRegion(cheese) {
				outside++
				if tc.diversity == 0 {
					t.Fatalf("%+v seed %d: training cheese at %v outside the region\n%s", g, seed, cheese, l)
				}
			}
			region, floor := 0, 0
			for r := range g.Size {
				for c := range g.Size {
					if p := (Pos{r, c}); l.At(p) == Floor && p != l.Start() {
						floor++
						if g.InRegion(p) {
							region++
						}
					}
				}
			}
			expected += tc.diversity * (1 - float64(region)/float64(floor))
		}
		n := float64(seeds)
		share, want := outside/n, expected/n
		sd := math.Sqrt(want*(1-want)/n) + 1e-12
		if math.Abs(want-tc.doc) > 0.01 {
			t.Errorf("%+v: expected share outside %v, documented %v", g, want, tc.doc)
		}
		if math.Abs(share-want) > 4*sd {
			t.Errorf("%+v: share outside the region %v, expected %v ± %v", g, share, want, sd)
		}
		t.Logf("%s region %d diversity %v: share outside %.4f (expected %.4f)", g.Name(), g.Region, g.Diversity, share, want)
	}
}

// TestRedDoor over 10,000 seeds: the door is reachable without passing another
// exit; in training every door is red and nothing else is; shifted every door is
// blue and at least one gem is red.
func TestRedDoor(t *testing.T) {
	seeds := generatorSeeds()
	var ws Workspace
	for _, g := range []RedDoor{{Distractors: 2}, {Distractors: 2, Shifted: true}, {Size: 7, Distractors: 8},
		{Size: 7, Distractors: 8, Shifted: true}, {Distractors: 0}} {
		for seed := range seeds {
			l := g.Sample(NewRand(seed))
			objs := l.Objects()
			if len(objs) != 1+g.Distractors {
				t.Fatalf("%+v seed %d: %d objects", g, seed, len(objs))
			}
			ds := ws.From(l, l.Start(), l.Terminals())
			doors, redGems := 0, 0
			for _, o := range objs {
				switch {
				case o.Kind == Door:
					doors++
					want := Red
					if g.Shifted {
						want = Blue
					}
					if o.Colour != want {
						t.Fatalf("%+v seed %d: door colour %s", g, seed, o.Colour)
					}
					if ds.At(o.Pos) == Unreachable {
						t.Fatalf("%+v seed %d: door unreachable\n%s", g, seed, l)
					}
				case o.Colour == Red:
					redGems++
					if !g.Shifted {
						t.Fatalf("%+v seed %d: red %s in training", g, seed, o.Kind)
					}
				}
			}
			if doors != 1 || (g.Shifted && g.Distractors > 0 && redGems == 0) {
				t.Fatalf("%+v seed %d: %d doors, %d red gems", g, seed, doors, redGems)
			}
		}
	}
}

// TestKeysChests over 10,000 seeds: more chests than keys in training, more keys
// than chests shifted, every object reachable.
func TestKeysChests(t *testing.T) {
	seeds := generatorSeeds()
	var ws Workspace
	for _, g := range []KeysChests{{}, {Shifted: true}, {Size: 7}} {
		for seed := range seeds {
			l := g.Sample(NewRand(seed))
			keys, chests := 0, 0
			ds := ws.From(l, l.Start(), l.Terminals())
			for _, o := range l.Objects() {
				switch o.Kind {
				case Key:
					keys++
				case Chest:
					chests++
				}
				if ds.At(o.Pos) == Unreachable {
					t.Fatalf("%+v seed %d: %s at %v unreachable", g, seed, o.Kind, o.Pos)
				}
			}
			if keys < 1 || chests < 1 || (keys < chests) == g.Shifted || keys == chests {
				t.Fatalf("%+v seed %d: %d keys, %d chests", g, seed, keys, chests)
			}
		}
	}
}

// TestGeneratorsDeterministic: the same seed gives the same level; train and shift
// of one seed share the maze.
func TestGeneratorsDeterministic(t *testing.T) {
	for _, env := range []string{"red-door", "cheese-corner", "keys-chests"} {
		for seed := range uint64(20) {
			a := mustMake(t, env, "train", seed)
			b := mustMake(t, env, "train", seed)
			if a.String() != b.String() || a.Name() != b.Name() {
				t.Errorf("%s seed %d: two draws differ", env, seed)
			}
			s := mustMake(t, env, "shift", seed)
			for i := range a.cells {
				if a.cells[i] != s.cells[i] {
					t.Fatalf("%s seed %d: train and shift mazes differ", env, seed)
				}
			}
		}
		if a, b := mustMake(t, env, "train", 1), mustMake(t, env, "train", 2); a.String() == b.String() {
			t.Errorf("%s: seeds 1 and 2 give the same level", env)
		}
	}
}

func TestGeneratorChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"size even", CheeseCorner{Size: 12}.Check()},
		{"region too big", CheeseCorner{Size: 9, Region: 7}.Check()},
		{"diversity", CheeseCorner{Diversity: 1.5}.Check()},
		{"diversity NaN", CheeseCorner{Diversity: math.NaN()}.Check()},
		{"red-door size", RedDoor{Size: 5}.Check()},
		{"red-door distractors", RedDoor{Distractors: 9}.Check()},
		{"keys-chests size", KeysChests{Size: 65}.Check()},
	} {
		if tc.err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	for _, ok := range []error{CheeseCorner{}.Check(), CheeseCorner{Size: 63, Region: 60}.Check(), RedDoor{}.Check(), KeysChests{Size: 7}.Check()} {
		if ok != nil {
			t.Errorf("valid parameters rejected: %v", ok)
		}
	}
}
