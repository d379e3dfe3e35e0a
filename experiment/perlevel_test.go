package experiment

import (
	"encoding/json"
	"strings"
	"testing"
)

// The per-level rows are the comparisons level by level: read back from the
// JSON, each (subject, distribution) has one row per level, in order, and the
// distribution's agreement, regret and normalised regret are exactly (bit for
// bit) the weighted means of its rows', every level weighing 1/levels and
// summed in level order as compare.SequentialEpisodes sums them. EPIC and STARC
// are on the first --epic-levels rows only; every row names its outcome.
func TestPerLevelRowsAreTheComparisons(t *testing.T) {
	for _, tc := range []struct {
		id     string
		params map[string]string
		epic   int // rows per distribution with EPIC and STARC
	}{
		{"red-door", map[string]string{"levels": "12", "generations": "40", "size": "9", "epic-levels": "5"}, 5},
		{"cheese-corner", map[string]string{"levels": "12", "generations": "40", "iterations": "5", "size": "9", "region": "3",
			"epic-levels": "0", "meg-levels": "1"}, 12},
		{"keys-chests", map[string]string{"levels": "6", "generations": "10", "size": "7", "meg-levels": "1"}, 0},
		{"lava-shift", map[string]string{"generations": "10", "iterations": "5"}, 0},
	} {
		t.Run(tc.id, func(t *testing.T) {
			res := runSmall(t, tc.id, tc.params, 2, 2)
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			var back struct {
				PerLevel []LevelResult `json:"per_level"`
			}
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			type key struct{ subject, dist string }
			rows := map[key][]LevelResult{}
			for _, l := range back.PerLevel {
				k := key{l.Subject, l.Distribution}
				if l.Level != len(rows[k]) || l.Outcome == "" || l.Decisions < 1 {
					t.Fatalf("%v: row %+v out of order or without outcome/decisions", k, l)
				}
				if (l.EPIC != nil) != (l.Level < tc.epic) || (l.STARC != nil) != (l.EPIC != nil) {
					t.Errorf("%v level %d: EPIC %v, STARC %v; want them on the first %d levels", k, l.Level, l.EPIC, l.STARC, tc.epic)
				}
				rows[k] = append(rows[k], l)
			}
			checked := 0
			for _, c := range res.Comparisons {
				if c.Incomparable != nil {
					continue
				}
				rs := rows[key{c.Subject, c.Distribution}]
				if len(rs) != c.Tasks {
					t.Fatalf("%s on %s: %d rows, %d levels", c.Subject, c.Distribution, len(rs), c.Tasks)
				}
				w := 1 / float64(len(rs))
				var mass, agree, regret, nregret float64
				for _, l := range rs {
					mass += w
					agree += w * l.Agreement
					regret += w * l.Regret
					nregret += w * l.NormalizedRegret
				}
				if agree/mass != c.Agreement || regret/mass != c.Regret || nregret/mass != c.NormalizedRegret {
					t.Errorf("%s on %s: rows give agreement %v, regret %v, normalised %v; the comparison %v, %v, %v",
						c.Subject, c.Distribution, agree/mass, regret/mass, nregret/mass, c.Agreement, c.Regret, c.NormalizedRegret)
				}
				checked++
			}
			if checked == 0 || checked != len(rows) {
				t.Errorf("%d comparisons checked, %d (subject, distribution) with rows", checked, len(rows))
			}
		})
	}
}

// Experiments without levels leave per_level out of the JSON.
func TestPerLevelOmittedWhenEmpty(t *testing.T) {
	res := runSmall(t, "td0-3state", map[string]string{"episodes": "50"}, 1, 1)
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "per_level") {
		t.Errorf("td0-3state JSON has per_level: %s", b)
	}
}

// The text output lists, per subject, its worst levels by regret (then
// normalised regret), agreeing levels left out, subjects in order of first
// appearance.
func TestWorstLevels(t *testing.T) {
	rows := []LevelResult{
		{Subject: "a", Level: 0, Agreement: 1},
		{Subject: "b", Level: 0, Agreement: 0, Regret: 2},
		{Subject: "a", Level: 1, Agreement: 0, Regret: 1, NormalizedRegret: 0.1},
		{Subject: "a", Level: 2, Agreement: 0, Regret: 3},
		{Subject: "a", Level: 3, Agreement: 0, Regret: 1, NormalizedRegret: 0.5},
		{Subject: "a", Level: 4, Agreement: 0.5},
	}
	var got []string
	for _, l := range (&Result{PerLevel: rows}).WorstLevels(3) {
		got = append(got, l.Subject+":"+string(rune('0'+l.Level)))
	}
	if want := "a:2 a:3 a:1 b:0"; strings.Join(got, " ") != want {
		t.Errorf("worst levels %v, want %s", got, want)
	}
}
