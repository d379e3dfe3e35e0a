package agent

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/base"
	"github.com/mesalab/mesalab/task/icl"
)

func sampleTasks(t testing.TB, s icl.Spec, n int, seed uint64) []*icl.Task {
	t.Helper()
	dist, err := icl.NewDistribution("test", s)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 0))
	tasks := make([]*icl.Task, n)
	for i := range tasks {
		tasks[i] = dist.Sample(r)
	}
	return tasks
}

// The analytic gradient of the batch loss with respect to every weight matches
// central finite differences, for one layer (fused token-form path and the general
// path) and for stacks of two and three layers.
func TestLSAGradientMatchesFiniteDifferences(t *testing.T) {
	tests := []struct {
		name    string
		spec    icl.Spec
		layers  int
		general bool
		std     float64
	}{
		{"one layer, fused", icl.Spec{D: 3, N: 5, Scale: 0.5, Noise: 0.1}, 1, false, 0.4},
		{"one layer, general", icl.Spec{D: 3, N: 5, Scale: 0.5, Noise: 0.1}, 1, true, 0.4},
		{"one layer, reference size", icl.Reference(), 1, false, 0.2},
		{"two layers", icl.Spec{D: 3, N: 4, Scale: 0.7}, 2, false, 0.4},
		{"three layers", icl.Spec{D: 2, N: 3, Scale: 0.7}, 3, false, 0.4},
		{"three layers, reference size", icl.Reference(), 3, false, 0.15},
		{"four layers", icl.Spec{D: 4, N: 6, Scale: 0.5, Noise: 0.2}, 4, false, 0.3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewLSA(tc.spec.D, tc.layers)
			if err != nil {
				t.Fatal(err)
			}
			m.Init(rand.New(rand.NewPCG(3, 3)), tc.std)
			tasks := sampleTasks(t, tc.spec, 7, 5)
			ws := m.NewWorkspace()
			ws.general = tc.general
			_, grad := ws.gradient(tasks, nil)
			loss := func() float64 {
				w := m.NewWorkspace()
				w.general = tc.general
				var s float64
				for _, task := range tasks {
					e := w.Predict(task) - task.Target
					s += e * e / 2
				}
				return s / float64(len(tasks))
			}
			const h = 1e-6
			var worst float64
			for i := range m.Params {
				orig := m.Params[i]
				m.Params[i] = orig + h
				up := loss()
				m.Params[i] = orig - h
				down := loss()
				m.Params[i] = orig
				fd := (up - down) / (2 * h)
				err := math.Abs(fd-grad[i]) / math.Max(1e-3, math.Abs(fd)+math.Abs(grad[i]))
				worst = math.Max(worst, err)
				if err > 1e-5 {
					t.Errorf("param %d: analytic %.10g, finite difference %.10g", i, grad[i], fd)
				}
			}
			t.Logf("%d weights, worst relative error %.2g", len(m.Params), worst)
		})
	}
}

