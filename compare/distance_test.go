package compare

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/task/mdp"
)

func randomReward(r *rand.Rand, S, A int) Reward {
	x := make([]float64, S*A*S)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	return Reward{S: S, A: A, R: x}
}

func randomDist(r *rand.Rand, n int) []float64 {
	w := make([]float64, n)
	var sum float64
	for i := range w {
		w[i] = r.Float64()
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

func randomT(r *rand.Rand, S, A, k int) []float64 {
	t := make([]float64, S*A*S)
	for sa := range S * A {
		for range k {
			t[sa*S+r.IntN(S)] += 1 / float64(k)
		}
	}
	return t
}

// naiveEPIC is Definition 4.1 of Gleave et al. written out: the expectation over
// S, S′ ∼ D_S and A ∼ D_A as explicit sums, and a two-pass weighted Pearson.
func naiveEPIC(a, b Reward, gamma float64, ds, da, cov []float64) float64 {
	S, A := a.S, a.A
	canon := func(r Reward) []float64 {
		c := make([]float64, len(r.R))
		for s := range S {
			for act := range A {
				for s2 := range S {
					var e float64
					for x := range S {
						for u := range A {
							for x2 := range S {
								p := ds[x] * da[u] * ds[x2]
								e += p * (gamma*r.At(s2, u, x2) - r.At(s, u, x2) - gamma*r.At(x, u, x2))
							}
						}
					}
					c[(s*A+act)*S+s2] = r.At(s, act, s2) + e
				}
			}
		}
		return c
	}
	x, y := canon(a), canon(b)
	var mx, my, w float64
	for i := range x {
		mx += cov[i] * x[i]
		my += cov[i] * y[i]
		w += cov[i]
	}
	mx, my = mx/w, my/w
	var sxx, syy, sxy float64
	for i := range x {
		sxx += cov[i] * (x[i] - mx) * (x[i] - mx)
		syy += cov[i] * (y[i] - my) * (y[i] - my)
		sxy += cov[i] * (x[i] - mx) * (y[i] - my)
	}
	rho := math.Min(1, sxy/math.Sqrt(sxx*syy))
	return math.Sqrt((1 - rho) / 2)
}

// TestEPICAgreesWithDefinition cross-checks both fast paths (one pass for uniform
// coverage, two passes with a coverage) against the definition.
func TestEPICAgreesWithDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, tc := range []struct {
		name             string
		S, A             int
		gamma            float64
		uniform, withCov bool
	}{
		{"uniform γ=0.9", 5, 3, 0.9, true, false},
		{"uniform γ=1", 4, 2, 1, true, false},
		{"uniform γ=0", 3, 4, 0, true, false},
		{"D_S D_A γ=0.7", 5, 3, 0.7, false, false},
		{"coverage γ=0.99", 6, 2, 0.99, true, true},
		{"all given γ=0.5", 4, 3, 0.5, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := randomReward(r, tc.S, tc.A), randomReward(r, tc.S, tc.A)
			var d Dists
			ds, da := uniformOr(nil, tc.S), uniformOr(nil, tc.A)
			cov := uniformOr(nil, tc.S*tc.A*tc.S)
			if !tc.uniform {
				ds, da = randomDist(r, tc.S), randomDist(r, tc.A)
				d.States, d.Actions = ds, da
			}
			if tc.withCov {
				cov = randomDist(r, tc.S*tc.A*tc.S)
				d.Coverage = cov
			}
			got, err := EPICDistance(a, b, tc.gamma, d, PotentialShaping)
			if err != nil {
				t.Fatal(err)
			}
			want := naiveEPIC(a, b, tc.gamma, ds, da, cov)
			if math.Abs(got-want) > 1e-12 {
				t.Fatalf("EPIC = %.16g, definition gives %.16g", got, want)
			}
			if !tc.withCov {
				// The two-pass path with an explicit uniform coverage agrees.
				d.Coverage = uniformOr(nil, tc.S*tc.A*tc.S)
				two, err := EPICDistance(a, b, tc.gamma, d, PotentialShaping)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(two-got) > 1e-12 {
					t.Fatalf("one pass %.16g, two passes %.16g", got, two)
				}
			}
		})
	}
}

