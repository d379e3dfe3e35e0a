package ndarray

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
)

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(b []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(b)))
	line := 1 + bytes.Count(b[:off], []byte{'\n'})
	col := int(off) - (bytes.LastIndexByte(b[:off], '\n') + 1) + 1
	return line, col
}

// ReadJSON reads a JSON nested list of numbers, such as [[1, 2], [3, 4]], as an
// array whose shape is the nesting: every list at one depth must have the same
// length (no ragged lists), lists must not be empty, and the leaves must be
// numbers within float64 range. Errors give line:column. name names the input.
func ReadJSON(r io.Reader, name string) (*Array, error) {
	b, err := readText(r, name)
	if err != nil {
		return nil, err
	}
	at := func(off int64, format string, a ...any) error {
		// Point at the start of the token that ends at off.
		e := errorf(name, format, a...)
		e.Line, e.Col = lineCol(b, off)
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var (
		shape  []int // length of the lists at each depth, 0 until known
		rank   = -1  // depth of the numbers, once the first is seen
		counts []int // elements so far in each open list
		data   []float64
		closed bool
	)
	for {
		start := dec.InputOffset()
		for start < int64(len(b)) && strings.IndexByte(" \t\r\n,:", b[start]) >= 0 {
			start++
		}
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return nil, at(se.Offset, "malformed JSON: %v", se)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, at(int64(len(b)), "malformed JSON: unexpected end of input")
			}
			return nil, at(start, "malformed JSON: %v", err)
		}
		if closed {
			return nil, at(start, "unexpected data after the array")
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '[':
				if rank >= 0 && len(counts) >= rank {
					return nil, at(start, "ragged array: a list at depth %d where numbers are (as at the first number)", len(counts))
				}
				if len(counts) > 0 {
					counts[len(counts)-1]++
				}
				if len(counts) >= MaxDims {
					return nil, at(start, "lists nested deeper than the limit of %d dimensions", MaxDims)
				}
				counts = append(counts, 0)
			case ']':
				c := counts[len(counts)-1]
				counts = counts[:len(counts)-1]
				d := len(counts)
				if c == 0 {
					return nil, at(start, "empty list at depth %d: arrays must not be empty", d)
				}
				for len(shape) <= d {
					shape = append(shape, 0)
				}
				if shape[d] == 0 {
					shape[d] = c
				} else if shape[d] != c {
					return nil, at(start, "ragged array: a list at depth %d has %d elements, an earlier one %d", d, c, shape[d])
				}
				if len(counts) == 0 {
					closed = true
				}
			default:
				return nil, at(start, "want a number or a list, got an object")
			}
		case json.Number:
			if len(counts) == 0 {
				return nil, at(start, "want a nested list of numbers, got a single number")
			}
			if rank < 0 {
				rank = len(counts)
			} else if len(counts) != rank {
				return nil, at(start, "ragged array: a number at depth %d, but the first number is at depth %d", len(counts), rank)
			}
			x, err := strconv.ParseFloat(string(t), 64)
			if err != nil || math.IsInf(x, 0) {
				return nil, at(start, "number %s is out of float64 range", t)
			}
			if len(data) >= MaxElements {
				return nil, at(start, "more than %d elements", MaxElements)
			}
			counts[len(counts)-1]++
			data = append(data, x)
		default:
			return nil, at(start, "want a number or a list, got %v", tokenKind(tok))
		}
	}
	if !closed {
		if len(b) == 0 || len(bytes.TrimSpace(b)) == 0 {
			return nil, errorf(name, "empty file: want a JSON nested list of numbers")
		}
		return nil, at(int64(len(b)), "malformed JSON: unexpected end of input")
	}
	if rank < 0 {
		return nil, errorf(name, "the lists hold no numbers")
	}
	shape = shape[:rank]
	if _, err := checkShape(name, shape); err != nil {
		return nil, err
	}
	return &Array{Shape: shape, Data: data}, nil
}

func tokenKind(t json.Token) string {
	switch t.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "an unexpected token"
}

