package ndarray

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// npyBytes builds a .npy file by the format's rules: version, header dict,
// padding to 64 bytes, then data of the dtype in descr ('<f8', '>f4', …) laid out
// in C or Fortran order from the C-order values.
func npyBytes(major byte, descr string, fortran bool, shape []int, c []float64) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	order := "False"
	if fortran {
		order = "True"
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }", descr, order, tuple)
	lenBytes := 2
	if major > 1 {
		lenBytes = 4
	}
	total := 6 + 2 + lenBytes + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	var buf bytes.Buffer
	buf.WriteString("\x93NUMPY")
	buf.Write([]byte{major, 0})
	if major > 1 {
		binary.Write(&buf, binary.LittleEndian, uint32(len(header)))
	} else {
		binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	}
	buf.WriteString(header)
	vals := c
	if fortran {
		vals = cToFortran(c, shape)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if descr[0] == '>' {
		bo = binary.BigEndian
	}
	for _, v := range vals {
		if descr[1:] == "f4" {
			binary.Write(&buf, bo, float32(v))
		} else {
			binary.Write(&buf, bo, v)
		}
	}
	return buf.Bytes()
}

// cToFortran is the inverse layout change, written independently of
// fortranToC: position of C index (i0, …) in Fortran order is Σ i_d·Π_{e<d} n_e.
func cToFortran(c []float64, shape []int) []float64 {
	f := make([]float64, len(c))
	for i := range c {
		rem, pos, stride := i, 0, 1
		idx := make([]int, len(shape))
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = rem % shape[d]
			rem /= shape[d]
		}
		for d := range shape {
			pos += idx[d] * stride
			stride *= shape[d]
		}
		f[pos] = c[i]
	}
	return f
}

func TestReadNPYVariants(t *testing.T) {
	shape := []int{2, 3, 4}
	c := make([]float64, 24)
	for i := range c {
		c[i] = float64(i)*0.25 - 3 // exact in float32 too
	}
	for _, major := range []byte{1, 2, 3} {
		for _, descr := range []string{"<f8", ">f8", "<f4", ">f4"} {
			for _, fortran := range []bool{false, true} {
				name := fmt.Sprintf("v%d %s fortran=%v", major, descr, fortran)
				a, err := ReadNPY(bytes.NewReader(npyBytes(major, descr, fortran, shape, c)), "x.npy")
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !reflect.DeepEqual(a.Shape, shape) || !reflect.DeepEqual(a.Data, c) {
					t.Fatalf("%s: got shape %v data %v", name, a.Shape, a.Data[:5])
				}
			}
		}
	}
	// 1-D and a float32 value that is not exact in binary.
	a, err := ReadNPY(bytes.NewReader(npyBytes(1, "<f4", false, []int{1}, []float64{0.1})), "x.npy")
	if err != nil || a.Data[0] != float64(float32(0.1)) {
		t.Fatalf("float32 0.1: %v %v", a, err)
	}
}

func TestReadNPYFixtures(t *testing.T) {
	// Checked-in files in numpy.save's exact layout.
	for _, tc := range []struct {
		file  string
		shape []int
		data  []float64
	}{
		{"c_f8_le.npy", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{"fortran_f4_be.npy", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
	} {
		a, err := ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Shape, tc.shape) || !reflect.DeepEqual(a.Data, tc.data) {
			t.Fatalf("%s: shape %v data %v", tc.file, a.Shape, a.Data)
		}
	}
}

func TestWriteNPYRoundTrip(t *testing.T) {
	in := &Array{Shape: []int{3, 2}, Data: []float64{1, -2.5, math.Pi, 0, 1e300, -1e-300}}
	var buf bytes.Buffer
	if err := WriteNPY(&buf, in); err != nil {
		t.Fatal(err)
	}
	if buf.Len()%64 != 48%64 && (buf.Len()-len(in.Data)*8)%64 != 0 {
		t.Fatalf("header not padded to 64 bytes: %d", buf.Len()-len(in.Data)*8)
	}
	out, err := ReadNPY(&buf, "rt.npy")
	if err != nil || !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip: %v, %v", out, err)
	}
}

