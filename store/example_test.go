package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mesalab/mesalab/experiment"
	"github.com/mesalab/mesalab/store"
)

func ExampleDB_Put() {
	dir, _ := os.MkdirTemp("", "store-example-")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "mesalab.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	ctx := context.Background()
	res := &experiment.Result{Experiment: "toy", Seed: 1, Seeds: 1, Metrics: map[string]float64{"agreement": 0.75}}
	id, err := db.Put(ctx, &store.Run{Params: map[string]string{"episodes": "100"}, Result: res})
	if err != nil {
		fmt.Println(err)
		return
	}
	run, _ := db.Run(ctx, id)
	fmt.Println(run.ID, run.Experiment, run.Params, run.Result.Metrics)
	// Output: 1 toy map[episodes:100] map[agreement:0.75]
}
