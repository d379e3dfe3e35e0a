package grid

import "testing"

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
	for b.Loop() {
		l.Step(&s, acts[i&1023])
		i++
		if s.end != running {
			s = start
		}
	}
}