// The GD construction of von Oswald et al. (2023) predicts exactly K steps of
// gradient descent from W = 0, its search trajectory is GD's, and its read-off is
// η/N with no anisotropy and nothing outside the construction. GD++'s construction
// predicts GD++.
func TestGDConstruction(t *testing.T) {
	s := icl.Reference()
	tasks := sampleTasks(t, s, 20, 2)
	const eta = 5.5
	for layers := 1; layers <= 4; layers++ {
		m, err := GDConstruction(s.D, layers, eta, s.N)
		if err != nil {
			t.Fatal(err)
		}
		ws := m.NewWorkspace()
		for _, task := range tasks {
			want := icl.GDTrajectory(task, eta, layers)
			got := ws.Trajectory(task)
			for k := range want {
				for j := range want[k] {
					if math.Abs(got[k][j]-want[k][j]) > 1e-12*(1+math.Abs(want[k][j])) {
						t.Fatalf("%d layers, iterate %d, weight %d: LSA %v, GD %v", layers, k, j, got[k][j], want[k][j])
					}
				}
			}
			if p, q := ws.Predict(task), icl.Dot(want[layers], task.Query); math.Abs(p-q) > 1e-12 {
				t.Fatalf("%d layers: LSA predicts %v, GD %v", layers, p, q)
			}
		}
		for l := range layers {
			ro := m.ReadOff(l)
			if math.Abs(ro.Step-eta/float64(s.N)) > 1e-15 || ro.Anisotropy != 0 || ro.OffConstruction != 0 {
				t.Errorf("%d layers, layer %d: read-off %+v, want step %v, anisotropy 0, off-construction 0", layers, l, ro, eta/float64(s.N))
			}
		}
	}
	pp, err := GDPlusPlusConstruction(s.D, 2, 13.5, 0.18, s.N)
	if err != nil {
		t.Fatal(err)
	}
	ws := pp.NewWorkspace()
	for _, task := range tasks {
		want := icl.GDPlusPlus(task, 13.5, 0.18, 2)
		got := ws.Weights(task, nil)
		for j := range want {
			if math.Abs(got[j]-want[j]) > 1e-12*(1+math.Abs(want[j])) {
				t.Fatalf("GD++ weight %d: LSA %v, icl.GDPlusPlus %v", j, got[j], want[j])
			}
		}
	}
}

// For any weights, the prediction is linear in x_q with slope Weights, the fused
// one-layer path agrees with the general path (prediction and gradient), and the
// last candidate of the trajectory decodes to Act.
func TestLSAPaths(t *testing.T) {
	s := icl.Spec{D: 6, N: 8, Scale: 0.7, Noise: 0.1}
	tasks := sampleTasks(t, s, 10, 3)
	for layers := 1; layers <= 3; layers++ {
		m, err := NewLSA(s.D, layers)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(rand.New(rand.NewPCG(4, uint64(layers))), 0.3)
		ws := m.NewWorkspace()
		for _, task := range tasks {
			v := ws.Weights(task, nil)
			p := ws.Predict(task)
			if math.Abs(p-icl.Dot(v, task.Query)) > 1e-12*(1+math.Abs(p)) {
				t.Fatalf("%d layers: prediction %v, weights·x_q %v", layers, p, icl.Dot(v, task.Query))
			}
			cands := m.Candidates(task)
			if len(cands) != layers+1 || icl.Dot(cands[0], task.Query) != 0 {
				t.Fatalf("%d layers: %d candidates, first decodes to %v; want %d starting at 0", layers, len(cands), m.Decode(task, cands[0]), layers+1)
			}
			if d := m.Decode(task, cands[layers]); math.Abs(d-m.Act(task)) > 1e-12*(1+math.Abs(d)) {
				t.Fatalf("%d layers: last candidate decodes to %v, Act gives %v", layers, d, m.Act(task))
			}
			if g := m.Objective(task, cands[0]); g != -icl.Loss(task, cands[0]) {
				t.Fatalf("objective %v, want −L = %v", g, -icl.Loss(task, cands[0]))
			}
		}
	}
	m, _ := NewLSA(s.D, 1)
	m.Init(rand.New(rand.NewPCG(5, 5)), 0.3)
	fast, general := m.NewWorkspace(), m.NewWorkspace()
	general.general = true
	lf, gf := fast.gradient(tasks, nil)
	lg, gg := general.gradient(tasks, nil)
	if math.Abs(lf-lg) > 1e-14 {
		t.Errorf("loss: fused %v, general %v", lf, lg)
	}
	for i := range gf {
		if math.Abs(gf[i]-gg[i]) > 1e-12*(1+math.Abs(gg[i])) {
			t.Fatalf("gradient %d: fused %v, general %v", i, gf[i], gg[i])
		}
	}
}

// A trained LSA is a mesa-optimizer over weight vectors.
var (
	_ mesalab.Mesa[*icl.Task, float64, []float64] = (*LSA)(nil)
	_ mesalab.Mesa[*icl.Task, float64, []float64] = (*LSAWorkspace)(nil)
)

