package irl

import (
	"fmt"
	"math"

	"github.com/mesalab/mesalab"
	"github.com/mesalab/mesalab/task/mdp"
)

// Invariance names a class of transformations of a reward or utility that leave
// the behaviour it explains unchanged: rewards related by one are the same
// behavioral objective.
type Invariance string

const (
	// ArgmaxSet: deterministic one-step behaviour reveals only that the chosen
	// output is among the maximisers of u(x)(·); any u keeping it there explains
	// the behaviour equally well (it includes every positive affine map and every
	// strictly increasing transformation per task).
	ArgmaxSet Invariance = "argmax-set"
	// AdditiveConstant: Boltzmann one-step behaviour π(o|x) ∝ exp(β u(x)(o)) with
	// known β determines u(x)(·) up to one additive constant per task.
	AdditiveConstant Invariance = "per-task-additive-constant"
	// PotentialShaping: soft-optimal (maximum causal entropy) sequential behaviour
	// determines a reward up to potential shaping and S′-redistribution on the
	// support (Skalse et al., "Invariance in Policy Optimisation and Partial
	// Identifiability in Reward Learning", ICML 2023, for the Boltzmann
	// and MCE policies); see [Class].
	PotentialShaping Invariance = "potential-shaping"
)

// Class describes the set of rewards that a sequential behaviour cannot tell
// apart from the representative r̂ of a [Result]. A reward r′ is in the class when
// it differs from r̂ only by
//
//   - potential shaping: r′(s,a,s′) = r̂(s,a,s′) + γ Φ_{t+1}(s′) − Φ_t(s) with a
//     (finite-horizon: time-indexed) potential Φ, Φ_H = 0 (Ng, Harada & Russell
//     1999; Skalse et al. 2023);
//   - S′-redistribution: any change of R(s,a,·) that keeps its expectation under
//     T(s,a,·) (the basis sees only E[R | s, a]);
//   - anything at state-action pairs the demonstrations never reach: Support and
//     ActionSupport are the masks of what the evidence constrains;
//   - within the basis, θ̂ + v for directions v the visited states cannot
//     resolve: Unidentified lists features that are constant, perfectly
//     correlated or collinear over every action available in a visited state.
//
// The representative itself is the maximum-likelihood θ̂ (with the L2 term, the
// smallest such θ̂ along unresolved directions).
type Class struct {
	Invariance Invariance `json:"invariance"`
	Gamma      float64    `json:"gamma"`
	Horizon    int        `json:"horizon"`
	// Support[s] says whether the demonstrations visited state s.
	Support []bool `json:"support"`
	// ActionSupport[s·A+a] says whether they took a in s.
	ActionSupport []bool `json:"action_support"`
	// Unidentified is the identifiability report of the feature basis over every
	// action of the visited states, weighted by visitation.
	Unidentified Report `json:"unidentified"`
}

// Unvisited lists the states the demonstrations never reached.
func (c Class) Unvisited() []int {
	var out []int
	for s, ok := range c.Support {
		if !ok {
			out = append(out, s)
		}
	}
	return out
}

func sequentialClass(b Basis, visits []float64, horizon int, gamma float64) Class {
	S, A, F := b.S, b.A, b.F()
	c := Class{Invariance: PotentialShaping, Gamma: gamma, Horizon: horizon,
		Support: make([]bool, S), ActionSupport: make([]bool, S*A)}
	stateMass := make([]float64, S)
	for sa, v := range visits {
		if v > 0 {
			c.ActionSupport[sa] = true
			c.Support[sa/A] = true
			stateMass[sa/A] += v
		}
	}
	var rows [][]float64
	var weights []float64
	for s := range S {
		if !c.Support[s] {
			continue
		}
		for a := range A {
			rows = append(rows, b.Phi[(s*A+a)*F:(s*A+a+1)*F])
			weights = append(weights, stateMass[s]/float64(A))
		}
	}
	rep, err := Identify("demonstrations", b.Names, rows, weights)
	if err == nil {
		c.Unidentified = rep
	}
	return c
}

// Choice is one observed decision of a one-step system: the output it gave on a
// task.
type Choice[X, O any] struct {
	Task   X
	Output O
}

// Observe records a system's choice on each task.
func Observe[X, O any](sys mesalab.System[X, O], tasks []X) []Choice[X, O] {
	out := make([]Choice[X, O], len(tasks))
	for i, x := range tasks {
		out[i] = Choice[X, O]{Task: x, Output: sys.Act(x)}
	}
	return out
}

// OneStep is the behavioral objective of one-step behaviour in closed form: per
// observed task x, a representative utility over x's outputs and the invariance
// class around it. Tasks never observed are outside the support: any utility
// explains the behaviour there.
type OneStep[X comparable, O comparable] struct {
	Invariance Invariance
	// Beta is the known inverse temperature of Boltzmann behaviour (0 for
	// ArgmaxSet).
	Beta    float64
	tasks   map[X]int
	order   []X
	outputs [][]O
	rep     [][]float64
	chosen  []int // ArgmaxSet: index of the observed output
}