func TestReadNPYErrors(t *testing.T) {
	good := npyBytes(1, "<f8", false, []int{2, 2}, []float64{1, 2, 3, 4})
	hdr := func(dict string) []byte {
		h := dict + "\n"
		b := []byte("\x93NUMPY\x01\x00")
		b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
		return append(b, h...)
	}
	nan := npyBytes(1, "<f8", false, []int{2}, []float64{1, math.NaN()})
	inf := npyBytes(1, ">f4", false, []int{1, 2}, []float64{math.Inf(-1), 1})
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"short", []byte("\x93NUM"), "truncated .npy preamble"},
		{"magic", []byte("PK\x03\x04zipfile!"), "missing the magic string"},
		{"version", []byte("\x93NUMPY\x04\x00\x10\x00"), "unsupported .npy format version 4.0"},
		{"header length", []byte("\x93NUMPY\x01\x00"), "truncated .npy header length"},
		{"truncated header", append([]byte("\x93NUMPY\x01\x00\x40\x00"), "{'descr'"...), "truncated .npy header: 8 of 64 bytes"},
		{"huge v2 header", []byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"), "exceeds the limit"},
		{"not a dict", hdr("['descr']"), "want '{'"},
		{"missing key", hdr("{'descr': '<f8', 'shape': (2,), }"), "missing key 'fortran_order'"},
		{"unknown key", hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}"), "unexpected key 'x'"},
		{"bad bool", hdr("{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }"), "want True or False"},
		{"bad shape", hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -1), }"), "want a non-negative integer"},
		{"zero dim", hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 0), }"), "dimension 1 has length 0"},
		{"absurd", hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000, 100000), }"), "more than 268435456 elements"},
		{"absurd digits", hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }"), "absurdly large"},
		{"int dtype", hdr("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }"), "unsupported dtype \"<i8\""},
		{"native order", hdr("{'descr': '|f8', 'fortran_order': False, 'shape': (2,), }"), "unsupported dtype \"|f8\""},
		{"object", hdr("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"), "unsupported dtype"},
		{"unterminated", hdr("{'descr': '<f8, 'fortran_order': False, 'shape': (2,), }"), "want ',' or '}' after the value of 'descr'"},
		{"trailing text", hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), } junk"), "unexpected text after"},
		{"truncated data", good[:len(good)-3], "truncated .npy data: 29 of 32 bytes"},
		{"extra data", append(append([]byte{}, good...), 0), "data continues after the 32 bytes"},
		{"NaN", nan, "element [1] is NaN"},
		{"Inf", inf, "element [0 0] is -Inf"},
	} {
		_, err := ReadNPY(bytes.NewReader(tc.in), "r.npy")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "r.npy: ") {
			t.Errorf("%s: error %v, want one starting with r.npy: and containing %q", tc.name, err, tc.want)
		}
	}
}

