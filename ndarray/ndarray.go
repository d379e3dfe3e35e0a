// Package ndarray reads the numeric arrays researchers bring — NumPy .npy files,
// JSON nested lists and CSV tables — into dense float64 arrays in C order, with
// strict validation: every error names the file and the place (the element index,
// or line:column in a text file) and says what was expected.
//
// Limits hold for every format, so a malformed or hostile file cannot ask for
// absurd memory: at most [MaxElements] elements and [MaxDims] dimensions, .npy
// headers of at most [MaxHeader] bytes, and text files of at most [MaxTextBytes].
// NaN and ±Inf are rejected: a comparison of rewards has no use for them.
package ndarray

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Limits on what a reader accepts.
const (
	MaxElements  = 1 << 28 // elements in one array (2 GiB of float64)
	MaxDims      = 16      // dimensions of one array
	MaxHeader    = 1 << 16 // bytes of a .npy header
	MaxTextBytes = 1 << 30 // bytes of a .json or .csv file
)

// Array is a dense array of float64 in C (row-major) order: the element at index
// (i₀, …, i_{k−1}) is Data[((i₀·Shape[1] + i₁)·Shape[2] + …) + i_{k−1}].
type Array struct {
	Shape []int
	Data  []float64
}

// Size returns the number of elements, the product of the shape.
func (a *Array) Size() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// Error is a malformed input: the file, the place in it when there is one, and
// what is wrong.
type Error struct {
	File string // the name the input was read under
	Line int    // 1-based line of a text file, 0 if none
	Col  int    // 1-based column (byte) within the line, 0 if none
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func errorf(file string, format string, a ...any) *Error {
	return &Error{File: file, Msg: fmt.Sprintf(format, a...)}
}

// ReadFile reads an array from path, choosing the format by extension: .npy,
// .json or .csv.
func ReadFile(path string) (*Array, error) {
	ext := strings.ToLower(filepath.Ext(path))
	read, ok := map[string]func(io.Reader, string) (*Array, error){
		".npy": ReadNPY, ".json": ReadJSON, ".csv": ReadCSV,
	}[ext]
	if !ok {
		return nil, errorf(path, "unknown array format %q: want .npy, .json or .csv", ext)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return read(f, path)
}

// checkShape bounds a shape read from a file.
func checkShape(file string, shape []int) (int, error) {
	if len(shape) > MaxDims {
		return 0, errorf(file, "array has %d dimensions, more than the limit %d", len(shape), MaxDims)
	}
	n := 1
	for i, d := range shape {
		if d <= 0 {
			return 0, errorf(file, "dimension %d has length %d: want at least 1 (empty arrays hold nothing to compare)", i, d)
		}
		if d > MaxElements || n > MaxElements/d {
			return 0, errorf(file, "array of shape %v has more than %d elements", shape, MaxElements)
		}
		n *= d
	}
	return n, nil
}

// checkFinite rejects NaN and ±Inf, naming the first one by its index.
func checkFinite(file string, a *Array) error {
	for i, x := range a.Data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return errorf(file, "element %v is %v: want a finite number", unravel(i, a.Shape), x)
		}
	}
	return nil
}

func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = i % shape[k]
		i /= shape[k]
	}
	return idx
}

// readText reads a whole text input, bounded by MaxTextBytes.
func readText(r io.Reader, file string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxTextBytes+1))
	if err != nil {
		return nil, errorf(file, "reading: %v", err)
	}
	if len(b) > MaxTextBytes {
		return nil, errorf(file, "file is larger than the limit of %d bytes", MaxTextBytes)
	}
	return b, nil
}
