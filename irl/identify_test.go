package irl_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/mesalab/mesalab/irl"
)

func TestIdentify(t *testing.T) {
	for _, tc := range []struct {
		name         string
		names        []string
		rows         [][]float64
		weights      []float64
		rank         int
		identifiable bool
		evidence     []string
		coefficients []float64 // of the collinear finding, if any
	}{
		{
			name:  "red-door training levels: every door is red and every red thing a door",
			names: []string{"door", "red", "key"},
			rows: [][]float64{
				{1, 1, 0}, {0, 0, 1}, {0, 0, 0}, {1, 1, 0}, {0, 0, 1}, {0, 0, 0},
			},
			rank: 2,
			evidence: []string{
				"unidentifiable on train: door ~ red, ρ = 1.00",
			},
		},
		{
			name:  "shifted levels separate door from red",
			names: []string{"door", "red", "key"},
			rows: [][]float64{
				{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {0, 0, 0},
			},
			rank: 3, identifiable: true,
		},
		{
			name:  "perfect anti-correlation",
			names: []string{"lit", "dark"},
			rows:  [][]float64{{1, 0}, {0, 1}, {1, 0}},
			rank:  1,
			evidence: []string{
				"unidentifiable on train: lit ~ dark, ρ = -1.00",
			},
		},
		{
			name:  "a constant feature",
			names: []string{"floor", "goal"},
			rows:  [][]float64{{1, 0}, {1, 1}, {1, 0}},
			rank:  1,
			evidence: []string{
				"unidentifiable on train: floor is constant (= 1), its weight cannot be told from a constant offset",
			},
		},
		{
			name:  "three collinear features, no two correlated",
			names: []string{"a", "b", "c"},
			rows:  [][]float64{{1, 0, 1}, {0, 1, 1}, {1, 1, 2}, {0, 0, 0}, {2, 1, 3}},
			rank:  2,
			evidence: []string{
				"unidentifiable on train: ",
			},
			coefficients: []float64{1, 1, -1}, // up to sign: a + b − c = 0
		},
		{
			name:    "weights: rows of weight 0 do not count",
			names:   []string{"door", "red"},
			rows:    [][]float64{{1, 1}, {0, 0}, {1, 0}},
			weights: []float64{0.5, 0.5, 0},
			rank:    1,
			evidence: []string{
				"unidentifiable on train: door ~ red, ρ = 1.00",
			},
		},
		{
			name:  "near correlation is reported but identifiable",
			names: []string{"door", "red"},
			rows: func() [][]float64 {
				var rows [][]float64
				for i := range 100 {
					x := float64(i % 2)
					rows = append(rows, []float64{x, x})
				}
				rows = append(rows, []float64{1, 0})
				return rows
			}(),
			rank: 2, identifiable: true,
			evidence: []string{"weakly identifiable on train: door ~ red, ρ = 0.98"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := irl.Identify("train", tc.names, tc.rows, tc.weights)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rank != tc.rank {
				t.Errorf("rank = %d, want %d", rep.Rank, tc.rank)
			}
			if rep.Identifiable() != tc.identifiable {
				t.Errorf("identifiable = %v, want %v (findings %v)", rep.Identifiable(), tc.identifiable, rep.Evidence())
			}
			ev := rep.Evidence()
			if len(ev) != len(tc.evidence) {
				t.Fatalf("evidence %q, want %d findings", ev, len(tc.evidence))
			}
			for i, want := range tc.evidence {
				if !strings.HasPrefix(ev[i], want) {
					t.Errorf("evidence[%d] = %q, want prefix %q", i, ev[i], want)
				}
			}
			if tc.coefficients != nil {
				f := rep.Findings[0]
				if f.Kind != irl.Collinear || !reflect.DeepEqual(f.Features, tc.names) {
					t.Fatalf("finding %+v, want a collinear one over %v", f, tc.names)
				}
				sign := tc.coefficients[0] / f.Coefficients[0]
				for k, c := range tc.coefficients {
					if math.Abs(f.Coefficients[k]*sign-c) > 1e-9 {
						t.Errorf("coefficients %v, want ±%v", f.Coefficients, tc.coefficients)
					}
				}
				// The combination is constant on every row.
				for _, row := range tc.rows {
					var x float64
					for k := range row {
						x += f.Coefficients[k] * row[k]
					}
					if math.Abs(x) > 1e-9 {
						t.Errorf("Σ c·φ = %v on row %v, want 0", x, row)
					}
				}
			}
		})
	}
}

func TestIdentifyErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		names   []string
		rows    [][]float64
		weights []float64
		want    string
	}{
		{"no features", nil, [][]float64{{}}, nil, "no features"},
		{"no rows", []string{"a"}, nil, nil, "no rows"},
		{"ragged", []string{"a", "b"}, [][]float64{{1, 2}, {1}}, nil, "row 1 has 1 entries, want 2"},
		{"NaN", []string{"a"}, [][]float64{{math.NaN()}}, nil, `row 0 feature "a" = NaN`},
		{"weights", []string{"a"}, [][]float64{{1}}, []float64{1, 2}, "2 weights for 1 rows"},
		{"negative weight", []string{"a"}, [][]float64{{1}, {2}}, []float64{1, -1}, "weight 1 = -1"},
		{"zero weights", []string{"a"}, [][]float64{{1}}, []float64{0}, "weights sum to 0"},
	} {
		_, err := irl.Identify("train", tc.names, tc.rows, tc.weights)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestUnvisitedStates(t *testing.T) {
	f, ok := irl.UnvisitedStates("train", []string{"start", "goal", "isolated"}, []float64{10, 3, 0})
	if !ok || f.Evidence != "unidentifiable on train: objective at never-visited states isolated" {
		t.Errorf("finding %+v, %v", f, ok)
	}
	if _, ok := irl.UnvisitedStates("train", nil, []float64{1, 2}); ok {
		t.Error("every state visited, yet a finding")
	}
	if f, _ := irl.UnvisitedStates("shift", nil, []float64{0, 2, 0}); !reflect.DeepEqual(f.States, []string{"0", "2"}) {
		t.Errorf("unnamed states: %v", f.States)
	}
}
