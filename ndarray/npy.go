package ndarray

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

// ReadNPY reads a NumPy .npy array (format versions 1.0, 2.0 and 3.0) of dtype
// float32 or float64 in either byte order ('<f4', '>f4', '<f8', '>f8'; '|' and
// '=' are not accepted for floats) and either memory order (fortran_order True
// or False). Fortran-order data is transposed into C order. name names the
// input in errors. Data beyond the array, a truncated file, a malformed header,
// any other dtype, NaN or ±Inf are errors.
//
// The format (numpy.lib.format): the magic "\x93NUMPY", major and minor version
// bytes, the header length (uint16 little-endian in 1.0, uint32 in 2.0 and 3.0),
// then the header, an ASCII (UTF-8 in 3.0) Python dict literal
// {'descr': …, 'fortran_order': …, 'shape': (…), } ended by a newline, then the
// raw data.
func ReadNPY(r io.Reader, name string) (*Array, error) {
	var pre [10]byte
	if n, err := io.ReadFull(r, pre[:8]); err != nil {
		if n == 0 {
			return nil, errorf(name, "empty file: want a .npy array")
		}
		return nil, errorf(name, "truncated .npy preamble (%d bytes)", n)
	}
	if string(pre[:6]) != npyMagic {
		return nil, errorf(name, "not a .npy file: missing the magic string \\x93NUMPY")
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch {
	case major == 1 && minor == 0:
		if _, err := io.ReadFull(r, pre[8:10]); err != nil {
			return nil, errorf(name, "truncated .npy header length")
		}
		hlen = int(binary.LittleEndian.Uint16(pre[8:10]))
	case (major == 2 || major == 3) && minor == 0:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return nil, errorf(name, "truncated .npy header length")
		}
		h := binary.LittleEndian.Uint32(l[:])
		if h > MaxHeader {
			return nil, errorf(name, ".npy header of %d bytes exceeds the limit %d", h, MaxHeader)
		}
		hlen = int(h)
	default:
		return nil, errorf(name, "unsupported .npy format version %d.%d: want 1.0, 2.0 or 3.0", major, minor)
	}
	header := make([]byte, hlen)
	if n, err := io.ReadFull(r, header); err != nil {
		return nil, errorf(name, "truncated .npy header: %d of %d bytes", n, hlen)
	}
	h, err := parseHeader(header)
	if err != nil {
		return nil, errorf(name, "malformed .npy header: %v", err)
	}
	var size int
	switch h.descr[1:] {
	case "f8":
		size = 8
	case "f4":
		size = 4
	}
	if size == 0 || (h.descr[0] != '<' && h.descr[0] != '>') {
		return nil, errorf(name, "unsupported dtype %q: want float64 ('<f8', '>f8') or float32 ('<f4', '>f4')", h.descr)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if h.descr[0] == '>' {
		order = binary.BigEndian
	}
	n, err := checkShape(name, h.shape)
	if err != nil {
		return nil, err
	}
	// Read in bounded chunks so memory follows the bytes actually present.
	want := int64(n) * int64(size)
	raw, err := readExactly(r, want)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errorf(name, "truncated .npy data: %d of %d bytes for shape %v of %s", len(raw), want, h.shape, h.descr)
		}
		return nil, errorf(name, "reading .npy data: %v", err)
	}
	var extra [1]byte
	if k, _ := io.ReadFull(r, extra[:]); k > 0 {
		return nil, errorf(name, "data continues after the %d bytes of shape %v of %s", want, h.shape, h.descr)
	}
	a := &Array{Shape: h.shape, Data: make([]float64, n)}
	for i := range n {
		if size == 8 {
			a.Data[i] = math.Float64frombits(order.Uint64(raw[i*8:]))
		} else {
			a.Data[i] = float64(math.Float32frombits(order.Uint32(raw[i*4:])))
		}
	}
	if h.fortran && len(h.shape) > 1 {
		a.Data = fortranToC(a.Data, h.shape)
	}
	if err := checkFinite(name, a); err != nil {
		return nil, err
	}
	return a, nil
}