// trainLSA trains a one-layer LSA on the reference tasks with a cosine schedule.
func trainLSA(t testing.TB, batch, steps int, lr float64, seed uint64) *LSA {
	t.Helper()
	dist, err := icl.NewDistribution("train", icl.Reference())
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewLSA(10, 1)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(seed, 1)), 0.05)
	tr, err := NewTrainer(m, dist, batch, ReferenceAdam(lr), seed)
	if err != nil {
		t.Fatal(err)
	}
	for s := range steps {
		tr.SetLearningRate(lr * 0.5 * (1 + math.Cos(math.Pi*float64(s)/float64(steps))))
		tr.Step()
	}
	return m
}

// A single trained LSA layer learns one step of gradient descent (von Oswald et
// al. 2023, Fig. 2): on 10⁴ tasks it never saw, its ½·MSE is within 2% of the
// one-step-GD value 0.2062 (and within 1% of GD on the same tasks), the cosine
// between its implicit weights and GD's is ≥ 0.99, and its effective step η/N is
// within 0.03 of η*/N = 0.606.
func TestTrainedLSALearnsOneGDStep(t *testing.T) {
	s := icl.Reference()
	tasks := sampleTasks(t, s, 10000, 99)
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		checkTrainedLSA(t, trainLSA(t, 512, 400, 1e-2, seed), tasks, seed)
	}
}

func checkTrainedLSA(t *testing.T, m *LSA, tasks []*icl.Task, seed uint64) {
	t.Helper()
	s := icl.Reference()
	ws := m.NewWorkspace()
	var lsa, gd, cos float64
	var v, g []float64
	for _, task := range tasks {
		v = ws.Weights(task, v)
		g = icl.GD(task, s.OptimalEta(), 1, g)
		lsa += icl.QueryError(task, v) / 2
		gd += icl.QueryError(task, g) / 2
		var dot, nv, ng float64
		for j := range v {
			dot += v[j] * g[j]
			nv += v[j] * v[j]
			ng += g[j] * g[j]
		}
		cos += dot / math.Sqrt(nv*ng)
	}
	n := float64(len(tasks))
	lsa, gd, cos = lsa/n, gd/n, cos/n
	step := m.ReadOff(0).Step
	t.Logf("seed %d: ½·MSE: LSA %.5f, GD %.5f (closed form %.5f); cos %.5f; η/N %.4f", seed, lsa, gd, s.OptimalGDLoss()/2, cos, step)
	if math.Abs(lsa-0.2062)/0.2062 > 0.02 {
		t.Errorf("seed %d: LSA ½·MSE = %.5f, want within 2%% of 0.2062", seed, lsa)
	}
	if lsa > 1.01*gd {
		t.Errorf("seed %d: LSA ½·MSE = %.5f, more than 1%% above GD's %.5f on the same tasks", seed, lsa, gd)
	}
	if cos < 0.99 {
		t.Errorf("seed %d: model cos = %.4f, want ≥ 0.99", seed, cos)
	}
	if math.Abs(step-0.606) > 0.03 {
		t.Errorf("seed %d: effective η/N = %.4f, want 0.606 ± 0.03", seed, step)
	}
}

// Training gives the same bits whatever GOMAXPROCS is.
func TestTrainerDeterministicAcrossGOMAXPROCS(t *testing.T) {
	for _, layers := range []int{1, 2} {
		run := func(procs int) []float64 {
			prev := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(prev)
			dist, _ := icl.NewDistribution("train", icl.Reference())
			m, _ := NewLSA(10, layers)
			m.Init(rand.New(rand.NewPCG(8, 8)), 0.05)
			tr, err := NewTrainer(m, dist, 3*TrainChunk+5, ReferenceAdam(1e-2), 8)
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				tr.Step()
			}
			return m.Params
		}
		one, two := run(1), run(2)
		for i := range one {
			if math.Float64bits(one[i]) != math.Float64bits(two[i]) {
				t.Fatalf("%d layer(s): weight %d is %v with GOMAXPROCS 1 and %v with 2", layers, i, one[i], two[i])
			}
		}
	}
}

