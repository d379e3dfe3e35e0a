//go:build !linux

package grid

import "testing"

type cpuTimer struct{}

func startCPU(*testing.B) cpuTimer { return cpuTimer{} }
func (cpuTimer) stop() float64     { return 0 }