// TestDistancesIndependentOfCores checks that EPIC and STARC give the same bits
// with one and with several workers, on shapes with several chunks.
func TestDistancesIndependentOfCores(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	const S, A = 300, 4 // 1200 entries per state: 109 states per chunk, 3 chunks
	a, b := randomReward(r, S, A), randomReward(r, S, A)
	T := randomT(r, S, A, 3)
	cov := randomDist(r, S*A*S)
	compute := func() []float64 {
		var out []float64
		for _, d := range []Dists{{}, {Coverage: cov}, {States: randomDist(rand.New(rand.NewPCG(1, 1)), S)}} {
			e, err := NewEPIC(S, A, 0.95, d)
			if err != nil {
				t.Fatal(err)
			}
			x, _ := e.Distance(a, b, PotentialShaping)
			out = append(out, x)
		}
		st, err := NewSTARC(S, A, 0.95, STARCOptions{Transitions: T})
		if err != nil {
			t.Fatal(err)
		}
		x, _ := st.Distance(a, b, ShapingRedistribution)
		return append(out, x)
	}
	prev := runtime.GOMAXPROCS(1)
	one := compute()
	runtime.GOMAXPROCS(4)
	four := compute()
	runtime.GOMAXPROCS(prev)
	for i := range one {
		if one[i] != four[i] || one[i] <= 0 {
			t.Fatalf("result %d: %v with 1 worker, %v with 4", i, one[i], four[i])
		}
	}
}

// TestSTARCValueCanonicalisation checks c_VAL against the advantage Q^π − V^π
// from task/mdp's exact policy evaluation, and the distance against a direct
// computation.
func TestSTARCValueCanonicalisation(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	const S, A, gamma = 6, 3, 0.9
	T := randomT(r, S, A, 2)
	Tdense := randomT(r, S, A, 40) // more than a quarter non-zero: dense path
	for _, tt := range [][]float64{T, Tdense} {
		a, b := randomReward(r, S, A), randomReward(r, S, A)
		pi := make([]float64, S*A)
		for s := range S {
			copy(pi[s*A:(s+1)*A], randomDist(r, A))
		}
		advantage := func(x Reward) []float64 {
			m, err := mdp.New(S, A, tt, x.R, gamma, uniformOr(nil, S))
			if err != nil {
				t.Fatal(err)
			}
			v, q, err := m.Evaluate(pi)
			if err != nil {
				t.Fatal(err)
			}
			c := make([]float64, S*A)
			for sa := range c {
				c[sa] = q[sa] - v[sa/A]
			}
			return c
		}
		ca, cb := advantage(a), advantage(b)
		norm := func(x []float64) float64 {
			var s float64
			for _, v := range x {
				s += v * v / float64(len(x))
			}
			return math.Sqrt(s)
		}
		na, nb := norm(ca), norm(cb)
		diff := make([]float64, len(ca))
		for i := range ca {
			diff[i] = ca[i]/na - cb[i]/nb
		}
		want := norm(diff) / 2
		got, err := STARCDistance(a, b, gamma, STARCOptions{Transitions: tt, Policy: pi}, ShapingRedistribution)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-10 {
			t.Fatalf("STARC = %.15g, advantage computation gives %.15g", got, want)
		}
	}
}

// TestDARDAgreesWithDefinition checks the DARD canonicalisation against its
// expectation written out over A, S′ and S″.
func TestDARDAgreesWithDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 10))
	const S, A, gamma = 4, 3, 0.8
	T := randomT(r, S, A, 2)
	x := randomReward(r, S, A)
	da := randomDist(r, A)
	got, err := DARDCanonical(x, gamma, T, da)
	if err != nil {
		t.Fatal(err)
	}
	tp := func(s, a, s2 int) float64 { return T[(s*A+a)*S+s2] }
	for s := range S {
		for a := range A {
			for s2 := range S {
				var e float64
				for u := range A {
					for x1 := range S {
						for x2 := range S {
							p := da[u] * tp(s, u, x1) * tp(s2, u, x2)
							e += p * (gamma*x.At(s2, u, x2) - x.At(s, u, x1) - gamma*x.At(x1, u, x2))
						}
					}
				}
				want := x.At(s, a, s2) + e
				if g := got[(s*A+a)*S+s2]; math.Abs(g-want) > 1e-12 {
					t.Fatalf("C_T(R)[%d,%d,%d] = %v, want %v", s, a, s2, g, want)
				}
			}
		}
	}
}

