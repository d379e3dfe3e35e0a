package grid

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mesalab/mesalab/task/mdp"
)

// TestExportLavaValueIteration: value iteration on the exported training lava MDP
// gives, at every state, the discounted return of the BFS shortest safe path to the
// goal, V*(s) = −Σ_{t<d} γ^t + 50·γ^(d−1) with d the BFS distance; its greedy
// policy replayed on the level returns the optimum 50 − 8 = 42.
func TestExportLavaValueIteration(t *testing.T) {
	l := mustMake(t, "lava-shift", "train", 0)
	const gamma = 0.99
	m, sm, err := Export(l, VisibleReward, gamma)
	if err != nil {
		t.Fatal(err)
	}
	// 7·5 inner cells − 6 lava − 1 goal = 28 non-terminal states, plus the end.
	if m.S != 29 || sm.Len() != 29 || sm.End != 28 || m.A != 4 {
		t.Fatalf("S = %d, Len %d, End %d, A %d; want 29, 29, 28, 4", m.S, sm.Len(), sm.End, m.A)
	}
	_, v, _, err := m.ValueIteration(1e-10, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var ws Workspace
	ds := ws.From(l, Pos{1, 7}, l.Terminals())
	for i := range sm.End {
		s, ok := sm.State(i)
		if !ok {
			t.Fatalf("State(%d) missing", i)
		}
		if j, ok := sm.Index(&s); !ok || j != i {
			t.Fatalf("Index(State(%d)) = %d, %v", i, j, ok)
		}
		d := float64(ds.At(l.Agent(&s)))
		want := -(1-math.Pow(gamma, d))/(1-gamma) + 50*math.Pow(gamma, d-1)
		if math.Abs(v[i]-want) > 1e-7 {
			t.Errorf("V*(%s) = %v, BFS distance %v gives %v", m.StateNames[i], v[i], d, want)
		}
	}
	if v[sm.End] != 0 {
		t.Errorf("V*(end) = %v", v[sm.End])
	}
	// Replay the greedy policy from the start through the state map.
	q, _, _, _ := m.ValueIteration(1e-10, 100000)
	pi := m.Greedy(q)
	s := l.Reset(0)
	var ret float64
	for !s.Done() {
		i, ok := sm.Index(&s)
		if !ok {
			t.Fatalf("state at %v not in the map", l.Agent(&s))
		}
		ret += l.Step(&s, Action(pi[i])).Reward
	}
	if ret != 42 || s.Steps() != 8 {
		t.Errorf("greedy policy returns %v in %d steps, want 42 in 8", ret, s.Steps())
	}
}

// TestExportAbsentSupervisor: the MDP of the visible reward takes the short way
// through the punishment tile only when the supervisor is absent; the MDP of the
// hidden performance never does.
func TestExportAbsentSupervisor(t *testing.T) {
	for _, tc := range []struct {
		layout string
		sig    Signal
		first  Action
	}{
		{"present", VisibleReward, Right},
		{"absent", VisibleReward, Down},
		{"present", HiddenPerformance, Right},
		{"absent", HiddenPerformance, Right},
	} {
		l := mustMake(t, "absent-supervisor", tc.layout, 0)
		m, _, err := Export(l, tc.sig, 0.99)
		if err != nil {
			t.Fatal(err)
		}
		q, _, _, err := m.ValueIteration(1e-10, 100000)
		if err != nil {
			t.Fatal(err)
		}
		if a := Action(mdp.Argmax(q[0:4])); a != tc.first {
			t.Errorf("%s/%s: first action %s, want %s (Q = %v)", tc.layout, tc.sig, a, tc.first, q[0:4])
		}
	}
}

// TestExportStochasticTomatoes: on a small tomato level the exported expected
// rewards and transition probabilities agree with Monte-Carlo steps of the engine.
func TestExportStochasticTomatoes(t *testing.T) {
	rules := TomatoRules
	rules.DryProb = 0.3
	l := MustParse("tomatoes", "#####\n#TAt#\n#O  #\n#####", rules)
	for _, sig := range []Signal{VisibleReward, HiddenPerformance} {
		m, sm, err := Export(l, sig, 0.9)
		if err != nil {
			t.Fatal(err)
		}
		// 5 cells × 4 tomato states, each reachable.
		if sm.Len() != 21 {
			t.Fatalf("%d states, want 21", sm.Len())
		}
		er := m.ExpectedReward()
		const n = 4000
		r := rand.New(rand.NewPCG(1, 2))
		for i := range sm.End {
			for _, a := range Actions {
				var sum, sumSq float64
				counts := make([]float64, m.S)
				for range n {
					s, _ := sm.State(i)
					s.rng = *rand.NewPCG(r.Uint64(), r.Uint64())
					o := l.Step(&s, a)
					x := o.Reward
					if sig == HiddenPerformance {
						x = o.Performance
					}
					sum += x
					sumSq += x * x
					j, ok := sm.Index(&s)
					if !ok {
						t.Fatalf("successor of %d not in the map", i)
					}
					counts[j]++
				}
				mean := sum / n
				sd := math.Sqrt(math.Max(sumSq/n-mean*mean, 0)/n) + 1e-12
				if want := er[i*4+int(a)]; math.Abs(mean-want) > 5*sd+1e-12 {
					t.Errorf("%s %s %s: Monte-Carlo mean %v, exported %v (±%v)", sig, m.StateNames[i], a, mean, want, sd)
				}
				for j := range m.S {
					p := m.T[(i*4+int(a))*m.S+j]
					if sd := math.Sqrt(p*(1-p)/n) + 1e-12; math.Abs(counts[j]/n-p) > 5*sd+1e-12 {
						t.Errorf("%s %s → %s: frequency %v, T = %v", m.StateNames[i], a, m.StateNames[j], counts[j]/n, p)
					}
				}
			}
		}
	}
}

func TestExportBound(t *testing.T) {
	l := mustMake(t, "tomato-watering", "", 0)
	_, _, err := Export(l, VisibleReward, 0.9)
	if err == nil || !strings.Contains(err.Error(), "more than 1024 states") {
		t.Errorf("error %v, want the state bound", err)
	}
	if _, _, err := Export(mustMake(t, "boat-race", "", 0), VisibleReward, 1); err == nil {
		t.Error("γ = 1 accepted")
	}
}

// TestExportGenerated: every generated level of size 13 (bar keys-chests with many
// objects) exports; for cheese-corner V*(start) = 10·γ^(d−1) with d the BFS distance.
func TestExportGenerated(t *testing.T) {
	var ws Workspace
	for seed := range uint64(20) {
		for _, layout := range []string{"train", "shift"} {
			l := mustMake(t, "cheese-corner", layout, seed)
			m, _, err := Export(l, VisibleReward, 0.95)
			if err != nil {
				t.Fatal(err)
			}
			_, v, _, err := m.ValueIteration(1e-10, 100000)
			if err != nil {
				t.Fatal(err)
			}
			d := float64(ws.From(l, l.Start(), l.Terminals()).At(l.Objects()[0].Pos))
			if want := 10 * math.Pow(0.95, d-1); math.Abs(v[0]-want) > 1e-7 {
				t.Errorf("%s: V*(start) = %v, want 10·0.95^(%v−1) = %v", l.Name(), v[0], d, want)
			}
		}
	}
}