// ArgmaxClass is the class of deterministic one-step behaviour: every u with the
// observed output among the maximisers of u(x)(·) on every observed task. The
// representative is the indicator u(x)(o) = 1 if o was chosen, else 0. A task
// observed with two different outputs is an error (the behaviour is not
// deterministic: use [BoltzmannClass]), as is an output not in outputs(x).
func ArgmaxClass[X comparable, O comparable](choices []Choice[X, O], outputs func(X) []O) (*OneStep[X, O], error) {
	c := &OneStep[X, O]{Invariance: ArgmaxSet, tasks: map[X]int{}}
	for i, ch := range choices {
		outs := outputs(ch.Task)
		k := indexOf(outs, ch.Output)
		if k < 0 {
			return nil, fmt.Errorf("irl: choice %d: output %v is not among the %d outputs of task %v", i, ch.Output, len(outs), ch.Task)
		}
		if j, seen := c.tasks[ch.Task]; seen {
			if c.outputs[j][c.chosen[j]] != ch.Output {
				return nil, fmt.Errorf("irl: choice %d: task %v was observed with outputs %v and %v: behaviour is not deterministic, use BoltzmannClass",
					i, ch.Task, c.outputs[j][c.chosen[j]], ch.Output)
			}
			continue
		}
		u := make([]float64, len(outs))
		u[k] = 1
		c.tasks[ch.Task] = len(c.order)
		c.order = append(c.order, ch.Task)
		c.outputs = append(c.outputs, outs)
		c.rep = append(c.rep, u)
		c.chosen = append(c.chosen, k)
	}
	return c, nil
}

// BoltzmannClass is the class of Boltzmann one-step behaviour
// π(o|x) = exp(β u(x)(o)) / Σ_o′ exp(β u(x)(o′)) with known β > 0: u is determined
// up to one additive constant per task, u(x)(o) = (1/β) log π(o|x) + c(x). The
// representative takes c(x) so that it is centred over x's outputs. prob(x) gives
// π(·|x) over outputs(x); every probability must be positive (a Boltzmann policy
// never excludes an output) and each row must sum to 1.
func BoltzmannClass[X comparable, O comparable](tasks []X, outputs func(X) []O, prob func(X) []float64, beta float64) (*OneStep[X, O], error) {
	if !(beta > 0) || math.IsInf(beta, 0) {
		return nil, fmt.Errorf("irl: Boltzmann class: β = %v, want a finite number > 0 (with β unknown the class widens to a common positive scale as well)", beta)
	}
	c := &OneStep[X, O]{Invariance: AdditiveConstant, Beta: beta, tasks: map[X]int{}}
	for _, x := range tasks {
		if _, seen := c.tasks[x]; seen {
			continue
		}
		outs, p := outputs(x), prob(x)
		if len(p) != len(outs) {
			return nil, fmt.Errorf("irl: Boltzmann class: task %v has %d outputs and %d probabilities", x, len(outs), len(p))
		}
		u := make([]float64, len(p))
		var sum, mean float64
		for k, q := range p {
			if !(q > 0) || q > 1 {
				return nil, fmt.Errorf("irl: Boltzmann class: task %v output %v has probability %v, want 0 < p ≤ 1 (a Boltzmann policy gives every output positive probability)", x, outs[k], q)
			}
			sum += q
			u[k] = math.Log(q) / beta
			mean += u[k]
		}
		if math.Abs(sum-1) > 1e-9 {
			return nil, fmt.Errorf("irl: Boltzmann class: probabilities of task %v sum to %v, want 1", x, sum)
		}
		mean /= float64(len(u))
		for k := range u {
			u[k] -= mean
		}
		c.tasks[x] = len(c.order)
		c.order = append(c.order, x)
		c.outputs = append(c.outputs, outs)
		c.rep = append(c.rep, u)
	}
	return c, nil
}

// Tasks lists the observed tasks (the support) in the order first seen.
func (c *OneStep[X, O]) Tasks() []X { return c.order }

// Observed reports whether task x is in the support.
func (c *OneStep[X, O]) Observed(x X) bool { _, ok := c.tasks[x]; return ok }

// Utility returns the representative on the given outputs of task x: −∞ for an
// output the class does not know and for every output of an unobserved task
// (the evidence says nothing there).
func (c *OneStep[X, O]) Utility(x X, outs []O) []float64 {
	u := make([]float64, len(outs))
	j, ok := c.tasks[x]
	for k, o := range outs {
		u[k] = math.Inf(-1)
		if !ok {
			continue
		}
		if i := indexOf(c.outputs[j], o); i >= 0 {
			u[k] = c.rep[j][i]
		}
	}
	return u
}

// Contains reports whether the utility u over outputs(x) of an observed task x
// belongs to the class within tol: for ArgmaxSet the observed output is within
// tol of max u; for AdditiveConstant u − representative varies by at most tol
// over the outputs. Every utility belongs to the class on an unobserved task.
func (c *OneStep[X, O]) Contains(x X, u []float64, tol float64) bool {
	j, ok := c.tasks[x]
	if !ok {
		return true
	}
	if len(u) != len(c.outputs[j]) {
		return false
	}
	switch c.Invariance {
	case ArgmaxSet:
		return u[c.chosen[j]] >= mdp.MaxRow(u)-tol
	default:
		lo, hi := math.Inf(1), math.Inf(-1)
		for k := range u {
			d := u[k] - c.rep[j][k]
			lo, hi = math.Min(lo, d), math.Max(hi, d)
		}
		return hi-lo <= tol
	}
}

// Induced presents a system together with its behavioral objective as a
// [mesalab.Induced]: Act is the system's, the utility is the class
// representative. A reactive policy has no mesa-objective (compare.System
// reports it incomparable), but its behavioral objective is comparable with a
// decomposed base objective through this view.
func (c *OneStep[X, O]) Induced(sys mesalab.System[X, O]) mesalab.Induced[X, O] {
	return behavioral[X, O]{sys: sys, c: c}
}

type behavioral[X comparable, O comparable] struct {
	sys mesalab.System[X, O]
	c   *OneStep[X, O]
}

func (b behavioral[X, O]) Act(x X) O { return b.sys.Act(x) }

func (b behavioral[X, O]) InducedUtility(x X, outs []O) []float64 { return b.c.Utility(x, outs) }

func indexOf[O comparable](outs []O, o O) int {
	for k, x := range outs {
		if x == o {
			return k
		}
	}
	return -1
}
