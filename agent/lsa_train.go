package agent

import (
	"fmt"
	"math/rand/v2"

	"github.com/mesalab/mesalab/base"
	"github.com/mesalab/mesalab/internal/parallel"
	"github.com/mesalab/mesalab/task/icl"
)

// ReferenceAdam returns Adam with the reference's β₁ = 0.9, β₂ = 0.98, ε = 1e-8 and
// learning rate lr (von Oswald et al. 2023, as in shared/reference).
func ReferenceAdam(lr float64) base.Adam {
	return base.Adam{Alpha: lr, Beta1: 0.9, Beta2: 0.98, Eps: 1e-8}
}

// TrainChunk is the number of tasks per unit of parallel work. It is fixed, not
// derived from the number of cores: every chunk draws its tasks from its own
// stream and sums its own partial gradient, and the partial gradients are added in
// chunk order, so a step gives the same bits whatever GOMAXPROCS is.
const TrainChunk = 64

// Trainer trains an LSA by Adam on fresh tasks every step, minimising the batch
// mean of ½(ŷ − y_q)².
type Trainer struct {
	Model *LSA
	tasks *icl.Distribution
	batch int
	opt   base.Adam
	seed  uint64
	step  uint64

	chunks     []trainChunk
	gA, gB     []float64 // products' gradients, summed over chunks
	grad       []float64 // parameters' gradient
	prodA      []float64 // shared products of the current weights
	prodB      []float64
	runChunkFn func(c, lo, hi int)
}

type trainChunk struct {
	src    *rand.PCG
	rng    *rand.Rand
	task   *icl.Task
	ws     *LSAWorkspace
	gA, gB []float64
	loss   float64
}

// NewTrainer prepares training of m on tasks with batch size batch, optimiser opt
// and seed. The model's input dimension must be the tasks' d.
func NewTrainer(m *LSA, tasks *icl.Distribution, batch int, opt base.Adam, seed uint64) (*Trainer, error) {
	if m.Dim != tasks.Spec().D {
		return nil, fmt.Errorf("agent: LSA of input dimension %d trained on tasks of d = %d", m.Dim, tasks.Spec().D)
	}
	if batch < 1 || batch > 1<<20 {
		return nil, fmt.Errorf("agent: batch = %d, want 1 … %d", batch, 1<<20)
	}
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	D := m.Dim + 1
	KDD := m.Layers * D * D
	tr := &Trainer{Model: m, tasks: tasks, batch: batch, opt: opt, seed: seed,
		gA: make([]float64, KDD), gB: make([]float64, KDD), grad: make([]float64, len(m.Params))}
	tr.prodA, tr.prodB = m.Products(nil, nil)
	tr.chunks = make([]trainChunk, parallel.NumChunks(batch, TrainChunk))
	for c := range tr.chunks {
		src := rand.NewPCG(0, 0)
		ws := m.NewWorkspace()
		ws.A, ws.B = tr.prodA, tr.prodB
		tr.chunks[c] = trainChunk{src: src, rng: rand.New(src), task: icl.NewTask(tasks.Spec()), ws: ws,
			gA: make([]float64, KDD), gB: make([]float64, KDD)}
	}
	tr.runChunkFn = tr.runChunk
	return tr, nil
}

// Steps returns the number of steps taken.
func (tr *Trainer) Steps() int { return int(tr.step) }

// mix is the SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014), used to
// derive independent stream seeds from (seed, step, chunk).
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (tr *Trainer) runChunk(c, lo, hi int) {
	ch := &tr.chunks[c]
	ch.src.Seed(mix(tr.seed^mix(tr.step)), mix(uint64(c)+0x5eed))
	clear(ch.gA)
	clear(ch.gB)
	ch.loss = 0
	for range hi - lo {
		tr.tasks.SampleInto(ch.rng, ch.task)
		ch.loss += ch.ws.addGradient(ch.task, ch.gA, ch.gB)
	}
}

// Step draws a fresh batch, takes one Adam step and returns the batch's mean
// ½(ŷ − y_q)² before the step. The per-task work does not allocate; the only
// allocations are the few goroutine handles of internal/parallel, a constant per
// step whatever the batch size.
func (tr *Trainer) Step() float64 {
	tr.Model.Products(tr.prodA, tr.prodB)
	parallel.Chunks(tr.batch, TrainChunk, tr.runChunkFn)
	clear(tr.gA)
	clear(tr.gB)
	var loss float64
	for c := range tr.chunks {
		ch := &tr.chunks[c]
		loss += ch.loss
		for i, g := range ch.gA {
			tr.gA[i] += g
		}
		for i, g := range ch.gB {
			tr.gB[i] += g
		}
	}
	inv := 1 / float64(tr.batch)
	for i := range tr.gA {
		tr.gA[i] *= inv
		tr.gB[i] *= inv
	}
	tr.Model.chain(tr.gA, tr.gB, tr.grad)
	tr.opt.Descend(tr.Model.Params, tr.grad)
	tr.step++
	return loss * inv
}

// SetLearningRate changes Adam's learning rate for the following steps (a
// schedule).
func (tr *Trainer) SetLearningRate(lr float64) { tr.opt.Alpha = lr }
