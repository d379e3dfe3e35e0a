package grid

// Unreachable is the distance of a cell that cannot be reached.
const Unreachable = -1

// Blocks are the cells and objects a path may end on but not pass through: a
// shortest path never crosses them (entering lava, a goal or a door ends the
// episode), yet their own distance is computed, so they can be targets.
// Impassable cells (walls, void, supervisor markers) are never entered at all.
type Blocks struct {
	Cells   CellSet
	Objects KindSet
}

// Terminals returns the blocks of the level's episode-ending cells and objects:
// goal, lava and water cells and the object kinds of Rules.Ends.
func (l *Level) Terminals() Blocks {
	return Blocks{Cells: Cells(Goal, Lava, Water), Objects: l.rules.Ends}
}

// Workspace holds the buffers of breadth-first search. Reusing one workspace
// makes [Workspace.From] allocation-free after the first call on a level of the
// largest size. A workspace is not safe for concurrent use.
type Workspace struct {
	dist  []int32
	queue []int32
}

// Distances are shortest-path lengths in steps from one source cell, as computed
// by [Workspace.From]. They share the workspace's buffer: the next From call on the
// same workspace overwrites them.
type Distances struct {
	l   *Level
	d   []int32
	b   Blocks
	src int32
}

// From computes the number of steps of a shortest path from `from` to every cell,
// moving up/down/left/right through passable cells and never through a cell in b
// (other than the source itself). Cells that cannot be reached have distance
// Unreachable. The search is static: it ignores the state of objects (a key
// already taken still counts as an object). It costs O(H·W).
func (w *Workspace) From(l *Level, from Pos, b Blocks) Distances {
	n := len(l.cells)
	if cap(w.dist) < n {
		w.dist = make([]int32, n)
		w.queue = make([]int32, n)
	}
	d := w.dist[:n]
	q := w.queue[:n]
	for i := range d {
		d[i] = Unreachable
	}
	out := Distances{l: l, d: d, b: b, src: -1}
	if !l.In(from) {
		return out
	}
	src := l.index(from)
	out.src = src
	d[src] = 0
	if !l.cells[src].Passable() {
		return out
	}
	q[0] = src
	head, tail := 0, 1
	delta := l.delta
	cellBlocks := b.Cells
	objBlocks := b.Objects
	for head < tail {
		c := q[head]
		head++
		nd := d[c] + 1
		for _, dl := range delta {
			nb := c + dl
			if d[nb] != Unreachable || l.passable[nb>>6]>>(nb&63)&1 == 0 {
				continue
			}
			d[nb] = nd
			if cellBlocks>>l.cells[nb]&1 == 1 {
				continue
			}
			if j := l.obj[nb]; j >= 0 && objBlocks>>l.objects[j].Kind&1 == 1 {
				continue
			}
			q[tail] = nb
			tail++
		}
	}
	return out
}

// blocked reports whether padded cell i is in the blocks.
func (ds Distances) blocked(i int32) bool {
	if ds.b.Cells.Has(ds.l.cells[i]) {
		return true
	}
	j := ds.l.obj[i]
	return j >= 0 && ds.b.Objects.Has(ds.l.objects[j].Kind)
}

// At returns the distance of p from the source, or Unreachable (also for p off
// the board).
func (ds Distances) At(p Pos) int {
	if ds.l == nil || !ds.l.In(p) {
		return Unreachable
	}
	return int(ds.d[ds.l.index(p)])
}

// Toward returns the first action of a shortest path from p back to the source
// (the lowest-indexed action among ties) and true; false when p is the source,
// unreachable or off the board. Since moves are reversible, distances from a
// target give, through Toward, a policy that walks to it.
func (ds Distances) Toward(p Pos) (Action, bool) {
	if ds.l == nil || !ds.l.In(p) {
		return 0, false
	}
	i := ds.l.index(p)
	di := ds.d[i]
	if di <= 0 {
		return 0, false
	}
	for a, dl := range ds.l.delta {
		nb := i + dl
		if ds.d[nb] == di-1 && (nb == ds.src || !ds.blocked(nb)) {
			return Action(a), true
		}
	}
	return 0, false
}

// Path returns the cells of the shortest path from p to the source that Toward
// follows, p first and the source last; nil when p is unreachable.
func (ds Distances) Path(p Pos) []Pos {
	if ds.At(p) == Unreachable {
		return nil
	}
	path := []Pos{p}
	for {
		a, ok := ds.Toward(p)
		if !ok {
			return path
		}
		p = p.Add(a)
		path = append(path, p)
	}
}
