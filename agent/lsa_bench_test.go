package agent

import (
	"math/rand/v2"
	"testing"

	"github.com/mesalab/mesalab/task/icl"
)

// BenchmarkTrainerStep measures one Adam step of a one-layer LSA on the reference
// tasks (batch 2048, sampling included) and reports task-steps per second:
//
//	go test -run '^$' -bench TrainerStep -benchmem -count 6 ./agent
func BenchmarkTrainerStep(b *testing.B) {
	for _, layers := range []int{1, 2} {
		b.Run(map[int]string{1: "layers=1", 2: "layers=2"}[layers], func(b *testing.B) {
			dist, err := icl.NewDistribution("train", icl.Reference())
			if err != nil {
				b.Fatal(err)
			}
			m, err := NewLSA(10, layers)
			if err != nil {
				b.Fatal(err)
			}
			m.Init(rand.New(rand.NewPCG(1, 1)), InitStd)
			const batch = 2048
			tr, err := NewTrainer(m, dist, batch, ReferenceAdam(1e-3), 1)
			if err != nil {
				b.Fatal(err)
			}
			tr.Step()
			b.ReportAllocs()
			for b.Loop() {
				tr.Step()
			}
			b.ReportMetric(float64(b.N)*batch/b.Elapsed().Seconds(), "task-steps/s")
		})
	}
}

// BenchmarkTaskGradient measures the forward and backward pass of one task on one
// core (no sampling):
//
//	go test -run '^$' -bench TaskGradient -benchmem -count 6 ./agent
func BenchmarkTaskGradient(b *testing.B) {
	for _, layers := range []int{1, 2, 3} {
		b.Run("layers="+string(rune('0'+layers)), func(b *testing.B) {
			m, err := NewLSA(10, layers)
			if err != nil {
				b.Fatal(err)
			}
			m.Init(rand.New(rand.NewPCG(1, 1)), 0.1)
			tasks := sampleTasks(b, icl.Reference(), 64, 1)
			ws := m.NewWorkspace()
			D := 11
			gA, gB := make([]float64, layers*D*D), make([]float64, layers*D*D)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ws.addGradient(tasks[i%len(tasks)], gA, gB)
				i++
			}
		})
	}
}
