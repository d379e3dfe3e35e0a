package agent

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/base"
	"github.com/mesalab/mesalab/task/grid"
)

var _ mesalab.System[Situation, grid.Action] = (*Softmax)(nil)

func TestWindowEncoding(t *testing.T) {
	l := mustLevel(t, "lava-shift", "train")
	b := NewBoard(l, 2)
	s := l.Reset(0)
	const area = 9 // radius 1
	bit := func(c grid.Channel, cell int) int32 { return int32(int(c)*area + cell) }
	// Agent at (1,1): walls above, to the left and at the bottom-left corner; the
	// agent itself at the centre (cell 4).
	got := Window{Radius: 1}.Active(b, &s, nil)
	want := []int32{bit(grid.ChAgent, 4), bit(grid.ChWall, 0), bit(grid.ChWall, 1), bit(grid.ChWall, 2),
		bit(grid.ChWall, 3), bit(grid.ChWall, 6)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("radius 1 at the start: %v, want %v", got, want)
	}
	// Two cells right of (1,1) is lava at (1,3): window cell (2, 4) of radius 2.
	got = Window{Radius: 2}.Active(b, &s, nil)
	if !slices.Contains(got, int32(int(grid.ChLava)*25+2*5+4)) {
		t.Errorf("radius 2: lava at (1,3) missing from %v", got)
	}
	if (Window{Radius: 2}).Inputs() != 25*int(grid.NumChannels) {
		t.Error("Inputs")
	}
	// Tabular: the agent's cell.
	if got := (StateIDs{N: 63}).Active(b, &s, nil); !slices.Equal(got, []int32{10}) {
		t.Errorf("StateIDs.Active = %v, want [10]", got)
	}
	if got := (StateIDs{N: 5}).Active(b, &s, nil); len(got) != 0 {
		t.Errorf("StateIDs beyond N: %v, want none", got)
	}
}

// The window's active inputs are exactly the set bits of the engine's window, at
// every radius, on levels with objects, in states where some objects are gone.
func TestWindowMatchesEngine(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 100 {
		l := grid.KeysChests{}.Sample(grid.NewRand(uint64(trial)))
		if trial%2 == 1 {
			l = mustLevel(t, "absent-supervisor", "present")
		}
		b := NewBoard(l, 2)
		obs := grid.NewObserver(l)
		s := l.Reset(0)
		for range rng.IntN(40) {
			l.Step(&s, grid.Action(rng.IntN(4)))
		}
		for _, r := range []int{0, 1, 2, 5} {
			w := make([]uint64, grid.WindowWords(r))
			obs.Window(&s, r, w)
			var want []int32
			for k := range (Window{Radius: r}).Inputs() {
				if w[k/64]>>(k%64)&1 == 1 {
					want = append(want, int32(k))
				}
			}
			if got := (Window{Radius: r}).Active(b, &s, nil); !slices.Equal(got, want) {
				t.Fatalf("trial %d radius %d: %v, want %v", trial, r, got, want)
			}
		}
	}
}

// logLik is Σ_t log π_W(a_t | x_t) along a fixed action sequence.
func logLik(p *Softmax, b *Board, w []float64, acts []grid.Action) float64 {
	l := b.Level
	s := l.Reset(0)
	var ll float64
	var z [grid.NumActions]float64
	for _, a := range acts {
		logits(w, p.Enc.Inputs(), p.Enc.Active(b, &s, nil), &z)
		base.Softmax(z[:], z[:])
		ll += math.Log(z[a])
		l.Step(&s, a)
	}
	return ll
}

