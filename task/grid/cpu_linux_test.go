package grid

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU returns the CPU time used by the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTimer reports, besides the wall-clock ns/op, the CPU time of the benchmark's
// own thread per operation ("cpu-ns/op"): the per-core cost, unaffected by other
// processes sharing the machine.
type cpuTimer struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) cpuTimer {
	runtime.LockOSThread()
	return cpuTimer{b, threadCPU()}
}

// stop reports cpu-ns/op and returns it (0 if unmeasured).
func (c cpuTimer) stop() float64 {
	d := threadCPU() - c.start
	runtime.UnlockOSThread()
	if d <= 0 || c.b.N == 0 {
		return 0
	}
	ns := float64(d.Nanoseconds()) / float64(c.b.N)
	c.b.ReportMetric(ns, "cpu-ns/op")
	return ns
}