// readExactly reads n bytes, growing its buffer by at most 1 MiB at a time.
func readExactly(r io.Reader, n int64) ([]byte, error) {
	const step = 1 << 20
	buf := make([]byte, 0, min(n, step))
	for int64(len(buf)) < n {
		k := int(min(n-int64(len(buf)), step))
		start := len(buf)
		buf = append(buf, make([]byte, k)...)
		got, err := io.ReadFull(r, buf[start:])
		if err != nil {
			buf = buf[:start+got]
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
	}
	return buf, nil
}

// fortranToC reorders column-major data into row-major.
func fortranToC(f []float64, shape []int) []float64 {
	c := make([]float64, len(f))
	k := len(shape)
	idx := make([]int, k)
	for i := range c {
		// i is the C-order position of idx; find its Fortran position.
		pos, stride := 0, 1
		for d := range k {
			pos += idx[d] * stride
			stride *= shape[d]
		}
		c[i] = f[pos]
		for d := k - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return c
}

type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseHeader reads the Python dict literal of a .npy header: exactly the keys
// 'descr' (a string), 'fortran_order' (True or False) and 'shape' (a tuple of
// non-negative integers), in any order, with an optional trailing comma.
func parseHeader(b []byte) (npyHeader, error) {
	var h npyHeader
	s := strings.TrimRight(string(b), " \t\r\n\x00")
	p := &dictParser{s: s}
	if !p.eat('{') {
		return h, p.fail("want '{' at the start of the header dict")
	}
	seen := map[string]bool{}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, err
		}
		if seen[key] {
			return h, p.fail("key '" + key + "' given twice")
		}
		seen[key] = true
		p.space()
		if !p.eat(':') {
			return h, p.fail("want ':' after key '" + key + "'")
		}
		p.space()
		switch key {
		case "descr":
			if h.descr, err = p.str(); err != nil {
				return h, err
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
				h.fortran = false
			default:
				return h, p.fail("want True or False for 'fortran_order'")
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return h, err
			}
		default:
			return h, p.fail("unexpected key '" + key + "' (want 'descr', 'fortran_order', 'shape')")
		}
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat('}') {
			return h, p.fail("want ',' or '}' after the value of '" + key + "'")
		}
		break
	}
	p.space()
	if p.i != len(p.s) {
		return h, p.fail("unexpected text after the header dict")
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, errors.New("missing key '" + k + "'")
		}
	}
	if len(h.descr) < 2 {
		return h, errors.New("dtype description '" + h.descr + "' is too short")
	}
	return h, nil
}

type dictParser struct {
	s string
	i int
}

func (p *dictParser) fail(msg string) error {
	return errors.New(msg + " (at byte " + strconv.Itoa(p.i) + " of the header)")
}

func (p *dictParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *dictParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *dictParser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a quoted string without escapes ('…' or "…").
func (p *dictParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.fail("want a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.fail("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsAny(v, "\\\n") {
		return "", p.fail("unexpected escape or newline in a string")
	}
	p.i += end + 2
	return v, nil
}

// tuple reads (d0, d1, …) with an optional trailing comma; () is a scalar.
func (p *dictParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, p.fail("want '(' to start 'shape'")
	}
	shape := []int{}
	for {
		p.space()
		if p.eat(')') {
			return shape, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == start {
			return nil, p.fail("want a non-negative integer in 'shape'")
		}
		if p.i-start > 12 {
			return nil, p.fail("dimension " + p.s[start:p.i] + " is absurdly large")
		}
		d, _ := strconv.Atoi(p.s[start:p.i])
		p.eat('L') // a Python 2 long literal, as old numpy wrote
		shape = append(shape, d)
		if len(shape) > MaxDims {
			return nil, p.fail("more than " + strconv.Itoa(MaxDims) + " dimensions")
		}
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat(')') {
			return nil, p.fail("want ',' or ')' in 'shape'")
		}
		return shape, nil
	}
}

// WriteNPY writes a as a version 1.0 .npy file of little-endian float64 in C
// order, the form numpy.save writes for a float64 array.
func WriteNPY(w io.Writer, a *Array) error {
	var dims []string
	for _, d := range a.Shape {
		dims = append(dims, strconv.Itoa(d))
	}
	shape := strings.Join(dims, ", ")
	if len(a.Shape) == 1 {
		shape += ","
	}
	header := "{'descr': '<f8', 'fortran_order': False, 'shape': (" + shape + "), }"
	// Pad so that magic + version + length + header is a multiple of 64.
	total := len(npyMagic) + 2 + 2 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	var buf bytes.Buffer
	buf.WriteString(npyMagic)
	buf.Write([]byte{1, 0})
	var l [2]byte
	binary.LittleEndian.PutUint16(l[:], uint16(len(header)))
	buf.Write(l[:])
	buf.WriteString(header)
	var x [8]byte
	for _, v := range a.Data {
		binary.LittleEndian.PutUint64(x[:], math.Float64bits(v))
		buf.Write(x[:])
	}
	_, err := w.Write(buf.Bytes())
	return err
}
