package grid

import (
	"math/rand/v2"
	"testing"
)

// randomActions returns a fixed pseudo-random action sequence of length 1024.
func randomActions() []Action {
	acts := make([]Action, 1024)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range acts {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		acts[i] = Action(x >> 62)
	}
	return acts
}

// BenchmarkStep is one bare step on the lava training map under random actions
// (a reset whenever the episode ends).
func BenchmarkStep(b *testing.B) {
	l := mustMake(b, "lava-shift", "train", 0)
	acts := randomActions()
	s := l.Reset(0)
	start := s
	i := 0
	cpu := startCPU(b)
	for b.Loop() {
		l.Step(&s, acts[i&1023])
		i++
		if s.end != running {
			s = start
		}
	}
	cpu.stop()
}

// maze13 is a fixed 13×13 cheese-corner training level.
func maze13(b *testing.B) *Level {
	return mustMake(b, "cheese-corner", "train", 1)
}

// BenchmarkStepObserve is one step plus the full bit-packed boolean observation
// (NumChannels × 13 × 13) of a 13×13 maze level.
func BenchmarkStepObserve(b *testing.B) {
	l := maze13(b)
	o := NewObserver(l)
	obs := make([]uint64, o.Words())
	acts := randomActions()
	s := l.Reset(0)
	start := s
	i := 0
	cpu := startCPU(b)
	for b.Loop() {
		l.Step(&s, acts[i&1023])
		o.Observe(&s, obs)
		i++
		if s.end != running {
			s = start
		}
	}
	if ns := cpu.stop(); ns > 0 {
		b.ReportMetric(1e9/ns, "steps/cpu-s")
	}
}

// BenchmarkWindow is one egocentric 5×5 window observation.
func BenchmarkWindow(b *testing.B) {
	l := maze13(b)
	o := NewObserver(l)
	win := make([]uint64, WindowWords(2))
	s := l.Reset(0)
	cpu := startCPU(b)
	for b.Loop() {
		o.Window(&s, 2, win)
	}
	cpu.stop()
}

// BenchmarkBFS is one breadth-first distance computation over a 13×13 maze.
func BenchmarkBFS(b *testing.B) {
	l := maze13(b)
	var ws Workspace
	blocks := l.Terminals()
	cpu := startCPU(b)
	for b.Loop() {
		ws.From(l, l.Start(), blocks)
	}
	cpu.stop()
}

// BenchmarkBFSOpen is BFS over the open 13×13 board (every inner cell floor),
// the most cells a 13×13 level can reach.
func BenchmarkBFSOpen(b *testing.B) {
	text := "#############\n"
	for r := 0; r < 11; r++ {
		if r == 0 {
			text += "#A          #\n"
		} else {
			text += "#           #\n"
		}
	}
	text += "#############"
	l := MustParse("open13", text, Rules{})
	var ws Workspace
	cpu := startCPU(b)
	for b.Loop() {
		ws.From(l, l.Start(), Blocks{})
	}
	cpu.stop()
}

// BenchmarkCarveMaze carves one 13×13 perfect maze.
func BenchmarkCarveMaze(b *testing.B) {
	var mw MazeWorkspace
	cells := make([]Cell, 13*13)
	r := NewRand(1)
	cpu := startCPU(b)
	for b.Loop() {
		if err := mw.CarveMaze(r, 13, cells); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop()
}

// BenchmarkGenerate draws one complete 13×13 level of each generator.
func BenchmarkGenerate(b *testing.B) {
	for _, g := range []struct {
		name string
		d    interface{ Sample(*rand.Rand) *Level }
	}{
		{"cheese-corner", CheeseCorner{}},
		{"red-door", RedDoor{Distractors: 2}},
		{"keys-chests", KeysChests{}},
	} {
		b.Run(g.name, func(b *testing.B) {
			r := NewRand(1)
			cpu := startCPU(b)
			for b.Loop() {
				g.d.Sample(r)
			}
			cpu.stop()
		})
	}
}

// BenchmarkExportLava exports the training lava map to a tabular MDP.
func BenchmarkExportLava(b *testing.B) {
	l := mustMake(b, "lava-shift", "train", 0)
	cpu := startCPU(b)
	for b.Loop() {
		if _, _, err := Export(l, VisibleReward, 0.99); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop()
}