// TestGridworldEquivalents: the reference's shaped and rescaled variants of the
// sparse goal are at distance 0 under DARD and STARC too, with zero regret, and
// the sparse penalty is at the maximum.
func TestGridworldEquivalents(t *testing.T) {
	ref := loadGridworld(t)
	g := &ref.Gridworld
	T := transitionsSAS(g.Transitions.Array)
	goal := ref.reward(t, "sparse_goal")
	st, err := NewSTARC(g.NStates, g.NActions, g.Gamma, STARCOptions{Transitions: T})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sparse_goal_shift", "sparse_goal_scale", "dense_goal", "antidense_goal", "transformed_goal"} {
		other := ref.reward(t, name)
		dard, err := DARDDistance(goal, other, g.Gamma, T, Dists{}, PotentialShaping)
		if err != nil {
			t.Fatal(err)
		}
		starc, err := st.Distance(goal, other, ShapingRedistribution)
		if err != nil {
			t.Fatal(err)
		}
		reg, err := Regret(goal, other, g.Gamma, T, nil, PotentialShaping)
		if err != nil {
			t.Fatal(err)
		}
		if dard > 1e-6 || starc > 1e-6 || reg.Normalized > 1e-9 || !reg.Optimal {
			t.Errorf("sparse_goal vs %s: DARD %g, STARC %g, regret %+v; want 0", name, dard, starc, reg)
		}
	}
	penalty := ref.reward(t, "sparse_penalty")
	starc, _ := st.Distance(goal, penalty, ShapingRedistribution)
	if math.Abs(starc-1) > 1e-9 {
		t.Errorf("STARC(sparse_goal, sparse_penalty) = %v, want 1 (one is the negation of the other)", starc)
	}
	reg, _ := Regret(goal, penalty, g.Gamma, T, nil, PotentialShaping)
	if reg.Optimal || reg.Normalized <= 0.5 {
		t.Errorf("regret(sparse_goal, sparse_penalty) = %+v, want a large regret", reg)
	}
}

// TestRegretClosedForm: one state, three actions that stay, γ = ½. Under A the
// actions pay (1, 0, ½) per step, so returns are (2, 0, 1); B prefers action 2.
func TestRegretClosedForm(t *testing.T) {
	T := []float64{1, 1, 1}
	a := Reward{S: 1, A: 3, R: []float64{1, 0, 0.5}}
	b := Reward{S: 1, A: 3, R: []float64{0, 0, 1}}
	for _, tc := range []struct {
		inv              Invariance
		regret, normed   float64
		optimal          bool
		first, second    Reward
		startDistributed bool
	}{
		{PotentialShaping, 1, 0.5, false, a, b, false},
		{ArgmaxSets, 1, 1, false, a, b, false},
		{ShapingRedistribution, 0, 0, true, a, a.Affine(3, 2), true},
		{ArgmaxSets, 0, 0, true, a, a.Affine(3, 2), true},
	} {
		res, err := Regret(tc.first, tc.second, 0.5, T, []float64{1}, tc.inv)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(res.Regret-tc.regret) > 1e-12 || math.Abs(res.Normalized-tc.normed) > 1e-12 || res.Optimal != tc.optimal {
			t.Errorf("%v: regret %+v, want regret %v normalized %v optimal %v", tc.inv, res, tc.regret, tc.normed, tc.optimal)
		}
	}
}

func TestERC(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	const S, A = 5, 2
	T := randomT(r, S, A, 2)
	a, b := randomReward(r, S, A), randomReward(r, S, A)
	opt := ERCOptions{Episodes: 500, Horizon: 20, Seed: 3}
	same, err := ERC(a, a.Affine(2.5, -1), 0.9, T, nil, opt, PositiveAffine)
	if err != nil {
		t.Fatal(err)
	}
	if same.Distance > 1e-7 || math.Abs(same.Correlation-1) > 1e-12 {
		t.Fatalf("ERC(R, 2.5R − 1) = %+v, want correlation 1", same)
	}
	neg, _ := ERC(a, a.Affine(-1, 0), 0.9, T, nil, opt, PositiveAffine)
	if math.Abs(neg.Distance-1) > 1e-12 {
		t.Fatalf("ERC(R, −R) = %+v, want distance 1", neg)
	}
	x1, _ := ERC(a, b, 0.9, T, nil, opt, PositiveAffine)
	x2, _ := ERC(a, b, 0.9, T, nil, opt, PositiveAffine)
	if x1 != x2 || x1.Distance <= 0.05 || x1.Distance >= 0.95 {
		t.Fatalf("ERC of two random rewards: %+v then %+v; want equal, strictly between 0 and 1", x1, x2)
	}
	// Closed form: one state, one action, reward 1 for ever: every return equals
	// (1 − γ^H)/(1 − γ); both sides constant, so correlation 1.
	one := Reward{S: 1, A: 1, R: []float64{1}}
	c, _ := ERC(one, one, 0.5, []float64{1}, nil, opt, PositiveAffine)
	if c.Distance != 0 {
		t.Fatalf("ERC of constant returns = %+v, want distance 0", c)
	}
}