func TestReadJSON(t *testing.T) {
	for _, tc := range []struct {
		in    string
		shape []int
		data  []float64
	}{
		{"[1, 2.5, -3e2]", []int{3}, []float64{1, 2.5, -300}},
		{"[[1, 2, 3], [4, 5, 6]]", []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}},
		{" [[[1],[2]],[[3],[4]]]\n", []int{2, 2, 1}, []float64{1, 2, 3, 4}},
	} {
		a, err := ReadJSON(strings.NewReader(tc.in), "a.json")
		if err != nil || !reflect.DeepEqual(a.Shape, tc.shape) || !reflect.DeepEqual(a.Data, tc.data) {
			t.Errorf("%q: %v, %v; want shape %v data %v", tc.in, a, err, tc.shape, tc.data)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "a.json: empty file"},
		{"3", "a.json:1:1: want a nested list of numbers, got a single number"},
		{"[[1, 2],\n [3]]", "a.json:2:4: ragged array: a list at depth 1 has 1 elements, an earlier one 2"},
		{"[[1, 2], 3]", "a.json:1:10: ragged array: a number at depth 1"},
		{"[1, [2]]", "a.json:1:5: ragged array: a list at depth 1 where numbers are"},
		{"[1, \"x\"]", "a.json:1:5: want a number or a list, got a string"},
		{"[1, null]", "got null"},
		{"[{\"a\": 1}]", "got an object"},
		{"[]", "empty list at depth 0"},
		{"[1, 2", "unexpected end of input"},
		{"[1, 2,]", "a.json:1:7: malformed JSON"},
		{"[1e999]", "a.json:1:2: number 1e999 is out of float64 range"},
		{"[1] [2]", "a.json:1:5: unexpected data after the array"},
		{strings.Repeat("[", 20) + "1" + strings.Repeat("]", 20), "deeper than the limit of 16"},
	} {
		_, err := ReadJSON(strings.NewReader(tc.in), "a.json")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

func TestReadCSV(t *testing.T) {
	for _, tc := range []struct {
		in    string
		shape []int
		data  []float64
	}{
		{"1,2,3\n", []int{3}, []float64{1, 2, 3}},
		{"1\n2\n3", []int{3}, []float64{1, 2, 3}},
		{"# a comment\n1, 2\n 3 ,4\n", []int{2, 2}, []float64{1, 2, 3, 4}},
		{"# shape: 2, 1, 2\n1,2\n3,4\n", []int{2, 1, 2}, []float64{1, 2, 3, 4}},
		{"# shape: (4,)\n1,2\n3,4\n", []int{4}, []float64{1, 2, 3, 4}},
		{"\"1.5\",-2e-3\r\n3,4\r\n", []int{2, 2}, []float64{1.5, -0.002, 3, 4}},
	} {
		a, err := ReadCSV(strings.NewReader(tc.in), "t.csv")
		if err != nil || !reflect.DeepEqual(a.Shape, tc.shape) || !reflect.DeepEqual(a.Data, tc.data) {
			t.Errorf("%q: %v, %v; want shape %v data %v", tc.in, a, err, tc.shape, tc.data)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "t.csv: no data"},
		{"# only a comment\n", "no data"},
		{"1,2,3\n4,5\n", "t.csv:2:3: ragged table: row has 2 fields, want 3 (as on line 1)"},
		{"1,2\n3,4,5\n", "t.csv:2:5: ragged table: row has 3 fields, want 2"},
		{"1,2\n3,x\n", "t.csv:2:3: \"x\" is not a number"},
		{"a,b\n1,2\n", "t.csv:1:1: \"a\" is not a number (the table must hold numbers only"},
		{"1,,3\n", "t.csv:1:3: empty field"},
		{"1,NaN\n", "t.csv:1:3: \"NaN\" is not finite"},
		{"1,inf\n", "\"inf\" is not finite"},
		{"1,1e400\n", "out of float64 range"},
		{"1,\"2\n", "t.csv:1:6: malformed CSV: extraneous or missing \" in quoted-field"},
		{"# shape: 3\n1,2\n", "t.csv:1: declared shape (3) has 3 elements, but the table has 2"},
		{"# shape: two\n1,2\n", "not a positive integer"},
		{"# shape 2\n1,2\n", "malformed shape declaration"},
	} {
		_, err := ReadCSV(strings.NewReader(tc.in), "t.csv")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct{ name, body string }{
		{"a.json", "[[1,2],[3,4]]"},
		{"a.csv", "1,2\n3,4\n"},
	} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
		a, err := ReadFile(p)
		if err != nil || !reflect.DeepEqual(a.Shape, []int{2, 2}) {
			t.Fatalf("%s: %v %v", f.name, a, err)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "a.txt")); err == nil || !strings.Contains(err.Error(), "unknown array format \".txt\"") {
		t.Fatalf("unknown extension: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.npy")); err == nil {
		t.Fatal("missing file: no error")
	}
}

// checkRead is what every fuzz target asserts of a successful read: the shape is
// within limits, data matches it, every value is finite; and writing the array
// as .npy and reading it back gives it again.
func checkRead(t *testing.T, a *Array) {
	t.Helper()
	if len(a.Shape) > MaxDims {
		t.Fatalf("shape %v has too many dimensions", a.Shape)
	}
	n := 1
	for _, d := range a.Shape {
		if d <= 0 {
			t.Fatalf("shape %v has a non-positive dimension", a.Shape)
		}
		n *= d
	}
	if n != len(a.Data) || n > MaxElements {
		t.Fatalf("shape %v but %d elements", a.Shape, len(a.Data))
	}
	for i, x := range a.Data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatalf("element %d is %v", i, x)
		}
	}
	var buf bytes.Buffer
	if err := WriteNPY(&buf, a); err != nil {
		t.Fatal(err)
	}
	b, err := ReadNPY(&buf, "round-trip.npy")
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	if !reflect.DeepEqual(a.Shape, b.Shape) && !(len(a.Shape) == 0 && len(b.Shape) == 0) {
		t.Fatalf("round trip shape %v != %v", b.Shape, a.Shape)
	}
	for i := range a.Data {
		if math.Float64bits(a.Data[i]) != math.Float64bits(b.Data[i]) {
			t.Fatalf("round trip element %d: %v != %v", i, b.Data[i], a.Data[i])
		}
	}
}

func FuzzReadNPY(f *testing.F) {
	f.Add(npyBytes(1, "<f8", false, []int{2, 2}, []float64{1, 2, 3, 4}))
	f.Add(npyBytes(2, ">f4", true, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}))
	f.Add(npyBytes(3, "<f4", false, []int{1}, []float64{0.5}))
	f.Add([]byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ReadNPY(bytes.NewReader(b), "fuzz.npy")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.npy: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkRead(t, a)
	})
}

func FuzzReadCSV(f *testing.F) {
	f.Add("1,2\n3,4\n")
	f.Add("# shape: 2, 1, 2\n1,2\n3,4\n")
	f.Add("\"1\", 2\r\n#c\n3,4")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ReadCSV(strings.NewReader(s), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkRead(t, a)
	})
}

func FuzzReadJSON(f *testing.F) {
	f.Add("[[1, 2], [3, 4]]")
	f.Add("[1e-3, -2]")
	f.Add("[[[1]], [[2]]]")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ReadJSON(strings.NewReader(s), "fuzz.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		checkRead(t, a)
	})
}
