// Package spec reads experiment spec files: an experiment, its parameters and
// seeds, and optionally a sweep over them, in YAML.
//
//	experiment: td0-3state       # a registered experiment (mesalab list)
//	name: exploration            # optional; names the sweep
//	seed: 1                      # base seed (default 1)
//	seeds: 4                     # seeds per run (default: the experiment's)
//	params:                      # the experiment's declared parameters
//	  episodes: 2000
//	sweep:                       # optional
//	  grid:                      # every combination of these values …
//	    epsilon: [0.1, 0.3]
//	    seed: {from: 1, to: 10}  # an integer range, inclusive
//	  list:                      # … crossed with each of these entries
//	    - {episodes: 500}
//	    - {episodes: 5000}
//
// Parsing is strict: an unknown field, an undeclared parameter, a value of the
// wrong kind or a duplicate key is an error giving the file, line, column and
// field (type [Error]). Numbers are kept in a canonical text form (0.10 and 0.1
// are the same value), so a point of a sweep has one key however it is written.
package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
	"github.com/mesalab/mesalab/experiment"
)

// MaxSize bounds a spec file, MaxPoints the points of its sweep.
const (
	MaxSize   = 1 << 20
	MaxPoints = 1_000_000
)

// Spec is a parsed, validated spec file.
type Spec struct {
	File       string // the file name errors are reported against
	Text       string // the file's content
	Experiment string
	Name       string
	Seed       uint64            // base seed; 1 when not given
	Seeds      int               // seeds per run; 0: the experiment's default
	Params     map[string]string // given parameters (declared by the experiment)
	Sweep      *Sweep            // nil: a single run
}

// Sweep is the sweep section: every combination of the grid's axes, crossed
// with each entry of the list (a missing grid or list counts as one empty entry).
type Sweep struct {
	Grid []Axis              // sorted by name
	List []map[string]string // parameter, "seed" or "seeds" → value
}

// Axis is one swept name — a parameter, "seed" or "seeds" — and its values in
// the order given.
type Axis struct {
	Name   string
	Values []string
}

// Size is the number of points the sweep expands to.
func (s *Sweep) Size() int {
	n := max(len(s.List), 1)
	for _, a := range s.Grid {
		n *= len(a.Values)
	}
	return n
}

// Error is a problem in a spec file at a line and column (1-based; 0 when the
// problem is the file as a whole), about a field given by its path
// (e.g. "sweep.grid.epsilon").
type Error struct {
	File      string
	Line, Col int
	Field     string
	Msg       string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field %s: ", e.Field)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// document is the shape of a spec file; every value is kept as a node so that
// errors can point at it.
type document struct {
	Experiment ast.Node `yaml:"experiment"`
	Name       ast.Node `yaml:"name"`
	Seed       ast.Node `yaml:"seed"`
	Seeds      ast.Node `yaml:"seeds"`
	Params     ast.Node `yaml:"params"`
	Sweep      *struct {
		Grid ast.Node `yaml:"grid"`
		List ast.Node `yaml:"list"`
	} `yaml:"sweep"`
}

const fieldsHelp = "a spec has experiment, name, seed, seeds, params and sweep; a sweep has grid and list"

// Parse reads a spec from data and validates it against the registered
// experiment it names. file names the input in errors.
func Parse(file string, data []byte) (s *Spec, err error) {
	p := &parser{file: file}
	defer func() {
		// The YAML library is fuzzed here too; whatever it does, no panic escapes.
		if r := recover(); r != nil {
			s, err = nil, p.errorf(nil, "", "malformed YAML (%v)", r)
		}
	}()
	if len(data) > MaxSize {
		return nil, p.errorf(nil, "", "%d bytes is more than the limit of %d for a spec", len(data), MaxSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, p.errorf(nil, "", "empty spec: want at least 'experiment: ID'")
	}
	var doc document
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict())
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, p.errorf(nil, "", "empty spec: want at least 'experiment: ID'")
	} else if err != nil {
		return nil, p.yamlError(err)
	}
	var extra any
	if err := dec.Decode(&extra); err == nil {
		return nil, p.errorf(nil, "", "more than one YAML document: a spec is one document")
	} else if !errors.Is(err, io.EOF) {
		return nil, p.yamlError(err)
	}
	s = &Spec{File: file, Text: string(data), Seed: 1, Params: map[string]string{}}
	if err := p.parse(&doc, s); err != nil {
		return nil, err
	}
	return s, nil
}

type parser struct {
	file string
	exp  experiment.Experiment
}