// TestIncomparable: a comparator given a class it cannot honour says so.
func TestComparatorsIncomparable(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	const S, A = 3, 2
	a, b := randomReward(r, S, A), randomReward(r, S, A)
	T := randomT(r, S, A, 2)
	for _, tc := range []struct {
		name, want string
		err        error
	}{
		{"EPIC redistribution", "S′-redistribution", func() error {
			_, err := EPICDistance(a, b, 0.9, Dists{}, ShapingRedistribution)
			return err
		}()},
		{"EPIC argmax", "argmax-sets", func() error { _, err := EPICDistance(a, b, 0.9, Dists{}, ArgmaxSets); return err }()},
		{"DARD redistribution", "DARD honours only", func() error {
			_, err := DARDDistance(a, b, 0.9, T, Dists{}, ShapingRedistribution)
			return err
		}()},
		{"STARC argmax", "regret", func() error {
			_, err := STARCDistance(a, b, 0.9, STARCOptions{Transitions: T}, ArgmaxSets)
			return err
		}()},
		{"STARC/EPIC redistribution", "epic canonicalisation", func() error {
			_, err := STARCDistance(a, b, 0.9, STARCOptions{Canonicalisation: EPICCanonicalisation}, ShapingRedistribution)
			return err
		}()},
		{"Pearson shaping", "potential-shaping", func() error { _, err := PearsonDistance(a, b, nil, PotentialShaping); return err }()},
		{"ERC shaping", "episode-return", func() error {
			_, err := ERC(a, b, 0.9, T, nil, ERCOptions{}, PotentialShaping)
			return err
		}()},
		{"undefined class", "undefined", func() error { _, err := EPICDistance(a, b, 0.9, Dists{}, Invariance(0)); return err }()},
	} {
		var inc *mesalab.Incomparable
		if !errors.As(tc.err, &inc) {
			t.Errorf("%s: got %v, want *mesalab.Incomparable", tc.name, tc.err)
			continue
		}
		if len(inc.Missing) != 1 || !strings.Contains(inc.Missing[0], tc.want) {
			t.Errorf("%s: %q does not mention %q", tc.name, inc.Missing, tc.want)
		}
	}
	// What each honours does give a number.
	if _, err := PearsonDistance(a, b, nil, PositiveAffine); err != nil {
		t.Error(err)
	}
	if _, err := STARCDistance(a, b, 0.9, STARCOptions{Canonicalisation: EPICCanonicalisation}, PotentialShaping); err != nil {
		t.Error(err)
	}
}

