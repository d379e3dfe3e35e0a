package main

import (
	"io"
	"os"

	"github.com/mesalab/mesalab/experiment"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// isTerminal reports whether f is a character device (a terminal): progress bars
// are drawn only there.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress draws one mpb bar per unit of work on stderr.
type progress struct{ p *mpb.Progress }

func newProgress(w io.Writer) *progress {
	return &progress{p: mpb.New(mpb.WithOutput(w), mpb.WithAutoRefresh())}
}

// Bar adds a bar with a name, a counter, a percentage and an ETA.
func (p *progress) Bar(name string, total int) experiment.Bar {
	b := p.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d", decor.WCSyncSpace)),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" "), decor.AverageETA(decor.ET_STYLE_GO)),
		mpb.BarRemoveOnComplete(),
	)
	return mpbBar{b}
}

// Wait waits for the bars to finish drawing.
func (p *progress) Wait() { p.p.Wait() }

type mpbBar struct{ b *mpb.Bar }

func (m mpbBar) Increment() { m.b.Increment() }

// Done completes the bar even if fewer increments arrived than announced.
func (m mpbBar) Done() {
	if !m.b.Completed() {
		m.b.SetTotal(-1, true)
	}
}
