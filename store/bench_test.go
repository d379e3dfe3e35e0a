package store

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkPut stores one run (2 metrics, 4 per-seed metrics, 3 comparisons, a
// verdict) per iteration, each in its own transaction, on a file in the test's
// temporary directory.
func BenchmarkPut(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	res := result(1, 0.5)
	for b.Loop() {
		if _, err := db.Put(ctx, &Run{Result: res}); err != nil {
			b.Fatal(err)
		}
	}
}
