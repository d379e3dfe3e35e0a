package agent

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"sync"

	"github.com/mesalab/mesalab/base"
	"github.com/mesalab/mesalab/task/grid"
)

// Encoder turns a situation into the binary inputs of a reactive policy, listed
// by the indices of the inputs that are 1.
type Encoder interface {
	// Inputs is the number of binary inputs.
	Inputs() int
	// Active appends to buf the indices (in increasing order) of the inputs that
	// are 1 in state s of board b's level, and returns it.
	Active(b *Board, s *grid.State, buf []int32) []int32
}

// Window is the egocentric window encoder: the engine's egocentric observation
// (grid.Observer.Window) of the (2·Radius+1)² cells centred on the agent, one
// binary input per (channel, cell) in the engine's bit order — input
// c·(2r+1)² + cell for channel c of grid's NumChannels (terrain, live objects by
// kind, colour and shape, the agent, a key held, the supervisor markers); cells off
// the board show as walls.
type Window struct{ Radius int }

// Inputs is NumChannels·(2r+1)².
func (w Window) Inputs() int { return int(grid.NumChannels) * (2*w.Radius + 1) * (2*w.Radius + 1) }

// Active lists the set bits of the window.
func (w Window) Active(b *Board, s *grid.State, buf []int32) []int32 {
	var stack [64]uint64
	words := stack[:]
	if n := grid.WindowWords(w.Radius); n > len(stack) {
		words = make([]uint64, n)
	}
	words = words[:grid.WindowWords(w.Radius)]
	b.observer.Window(s, w.Radius, words)
	for k, x := range words {
		for x != 0 {
			buf = append(buf, int32(k*64+bits.TrailingZeros64(x)))
			x &= x - 1
		}
	}
	return buf
}

// StateIDs is the tabular encoder: one input per compact state ID of the engine
// (grid.Level.StateID: the agent's cell and the state of the changeable objects),
// for IDs below N. IDs mean the same cell on levels of the same size and object
// layout, such as the three lava-shift maps.
type StateIDs struct{ N int }

// Inputs is N.
func (c StateIDs) Inputs() int { return c.N }

// Active is the state's ID; nothing when the ID is N or more.
func (c StateIDs) Active(b *Board, s *grid.State, buf []int32) []int32 {
	id := b.Level.StateID(s)
	if id >= uint64(c.N) {
		return buf
	}
	return append(buf, int32(id))
}

// Softmax is a reactive policy: it maps what it sees straight to action
// probabilities,
//
//	π(a | x) = exp(z_a) / Σ_b exp(z_b),  z_a = W_a · φ(x) + W_a,bias,
//
// with φ the binary inputs of its Encoder. It runs no search and has no Σ_x, g_x
// or φ of its own: it is a [mesalab.System], not a [mesalab.Mesa]. With a [Window]
// encoder it is the linear softmax policy on the egocentric window; with a
// [StateIDs] encoder it is a tabular softmax policy (one logit per state and
// action, plus a shared action bias).
//
// W is input-major: weight W_a,i is W[i·NumActions + a], and the bias row is
// i = Inputs(), so the NumActions weights of one input are adjacent.
type Softmax struct {
	Enc Encoder
	W   []float64
}

// NewSoftmax returns the policy with all weights zero (uniform actions).
func NewSoftmax(enc Encoder) *Softmax {
	return &Softmax{Enc: enc, W: make([]float64, SoftmaxDim(enc))}
}

// SoftmaxDim is the number of weights of a softmax policy on enc.
func SoftmaxDim(enc Encoder) int { return int(grid.NumActions) * (enc.Inputs() + 1) }

// logits writes z_a for the active inputs.
func logits(w []float64, n int, active []int32, z *[grid.NumActions]float64) {
	const A = int(grid.NumActions)
	bias := w[n*A : n*A+A]
	z0, z1, z2, z3 := bias[0], bias[1], bias[2], bias[3]
	for _, i := range active {
		r := w[int(i)*A : int(i)*A+A]
		z0 += r[0]
		z1 += r[1]
		z2 += r[2]
		z3 += r[3]
	}
	*z = [grid.NumActions]float64{z0, z1, z2, z3}
}

// Probs returns π(· | x).
func (p *Softmax) Probs(x Situation) [grid.NumActions]float64 {
	var z [grid.NumActions]float64
	active := p.Enc.Active(x.Board, &x.State, nil)
	logits(p.W, p.Enc.Inputs(), active, &z)
	base.Softmax(z[:], z[:])
	return z
}

// Act returns the most probable action (the lowest on ties).
func (p *Softmax) Act(x Situation) grid.Action {
	pr := p.Probs(x)
	best := 0
	for a := 1; a < len(pr); a++ {
		if pr[a] > pr[best] {
			best = a
		}
	}
	return grid.Action(best)
}

