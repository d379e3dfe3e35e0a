package icl

import "github.com/mesalab/mesalab"

// The base objective of in-context regression is f(s) = −E[(s(x) − y_q)²]: its
// per-task utility depends on the hidden w, which no learner sees. The bridge
// that makes it comparable with a learned objective is the posterior expected
// utility given what the learner sees (the context and x_q):
//
//	u*(x)(ŷ) = −E[(ŷ − y_q)² | context, x_q] = −(ŷ − w̄·x_q)² − Var[y_q | context, x_q],
//
// with w̄ the Bayes posterior mean under the task prior w ~ N(0, I) ([PosteriorMean],
// [PredictiveVariance]). E_x[u*(x)(s(x))] = −MSE(s), so f decomposes over tasks
// exactly; u* is maximised by the Bayes-optimal prediction w̄·x_q, and the regret
// of a prediction is (ŷ − w̄·x_q)².

// BayesPrediction returns the Bayes-optimal prediction w̄·x_q of y_q given the
// context.
func BayesPrediction(t *Task) float64 { return Dot(PosteriorMean(t), t.Query) }

// Posterior is the Bayes posterior of one task, computed once.
type Posterior struct {
	Task       *Task
	Prediction float64 // w̄·x_q
	Variance   float64 // Var[y_q | context, x_q]
}

// NewPosterior computes the posterior prediction and predictive variance of t.
func NewPosterior(t *Task) Posterior {
	pred, v := posteriorOf(t)
	return Posterior{Task: t, Prediction: pred, Variance: v}
}

// Utility is u*(x)(ŷ) = −(ŷ − w̄·x_q)² − Var[y_q | context, x_q].
func (p Posterior) Utility(yhat float64) float64 {
	e := yhat - p.Prediction
	return -e*e - p.Variance
}

// Bridge returns bridge (a) for in-context regression on tasks: u* is the
// posterior expected utility above. The output space ℝ is continuous, so the
// bridge probes u* at a finite set of outputs per task: the Bayes-optimal
// prediction and the outputs probe(x) lists (for a mesa-optimizer, the outputs
// its search trajectory decodes to, so that its induced utility is defined there).
// The posterior of the last task seen is cached, so the returned decomposition is
// not safe for concurrent use.
func Bridge(tasks mesalab.Distribution[*Task], probe func(*Task) []float64) *mesalab.Decomposition[*Task, float64] {
	var last Posterior
	post := func(t *Task) Posterior {
		if last.Task != t {
			last = NewPosterior(t)
		}
		return last
	}
	return &mesalab.Decomposition[*Task, float64]{
		Tasks: tasks,
		Outputs: func(t *Task) []float64 {
			var outs []float64
			if probe != nil {
				outs = probe(t)
			}
			return append(outs, post(t).Prediction)
		},
		Utility: func(t *Task, yhat float64) float64 { return post(t).Utility(yhat) },
	}
}

// MesaProbe returns the probe of [Bridge] for a mesa-optimizer over weight vectors:
// the outputs φ(σ) of its candidates on each task.
func MesaProbe(m mesalab.Mesa[*Task, float64, []float64]) func(*Task) []float64 {
	return func(t *Task) []float64 {
		cands := m.Candidates(t)
		outs := make([]float64, len(cands))
		for i, c := range cands {
			outs[i] = m.Decode(t, c)
		}
		return outs
	}
}