func TestBadInput(t *testing.T) {
	good := Reward{S: 2, A: 1, R: []float64{1, 2, 3, 4}}
	for _, tc := range []struct {
		name, want string
		err        error
	}{
		{"shape", "differ in shape", func() error {
			_, err := EPICDistance(good, Reward{S: 1, A: 1, R: []float64{1}}, 0.9, Dists{}, PotentialShaping)
			return err
		}()},
		{"NaN", "R[s=1][a=0][s′=0] = NaN", func() error {
			_, err := EPICDistance(good, Reward{S: 2, A: 1, R: []float64{1, 2, math.NaN(), 4}}, 0.9, Dists{}, PotentialShaping)
			return err
		}()},
		{"D_S sum", "state distribution D_S sums to", func() error {
			_, err := EPICDistance(good, good, 0.9, Dists{States: []float64{0.5, 0.6}}, PotentialShaping)
			return err
		}()},
		{"negative D_A", "action distribution D_A entry 0 = -1", func() error {
			_, err := EPICDistance(good, good, 0.9, Dists{Actions: []float64{-1}}, PotentialShaping)
			return err
		}()},
		{"coverage length", "coverage distribution D has 3 entries, want 4", func() error {
			_, err := EPICDistance(good, good, 0.9, Dists{Coverage: []float64{1, 0, 0}}, PotentialShaping)
			return err
		}()},
		{"γ", "discount γ = 1.5", func() error { _, err := EPICDistance(good, good, 1.5, Dists{}, PotentialShaping); return err }()},
		{"T row", "row T[s=0][a=0][·] sums to", func() error {
			_, err := STARCDistance(good, good, 0.9, STARCOptions{Transitions: []float64{0.5, 0.4, 0, 1}}, ShapingRedistribution)
			return err
		}()},
		{"no T", "needs the transition model", func() error {
			_, err := STARCDistance(good, good, 0.9, STARCOptions{}, ShapingRedistribution)
			return err
		}()},
		{"STARC γ=1", "0 ≤ γ < 1", func() error {
			_, err := STARCDistance(good, good, 1, STARCOptions{Transitions: []float64{1, 0, 0, 1}}, ShapingRedistribution)
			return err
		}()},
		{"norm p", "norm's p = 0.5", func() error {
			_, err := STARCDistance(good, good, 0.9, STARCOptions{Transitions: []float64{1, 0, 0, 1}, Norm: 0.5}, ShapingRedistribution)
			return err
		}()},
	} {
		var inc *mesalab.Incomparable
		if tc.err == nil || errors.As(tc.err, &inc) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: got error %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
}

func TestBroadcast(t *testing.T) {
	state, err := Broadcast([]int{2}, []float64{1, 2}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	sa, err := Broadcast([]int{2, 3}, []float64{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	for s := range 2 {
		for a := range 3 {
			for s2 := range 2 {
				if got := state.At(s, a, s2); got != float64(s+1) {
					t.Fatalf("R(s) broadcast: R[%d,%d,%d] = %v, want %v", s, a, s2, got, s+1)
				}
				if got := sa.At(s, a, s2); got != float64(s*3+a+1) {
					t.Fatalf("R(s,a) broadcast: R[%d,%d,%d] = %v, want %v", s, a, s2, got, s*3+a+1)
				}
			}
		}
	}
	for _, tc := range []struct {
		shape []int
		data  []float64
		want  string
	}{
		{[]int{3}, []float64{1, 2, 3}, "want [2]"},
		{[]int{2, 2}, []float64{1, 2, 3, 4}, "want [2 3]"},
		{[]int{2, 3, 2, 1}, make([]float64, 12), "want (S)=(2)"},
		{[]int{2}, []float64{1, math.Inf(1)}, "reward entry [1] = +Inf"},
		{[]int{2}, []float64{1}, "has 1 entries, want 2"},
	} {
		if _, err := Broadcast(tc.shape, tc.data, 2, 3); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Broadcast(%v): error %v, want one containing %q", tc.shape, err, tc.want)
		}
	}
}

// TestDegenerate: constant rewards give defined values, never NaN.
func TestDegenerate(t *testing.T) {
	const S, A = 3, 2
	c1 := Reward{S: S, A: A, R: make([]float64, S*A*S)}
	c2 := c1.Affine(0, 5)
	shaping := c1.Shaped(0.9, []float64{1, -2, 7})
	x := randomReward(rand.New(rand.NewPCG(13, 13)), S, A)
	for _, tc := range []struct {
		name string
		a, b Reward
		want float64
	}{
		{"zero vs constant", c1, c2, 0},
		{"constant vs pure shaping", c2, shaping, 0},
		{"constant vs reward", c2, x, math.Sqrt(0.5)},
	} {
		for _, d := range []Dists{{}, {Coverage: uniformOr(nil, S*A*S)}} {
			got, err := EPICDistance(tc.a, tc.b, 0.9, d, PotentialShaping)
			if err != nil || math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("%s (coverage given: %v): EPIC = %v, %v; want %v", tc.name, d.Coverage != nil, got, err, tc.want)
			}
		}
	}
	T := randomT(rand.New(rand.NewPCG(14, 14)), S, A, 2)
	if got, _ := STARCDistance(c2, shaping, 0.9, STARCOptions{Transitions: T}, ShapingRedistribution); got != 0 {
		t.Errorf("STARC(constant, shaping) = %v, want 0", got)
	}
	if got, _ := STARCDistance(c2, x, 0.9, STARCOptions{Transitions: T}, ShapingRedistribution); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("STARC(constant, reward) = %v, want ½ (a unit vector against 0)", got)
	}
}

// TestDistanceAllocatesNothing: prepared EPIC (both paths) and STARC allocate
// nothing per comparison with one worker.
func TestDistanceAllocatesNothing(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	r := rand.New(rand.NewPCG(15, 15))
	const S, A = 40, 3
	a, b := randomReward(r, S, A), randomReward(r, S, A)
	e1, _ := NewEPIC(S, A, 0.9, Dists{})
	e2, _ := NewEPIC(S, A, 0.9, Dists{Coverage: randomDist(r, S*A*S), States: randomDist(r, S)})
	st, _ := NewSTARC(S, A, 0.9, STARCOptions{Transitions: randomT(r, S, A, 3)})
	for name, f := range map[string]func(){
		"EPIC one pass":   func() { e1.Distance(a, b, PotentialShaping) },
		"EPIC two passes": func() { e2.Distance(a, b, PotentialShaping) },
		"STARC":           func() { st.Distance(a, b, ShapingRedistribution) },
	} {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s: %v allocations per comparison", name, n)
		}
	}
}