// Check reports weights of the wrong length or that are not finite.
func (p *Softmax) Check() error {
	if len(p.W) != SoftmaxDim(p.Enc) {
		return fmt.Errorf("softmax policy: %d weights, want %d", len(p.W), SoftmaxDim(p.Enc))
	}
	for i, v := range p.W {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("softmax policy: weight %d = %v, want a finite number", i, v)
		}
	}
	return nil
}

// trace holds one episode's steps for the policy-gradient sums.
type trace struct {
	active  []int32
	offsets []int
	actions []grid.Action
	probs   [][grid.NumActions]float64
	rewards []float64
}

var traces = sync.Pool{New: func() any { return new(trace) }}

// Episode is the result of one episode of a reactive policy.
type Episode struct {
	Return, Performance   float64
	Steps                 int
	Terminated, Truncated bool
	Final                 grid.State
	End                   grid.Pos
	Actions               []grid.Action // the actions taken, one per step
}

// Play runs one episode on board b from the start state of seed with weights w
// (the policy's own W if nil). With r non-nil actions are sampled from π;
// otherwise the most probable action is taken.
func (p *Softmax) Play(b *Board, seed uint64, w []float64, r *rand.Rand) Episode {
	l := b.Level
	if w == nil {
		w = p.W
	}
	n := p.Enc.Inputs()
	s := l.Reset(seed)
	var ep Episode
	var buf [128]int32
	var z [grid.NumActions]float64
	for !s.Done() {
		active := p.Enc.Active(b, &s, buf[:0])
		logits(w, n, active, &z)
		base.Softmax(z[:], z[:])
		var a int
		if r != nil {
			a = base.Sample(z[:], r)
		} else {
			for b := 1; b < len(z); b++ {
				if z[b] > z[a] {
					a = b
				}
			}
		}
		o := l.Step(&s, grid.Action(a))
		ep.Actions = append(ep.Actions, grid.Action(a))
		ep.Return += o.Reward
		ep.Performance += o.Performance
	}
	ep.Steps = s.Steps()
	ep.Terminated, ep.Truncated = s.Terminated(), s.Truncated()
	ep.Final = s
	ep.End = l.Agent(&s)
	return ep
}

// Rollout plays one episode on board b with weights theta, sampling actions from r, and
// adds the REINFORCE sums of [base.Rollout] to gRet and gLog: for every step t,
// G_t·∇ log π(a_t|x_t) and ∇ log π(a_t|x_t), where
//
//	∂ log π(a_t|x) / ∂W_b,i = (1[b = a_t] − π(b|x))·φ_i(x)   (φ_bias = 1).
//
// It returns the episode's visible return.
func (p *Softmax) Rollout(b *Board, seed uint64, theta []float64, r *rand.Rand, gRet, gLog []float64) float64 {
	l := b.Level
	tr := traces.Get().(*trace)
	defer traces.Put(tr)
	tr.active, tr.offsets, tr.actions, tr.probs, tr.rewards = tr.active[:0], tr.offsets[:0], tr.actions[:0], tr.probs[:0], tr.rewards[:0]
	n := p.Enc.Inputs()
	s := l.Reset(seed)
	var z [grid.NumActions]float64
	for !s.Done() {
		start := len(tr.active)
		tr.active = p.Enc.Active(b, &s, tr.active)
		tr.offsets = append(tr.offsets, start)
		logits(theta, n, tr.active[start:], &z)
		base.Softmax(z[:], z[:])
		a := base.Sample(z[:], r)
		o := l.Step(&s, grid.Action(a))
		tr.actions = append(tr.actions, grid.Action(a))
		tr.probs = append(tr.probs, z)
		tr.rewards = append(tr.rewards, o.Reward)
	}
	T := len(tr.actions)
	tr.offsets = append(tr.offsets, len(tr.active))
	const A = int(grid.NumActions)
	var G, total float64
	for t := T - 1; t >= 0; t-- {
		G += tr.rewards[t]
		var d [A]float64
		for b := range d {
			d[b] = -tr.probs[t][b]
		}
		d[tr.actions[t]]++
		gd := [A]float64{G * d[0], G * d[1], G * d[2], G * d[3]}
		add := func(i int) {
			r, l := gRet[i*A:i*A+A], gLog[i*A:i*A+A]
			r[0] += gd[0]
			r[1] += gd[1]
			r[2] += gd[2]
			r[3] += gd[3]
			l[0] += d[0]
			l[1] += d[1]
			l[2] += d[2]
			l[3] += d[3]
		}
		add(n)
		for _, i := range tr.active[tr.offsets[t]:tr.offsets[t+1]] {
			add(int(i))
		}
	}
	for _, rw := range tr.rewards {
		total += rw
	}
	return total
}