// Adam's first step moves every weight by the learning rate against its
// gradient's sign (bias correction makes m̂ = g, v̂ = g²), and Adam minimises a
// quadratic.
func TestAdam(t *testing.T) {
	a := ReferenceAdam(0.01)
	p := []float64{1, -2, 3}
	a.Descend(p, []float64{0.5, -3, 1e-3})
	for i, want := range []float64{0.99, -1.99, 2.99} {
		if math.Abs(p[i]-want) > 1e-6 {
			t.Errorf("after one step weight %d = %v, want %v", i, p[i], want)
		}
	}
	b := ReferenceAdam(0.05)
	x := []float64{3, -4}
	for i := range 3000 {
		b.Alpha = 0.05 * (1 - float64(i)/3000)
		b.Descend(x, []float64{2 * (x[0] - 1), 4 * (x[1] + 2)})
	}
	if math.Abs(x[0]-1) > 1e-3 || math.Abs(x[1]+2) > 1e-3 {
		t.Errorf("Adam on (x−1)² + 2(y+2)² ended at %v, want (1, −2)", x)
	}
	for _, bad := range []base.Adam{{Alpha: 0, Beta1: 0.9, Beta2: 0.98, Eps: 1e-8}, {Alpha: 1, Beta1: 1, Beta2: 0.98, Eps: 1e-8},
		{Alpha: 1, Beta1: 0.9, Beta2: -0.1, Eps: 1e-8}, {Alpha: 1, Beta1: 0.9, Beta2: 0.98, Eps: math.NaN()}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// The reference initialisation: truncated at two standard deviations, entry
// standard deviation std.
func TestInit(t *testing.T) {
	m, err := NewLSA(10, 8)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(rand.New(rand.NewPCG(1, 1)), InitStd)
	var s2 float64
	for _, w := range m.Params {
		s2 += w * w
		if math.Abs(w) > 2*InitStd/truncNormStd {
			t.Fatalf("weight %v beyond the truncation at %v", w, 2*InitStd/truncNormStd)
		}
	}
	if std := math.Sqrt(s2 / float64(len(m.Params))); math.Abs(std-InitStd)/InitStd > 0.03 {
		t.Errorf("entry std %v, want %v", std, InitStd)
	}
}

func TestLSAErrors(t *testing.T) {
	for _, tc := range []struct{ d, layers int }{{0, 1}, {MaxLSADim + 1, 1}, {10, 0}, {10, MaxLSALayers + 1}} {
		if _, err := NewLSA(tc.d, tc.layers); err == nil {
			t.Errorf("NewLSA(%d, %d) accepted", tc.d, tc.layers)
		}
	}
	if _, err := GDConstruction(10, 1, 6, 0); err == nil {
		t.Error("GD construction for N = 0 accepted")
	}
	dist, _ := icl.NewDistribution("train", icl.Reference())
	m, _ := NewLSA(5, 1)
	if _, err := NewTrainer(m, dist, 10, ReferenceAdam(1e-3), 1); err == nil || !strings.Contains(err.Error(), "d = 10") {
		t.Errorf("dimension mismatch: err = %v", err)
	}
	m, _ = NewLSA(10, 1)
	if _, err := NewTrainer(m, dist, 0, ReferenceAdam(1e-3), 1); err == nil {
		t.Error("batch 0 accepted")
	}
	if _, err := NewTrainer(m, dist, 10, ReferenceAdam(-1), 1); err == nil {
		t.Error("negative learning rate accepted")
	}
}

// The per-task pass does not allocate.
func TestTaskGradientAllocationFree(t *testing.T) {
	for _, layers := range []int{1, 3} {
		m, _ := NewLSA(10, layers)
		m.Init(rand.New(rand.NewPCG(1, 1)), 0.1)
		task := sampleTasks(t, icl.Reference(), 1, 1)[0]
		ws := m.NewWorkspace()
		gA, gB := make([]float64, layers*121), make([]float64, layers*121)
		v := make([]float64, 10)
		if n := testing.AllocsPerRun(50, func() {
			ws.addGradient(task, gA, gB)
			ws.Predict(task)
			ws.Weights(task, v)
		}); n != 0 {
			t.Errorf("%d layer(s): %v allocations per task", layers, n)
		}
	}
}