// ReadCSV reads a CSV table of numbers: rows are lines, columns are
// comma-separated fields (quoted fields are allowed; spaces around a number are
// ignored; lines starting with '#' are comments). Every row must have the same
// number of fields. A table of one row or one column is a 1-D array, otherwise
// it is 2-D (rows, columns). A first line "# shape: d0, d1, …" instead gives the
// shape of an array of any rank whose elements the table lists in C order.
// Errors give line:column. name names the input.
func ReadCSV(r io.Reader, name string) (*Array, error) {
	b, err := readText(r, name)
	if err != nil {
		return nil, err
	}
	declared, err := csvShape(b, name)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var (
		data       []float64
		rows, cols int
		firstLine  int
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &Error{File: name, Line: pe.Line, Col: pe.Column, Msg: "malformed CSV: " + pe.Err.Error()}
			}
			return nil, errorf(name, "reading CSV: %v", err)
		}
		line, _ := cr.FieldPos(0)
		if rows == 0 {
			cols, firstLine = len(rec), line
		} else if len(rec) != cols {
			l, c := cr.FieldPos(min(len(rec), cols) - 1)
			if len(rec) > cols {
				l, c = cr.FieldPos(cols)
			}
			return nil, &Error{File: name, Line: l, Col: c,
				Msg: "ragged table: row has " + strconv.Itoa(len(rec)) + " fields, want " + strconv.Itoa(cols) + " (as on line " + strconv.Itoa(firstLine) + ")"}
		}
		for i, f := range rec {
			l, c := cr.FieldPos(i)
			x, err := parseField(f)
			if err != nil {
				return nil, &Error{File: name, Line: l, Col: c, Msg: err.Error()}
			}
			if len(data) >= MaxElements {
				return nil, &Error{File: name, Line: l, Col: c, Msg: "more than " + strconv.Itoa(MaxElements) + " elements"}
			}
			data = append(data, x)
		}
		rows++
	}
	if rows == 0 {
		return nil, errorf(name, "no data: want a table of numbers")
	}
	shape := []int{rows, cols}
	switch {
	case declared != nil:
		n, err := checkShape(name, declared)
		if err != nil {
			return nil, err
		}
		if n != len(data) {
			return nil, &Error{File: name, Line: 1, Msg: "declared shape " + fmtShape(declared) + " has " + strconv.Itoa(n) +
				" elements, but the table has " + strconv.Itoa(len(data)) + " (" + strconv.Itoa(rows) + " rows × " + strconv.Itoa(cols) + " columns)"}
		}
		shape = declared
	case rows == 1:
		shape = []int{cols}
	case cols == 1:
		shape = []int{rows}
	}
	return &Array{Shape: shape, Data: data}, nil
}

func parseField(f string) (float64, error) {
	s := strings.TrimSpace(f)
	if s == "" {
		return 0, errors.New("empty field: want a number")
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return 0, errors.New(strconv.Quote(s) + " is out of float64 range")
		}
		return 0, errors.New(strconv.Quote(s) + " is not a number (the table must hold numbers only; put a header in a # comment)")
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, errors.New(strconv.Quote(s) + " is not finite: want a finite number")
	}
	return x, nil
}

// csvShape reads a "# shape: d0, d1, …" first line; nil when there is none.
func csvShape(b []byte, name string) ([]int, error) {
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	s := strings.TrimSpace(string(line))
	if !strings.HasPrefix(s, "#") {
		return nil, nil
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "#"))
	rest, ok := strings.CutPrefix(strings.ToLower(s), "shape")
	if !ok {
		return nil, nil
	}
	rest = strings.TrimSpace(rest)
	if rest == "" || (rest[0] != ':' && rest[0] != '=') {
		return nil, &Error{File: name, Line: 1, Msg: "malformed shape declaration: want \"# shape: d0, d1, …\""}
	}
	rest = strings.Trim(strings.TrimSpace(rest[1:]), "()[]")
	fields := strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == 'x' || r == '\t' })
	if len(fields) == 0 {
		return nil, &Error{File: name, Line: 1, Msg: "malformed shape declaration: no dimensions"}
	}
	if len(fields) > MaxDims {
		return nil, &Error{File: name, Line: 1, Msg: "shape declaration has more than " + strconv.Itoa(MaxDims) + " dimensions"}
	}
	shape := make([]int, len(fields))
	for i, f := range fields {
		d, err := strconv.Atoi(f)
		if err != nil || d <= 0 || d > MaxElements {
			return nil, &Error{File: name, Line: 1, Msg: "malformed shape declaration: dimension " + strconv.Quote(f) + " is not a positive integer within bounds"}
		}
		shape[i] = d
	}
	return shape, nil
}

func fmtShape(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