// Rollout's gLog is the gradient of the log-likelihood of the actions it took
// (checked by central differences).
func TestRolloutGradient(t *testing.T) {
	l := mustLevel(t, "lava-shift", "train")
	b := NewBoard(l, 2)
	p := NewSoftmax(Window{Radius: 1})
	r := rand.New(rand.NewPCG(3, 4))
	w := make([]float64, len(p.W))
	for i := range w {
		w[i] = 0.3 * r.NormFloat64()
	}
	gRet, gLog := make([]float64, len(w)), make([]float64, len(w))
	ret := p.Rollout(b, 0, w, rand.New(rand.NewPCG(5, 6)), gRet, gLog)
	// Replay the same draws to recover the actions.
	var acts []grid.Action
	{
		s := l.Reset(0)
		rr := rand.New(rand.NewPCG(5, 6))
		var z [grid.NumActions]float64
		for !s.Done() {
			logits(w, p.Enc.Inputs(), p.Enc.Active(b, &s, nil), &z)
			base.Softmax(z[:], z[:])
			a := grid.Action(base.Sample(z[:], rr))
			acts = append(acts, a)
			l.Step(&s, a)
		}
	}
	if ep := l.Replay(0, acts); ep.Return != ret {
		t.Fatalf("replayed return %v, rollout %v", ep.Return, ret)
	}
	const h = 1e-6
	for _, i := range []int{0, 5, 13, len(w) / 2, len(w) - 1} {
		wp, wm := slices.Clone(w), slices.Clone(w)
		wp[i] += h
		wm[i] -= h
		num := (logLik(p, b, wp, acts) - logLik(p, b, wm, acts)) / (2 * h)
		if math.Abs(num-gLog[i]) > 1e-5 {
			t.Errorf("∂ log-likelihood/∂w[%d]: rollout %v, numeric %v", i, gLog[i], num)
		}
	}
	// Σ_b (1[b = a_t] − π_t(b)) = 0 for every step, so the bias gradients of the
	// actions sum to 0 in both sums.
	var sumRet, sumLog float64
	for b := range int(grid.NumActions) {
		sumRet += gRet[p.Enc.Inputs()*int(grid.NumActions)+b]
		sumLog += gLog[p.Enc.Inputs()*int(grid.NumActions)+b]
	}
	if math.Abs(sumRet) > 1e-9 || math.Abs(sumLog) > 1e-9 {
		t.Errorf("Σ_b bias gradients = %v, %v; want 0", sumRet, sumLog)
	}
}

// REINFORCE trains a tabular softmax policy to walk the training lava map safely:
// its most probable action leads to the goal with the best return, 42.
func TestTabularLearnsLava(t *testing.T) {
	l := mustLevel(t, "lava-shift", "train")
	b := NewBoard(l, 2)
	n, _ := l.StateIDs()
	p := NewSoftmax(StateIDs{N: int(n)})
	rollout := func(theta []float64, ep int, r *rand.Rand, gRet, gLog []float64) float64 {
		return p.Rollout(b, uint64(ep), theta, r, gRet, gLog)
	}
	res, err := base.Reinforce{Dim: len(p.W), Alpha: 0.1, Batch: 16, Iterations: 300, Seed: 1}.Run(rollout, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.W = res.Theta
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	ep := p.Play(b, 0, nil, nil)
	if ep.Return != 42 || !ep.Terminated {
		t.Errorf("greedy episode: return %v, terminated %v; want 42, true (trace end %v)", ep.Return, ep.Terminated, res.Trace[len(res.Trace)-1])
	}
	if a := p.Act(b.Start(0)); a != grid.Down && a != grid.Right {
		t.Errorf("first action %v, want d or r", a)
	}
}

// BenchmarkRolloutCheese measures REINFORCE training throughput: one episode of
// the radius-2 window policy on a 13 × 13 cheese-corner maze, with the gradient
// sums (report: episodes/s).
func BenchmarkRolloutCheese(b *testing.B) {
	boards := make([]*Board, 16)
	for i := range boards {
		boards[i] = NewBoard(grid.CheeseCorner{}.Sample(grid.NewRand(uint64(i))), 5)
	}
	p := NewSoftmax(Window{Radius: 2})
	gRet, gLog := make([]float64, len(p.W)), make([]float64, len(p.W))
	r := rand.New(rand.NewPCG(1, 1))
	i := 0
	for b.Loop() {
		p.Rollout(boards[i%len(boards)], uint64(i), p.W, r, gRet, gLog)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "episodes/s")
}
