package grid

import "strings"

// String returns the level's ASCII map at the start of an episode (legend:
// [Legend]); Parse(l.Name(), l.String(), l.Rules()) rebuilds an equal level for
// every level whose objects have glyphs.
func (l *Level) String() string {
	s := l.Reset(0)
	return l.ASCII(&s)
}

// ASCII returns the ASCII map of state s: the agent as 'A', objects as their
// glyphs in their current state (a key taken shows as floor, a chest opened as
// 'U', a dry tomato as 't').
func (l *Level) ASCII(s *State) string {
	var b strings.Builder
	b.Grow(l.h * (l.w + 1))
	for r := range l.h {
		if r > 0 {
			b.WriteByte('\n')
		}
		for c := range l.w {
			b.WriteRune(l.glyphAt(s, l.index(Pos{r, c})))
		}
	}
	return b.String()
}

func (l *Level) glyphAt(s *State, i int32) rune {
	if s != nil && i == s.at {
		return 'A'
	}
	if j := l.obj[i]; j >= 0 {
		live := l.live0
		if s != nil {
			live = s.live
		}
		return glyphOf(l.objects[j], live>>j&1 == 1)
	}
	return l.cells[i].Rune()
}