func (p *parser) errorf(n ast.Node, field, format string, a ...any) *Error {
	e := &Error{File: p.file, Field: field, Msg: fmt.Sprintf(format, a...)}
	if n != nil {
		if tk := n.GetToken(); tk != nil && tk.Position != nil {
			e.Line, e.Col = tk.Position.Line, tk.Position.Column
		}
	}
	return e
}

// yamlError turns the YAML library's error into an Error with its position.
func (p *parser) yamlError(err error) error {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return p.errorf(nil, "", "malformed YAML: %v", err)
	}
	e := &Error{File: p.file, Msg: ye.GetMessage()}
	if tk := ye.GetToken(); tk != nil && tk.Position != nil {
		e.Line, e.Col = tk.Position.Line, tk.Position.Column
	}
	var unknown *yaml.UnknownFieldError
	if errors.As(err, &unknown) {
		if tk := ye.GetToken(); tk != nil {
			e.Field = tk.Value
		}
		e.Msg = "unknown field (" + fieldsHelp + ")"
	}
	var mismatch *yaml.TypeError
	if errors.As(err, &mismatch) {
		e.Msg += " (" + fieldsHelp + ")"
	}
	return e
}

func (p *parser) parse(doc *document, s *Spec) error {
	if doc.Experiment == nil {
		return p.errorf(nil, "experiment", "missing: a spec names its experiment (mesalab list shows them)")
	}
	id, err := p.scalar(doc.Experiment, "experiment")
	if err != nil {
		return err
	}
	p.exp, err = experiment.Lookup(id)
	if err != nil {
		return p.errorf(doc.Experiment, "experiment", "%v", err)
	}
	s.Experiment = id
	if doc.Name != nil {
		if s.Name, err = p.scalar(doc.Name, "name"); err != nil {
			return err
		}
		if !validName(s.Name) {
			return p.errorf(doc.Name, "name", "%q: want letters, digits, '.', '_' or '-' (at most 64)", s.Name)
		}
	}
	if doc.Seed != nil {
		v, err := p.value(doc.Seed, "seed", "seed")
		if err != nil {
			return err
		}
		s.Seed, _ = strconv.ParseUint(v, 10, 64)
	}
	if doc.Seeds != nil {
		v, err := p.value(doc.Seeds, "seeds", "seeds")
		if err != nil {
			return err
		}
		s.Seeds, _ = strconv.Atoi(v)
	}
	if doc.Params != nil {
		m, err := p.mapping(doc.Params, "params", false)
		if err != nil {
			return err
		}
		for _, kv := range m {
			v, err := p.value(kv.node, "params."+kv.name, kv.name)
			if err != nil {
				return err
			}
			s.Params[kv.name] = v
		}
	}
	if doc.Sweep != nil {
		sw, err := p.sweep(doc.Sweep.Grid, doc.Sweep.List, s)
		if err != nil {
			return err
		}
		s.Sweep = sw
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func (p *parser) sweep(grid, list ast.Node, s *Spec) (*Sweep, error) {
	sw := &Sweep{}
	if grid == nil && list == nil {
		return nil, p.errorf(nil, "sweep", "empty: give a grid, a list or both")
	}
	if grid != nil {
		m, err := p.mapping(grid, "sweep.grid", true)
		if err != nil {
			return nil, err
		}
		for _, kv := range m {
			field := "sweep.grid." + kv.name
			if _, fixed := s.Params[kv.name]; fixed {
				return nil, p.errorf(kv.keyNode, field, "also set under params: a parameter is either fixed or swept")
			}
			values, err := p.axis(kv.node, field, kv.name)
			if err != nil {
				return nil, err
			}
			sw.Grid = append(sw.Grid, Axis{Name: kv.name, Values: values})
		}
		slices.SortFunc(sw.Grid, func(a, b Axis) int { return strings.Compare(a.Name, b.Name) })
	}
	if list != nil {
		seq, ok := unwrap(list).(*ast.SequenceNode)
		if !ok || len(seq.Values) == 0 {
			return nil, p.errorf(list, "sweep.list", "want a non-empty list of entries such as {epsilon: 0.1, seeds: 4}")
		}
		for i, entry := range seq.Values {
			field := fmt.Sprintf("sweep.list[%d]", i)
			m, err := p.mapping(entry, field, true)
			if err != nil {
				return nil, err
			}
			point := map[string]string{}
			for _, kv := range m {
				f := field + "." + kv.name
				if _, fixed := s.Params[kv.name]; fixed {
					return nil, p.errorf(kv.keyNode, f, "also set under params: a parameter is either fixed or swept")
				}
				for _, a := range sw.Grid {
					if a.Name == kv.name {
						return nil, p.errorf(kv.keyNode, f, "also swept in sweep.grid")
					}
				}
				if point[kv.name], err = p.value(kv.node, f, kv.name); err != nil {
					return nil, err
				}
			}
			sw.List = append(sw.List, point)
		}
	}
	n := 1.0
	for _, a := range sw.Grid {
		n *= float64(len(a.Values))
	}
	if n*float64(max(len(sw.List), 1)) > MaxPoints {
		return nil, p.errorf(grid, "sweep", "expands to %.0f points, more than the limit of %d", n*float64(max(len(sw.List), 1)), MaxPoints)
	}
	return sw, nil
}

type keyValue struct {
	name    string
	keyNode ast.Node
	node    ast.Node
}

// mapping reads a mapping of names to values. Each name must be a declared
// parameter of the experiment, or (when seeds is true) "seed" or "seeds".
func (p *parser) mapping(n ast.Node, field string, seeds bool) ([]keyValue, error) {
	var values []*ast.MappingValueNode
	switch m := unwrap(n).(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	case *ast.NullNode:
		return nil, nil
	case *ast.AliasNode:
		return nil, p.errorf(n, field, "aliases are not supported in a spec")
	default:
		return nil, p.errorf(n, field, "want a mapping of names to values, got %s", kind(n))
	}
	seen := map[string]bool{}
	out := make([]keyValue, 0, len(values))
	for _, mv := range values {
		var key ast.Node = mv.Key
		name, err := p.scalar(key, field)
		if err != nil {
			return nil, err
		}
		f := field + "." + name
		if seen[name] {
			return nil, p.errorf(key, f, "duplicate key")
		}
		seen[name] = true
		if !seeds && (name == "seed" || name == "seeds") {
			return nil, p.errorf(key, f, "%s is set at the top level of the spec, not under %s", name, field)
		}
		if !p.declared(name) && !(seeds && (name == "seed" || name == "seeds")) {
			also := ""
			if seeds {
				also = ", seed, seeds"
			}
			return nil, p.errorf(key, f, "experiment %s has no parameter %q (it takes: %s%s)", p.exp.ID, name, p.paramNames(), also)
		}
		out = append(out, keyValue{name: name, keyNode: key, node: mv.Value})
	}
	return out, nil
}

func (p *parser) declared(name string) bool {
	return slices.ContainsFunc(p.exp.Params, func(q experiment.Param) bool { return q.Name == name })
}

func (p *parser) paramNames() string {
	if len(p.exp.Params) == 0 {
		return "no parameters"
	}
	names := make([]string, len(p.exp.Params))
	for i, q := range p.exp.Params {
		names[i] = q.Name
	}
	return strings.Join(names, ", ")
}

// value reads the value of name: a scalar, or for a parameter a list of scalars
// joined by commas (the form list-valued parameters take on the command line).
// seed must be a non-negative integer, seeds a whole number in 1…MaxSeeds.
func (p *parser) value(n ast.Node, field, name string) (string, error) {
	if seq, ok := unwrap(n).(*ast.SequenceNode); ok && name != "seed" && name != "seeds" {
		parts := make([]string, len(seq.Values))
		for i, e := range seq.Values {
			v, err := p.scalar(e, fmt.Sprintf("%s[%d]", field, i))
			if err != nil {
				return "", err
			}
			parts[i] = v
		}
		if len(parts) == 0 {
			return "", p.errorf(n, field, "empty list")
		}
		return strings.Join(parts, ","), nil
	}
	v, err := p.scalar(n, field)
	if err != nil {
		return "", err
	}
	return p.checkSeed(n, field, name, v)
}

// axis reads the values of one grid axis: a list, one value, or an integer range
// {from: A, to: B, step: C} (inclusive; step 1 by default).
func (p *parser) axis(n ast.Node, field, name string) ([]string, error) {
	switch v := unwrap(n).(type) {
	case *ast.SequenceNode:
		if len(v.Values) == 0 {
			return nil, p.errorf(n, field, "empty list: an axis needs at least one value")
		}
		out := make([]string, len(v.Values))
		seen := map[string]bool{}
		for i, e := range v.Values {
			s, err := p.value(e, fmt.Sprintf("%s[%d]", field, i), name)
			if err != nil {
				return nil, err
			}
			if seen[s] {
				return nil, p.errorf(e, fmt.Sprintf("%s[%d]", field, i), "value %s appears twice", s)
			}
			seen[s] = true
			out[i] = s
		}
		return out, nil
	case *ast.MappingNode, *ast.MappingValueNode:
		return p.intRange(n, field, name)
	}
	s, err := p.value(n, field, name)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func (p *parser) intRange(n ast.Node, field, name string) ([]string, error) {
	var values []*ast.MappingValueNode
	switch m := unwrap(n).(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	}
	bounds := map[string]int64{"step": 1}
	for _, mv := range values {
		k, err := p.scalar(mv.Key, field)
		if err != nil {
			return nil, err
		}
		if k != "from" && k != "to" && k != "step" {
			return nil, p.errorf(mv.Key, field+"."+k, "unknown field (a range has from, to and step)")
		}
		v, err := p.scalar(mv.Value, field+"."+k)
		if err != nil {
			return nil, err
		}
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, p.errorf(mv.Value, field+"."+k, "%q: want a whole number", v)
		}
		bounds[k] = x
	}
	from, okF := bounds["from"]
	to, okT := bounds["to"]
	step := bounds["step"]
	if !okF || !okT {
		return nil, p.errorf(n, field, "a range needs from and to")
	}
	if step < 1 || to < from {
		return nil, p.errorf(n, field, "range from %d to %d step %d: want from ≤ to and step ≥ 1", from, to, step)
	}
	if (to-from)/step+1 > MaxPoints {
		return nil, p.errorf(n, field, "range has more than %d values", MaxPoints)
	}
	var out []string
	for x := from; x <= to; x += step {
		v, err := p.checkSeed(n, field, name, strconv.FormatInt(x, 10))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if x > math.MaxInt64-step {
			break
		}
	}
	return out, nil
}

// checkSeed checks the value of seed (a whole number ≥ 0) or seeds (1…MaxSeeds);
// other names pass.
func (p *parser) checkSeed(n ast.Node, field, name, v string) (string, error) {
	switch name {
	case "seed":
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			return "", p.errorf(n, field, "%q: want a whole number ≥ 0", v)
		}
	case "seeds":
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > experiment.MaxSeeds {
			return "", p.errorf(n, field, "%q: want a whole number from 1 to %d", v, experiment.MaxSeeds)
		}
	}
	return v, nil
}

// scalar reads a scalar in canonical text: strings as written, integers in
// decimal, floats in the shortest form that reads back exactly, booleans as
// true/false.
func (p *parser) scalar(n ast.Node, field string) (string, error) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		if v.Token != nil && v.Token.Type == token.StringType && looksNumeric(v.Value) {
			// An unquoted number the YAML library kept as text, such as 1e-7.
			if x, err := strconv.ParseFloat(v.Value, 64); err == nil {
				return formatFloat(x), nil
			}
		}
		return v.Value, nil
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, nil
		}
		return "", nil
	case *ast.IntegerNode:
		return fmt.Sprint(v.Value), nil
	case *ast.FloatNode:
		return formatFloat(v.Value), nil
	case *ast.BoolNode:
		return strconv.FormatBool(v.Value), nil
	case *ast.InfinityNode, *ast.NanNode:
		return "", p.errorf(n, field, "want a finite number, got %s", n.GetToken().Value)
	case *ast.NullNode:
		return "", p.errorf(n, field, "missing value")
	case *ast.AliasNode:
		return "", p.errorf(n, field, "aliases are not supported in a spec")
	}
	return "", p.errorf(n, field, "want a single value, got %s", kind(n))
}

// formatFloat writes x as encoding/json does: the shortest decimal that reads
// back exactly, with an exponent only for very small or large magnitudes.
func formatFloat(x float64) string {
	if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// looksNumeric reports whether s is made of digits, signs, a point and an
// exponent only (so that "inf" or "nan" stay text).
func looksNumeric(s string) bool {
	digits := false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = true
		case r == '.' || r == '-' || r == '+' || r == 'e' || r == 'E':
		default:
			return false
		}
	}
	return digits
}

// unwrap looks through anchors, tags and explicit "? key" markers.
func unwrap(n ast.Node) ast.Node {
	for i := 0; i < 16; i++ {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.MappingKeyNode:
			n = v.Value
		default:
			return n
		}
	}
	return n
}

func kind(n ast.Node) string {
	switch unwrap(n).(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case nil:
		return "nothing"
	}
	return "a " + strings.ToLower(unwrap(n).Type().String())
}
