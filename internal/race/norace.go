//go:build !race

// Package race reports whether the race detector is compiled in, so that tests
// which count allocations can skip themselves: the race runtime allocates on its own
// schedule, which makes allocation counts vary between runs.
package race

// Enabled is true when built with -race.
const Enabled = false
