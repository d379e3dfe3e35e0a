package ndarray_test

import (
	"fmt"
	"strings"

	"github.com/mesalab/mesalab/ndarray"
)

func ExampleReadJSON() {
	a, err := ndarray.ReadJSON(strings.NewReader("[[0, 1], [2, 3], [4, 5]]"), "r.json")
	fmt.Println(a.Shape, a.Data, err)
	_, err = ndarray.ReadJSON(strings.NewReader("[[0, 1],\n [2]]"), "r.json")
	fmt.Println(err)
	// Output:
	// [3 2] [0 1 2 3 4 5] <nil>
	// r.json:2:4: ragged array: a list at depth 1 has 1 elements, an earlier one 2
}

func ExampleReadCSV() {
	a, err := ndarray.ReadCSV(strings.NewReader("# shape: 2, 1, 2\n1, 2\n3, 4\n"), "r.csv")
	fmt.Println(a.Shape, a.Data, err)
	_, err = ndarray.ReadCSV(strings.NewReader("1, 2\n3, NaN\n"), "r.csv")
	fmt.Println(err)
	// Output:
	// [2 1 2] [1 2 3 4] <nil>
	// r.csv:2:3: "NaN" is not finite: want a finite number
}
