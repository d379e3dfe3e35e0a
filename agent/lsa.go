package agent

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mesalab/mesalab/task/icl"
)

// LSA is a stack of linear self-attention layers on in-context linear regression
// (von Oswald et al., "Transformers Learn In-Context by Gradient Descent", ICML
// 2023, §2). A task becomes N context tokens e_i = [x_i; y_i] and a query token
// e_q = [x_q; 0], each of D = d+1 entries. Layer l updates every token e_j by
//
//	e_j ← e_j + P W_V Σ_i e_i (W_K e_i)ᵀ (W_Q e_j) = (I + A_l M_l B_l) e_j,
//
// with keys and values from the N context tokens only (the query only queries), no
// softmax, bias, normalisation or MLP. Here M_l = Σ_i e_i e_iᵀ over the context
// tokens entering layer l, A = P W_V and B = W_Kᵀ W_Q; only these products matter.
// The prediction is minus the last entry of the final query token.
//
// Because the query's label entry starts at 0 and every layer is linear in the
// query token, the prediction is linear in x_q given the context: ŷ = v·x_q with
// v = ∂ŷ/∂x_q the model's implicit weight vector ([LSAWorkspace.Weights]). After layer
// l the query's last entry is likewise −v^(l)·x_q, and v^(0) = 0, …, v^(K) is the
// LSA's own search trajectory in Σ = weight vectors: this is what makes a trained
// LSA a [mesalab.Mesa] (Candidates, Objective, Decode).
type LSA struct {
	Dim    int // d: tokens have d+1 entries
	Layers int // K
	// Params holds, for each layer l at offset l·4·(d+1)², the matrices W_K, W_Q,
	// W_V and P, each (d+1)×(d+1) in row-major order.
	Params []float64
}

// Bounds on the model size, so that a bad input cannot ask for an absurd allocation.
const (
	MaxLSADim    = 1024
	MaxLSALayers = 64
)

// NewLSA returns an LSA with all weights zero.
func NewLSA(d, layers int) (*LSA, error) {
	if d < 1 || d > MaxLSADim {
		return nil, fmt.Errorf("agent: LSA input dimension d = %d, want 1 … %d", d, MaxLSADim)
	}
	if layers < 1 || layers > MaxLSALayers {
		return nil, fmt.Errorf("agent: LSA layers = %d, want 1 … %d", layers, MaxLSALayers)
	}
	D := d + 1
	return &LSA{Dim: d, Layers: layers, Params: make([]float64, layers*4*D*D)}, nil
}

// InitStd is the entry standard deviation of the reference initialisation.
//
// Trained by Adam from this initialisation, a one-layer LSA sometimes sits for
// hundreds to thousands of steps on a plateau where it predicts through a rank-1
// path instead of the GD construction: the x-part of the label-writing value row
// and the label row of W_Kᵀ W_Q grow together, −(a_x·Σ_i y_i x_i)(b_yx·x_q), which
// learns one direction of w (½·MSE ≈ 0.40 instead of 0.206), while the label
// energy term a_y Σ_i y_i² (b_yx·x_q) pins a_y near 0. With batch 1024, learning
// rate 0.01 and 600 cosine-decayed steps, 5 of 48 seeds stall there at this
// initialisation and none of 48 at std 0.05, the icl-gd experiment's default.
const InitStd = 0.015

// truncNormStd is the standard deviation of N(0, 1) truncated to [−2, 2].
const truncNormStd = 0.87962566103423978

// Init draws every weight from a normal distribution truncated at two standard
// deviations and rescaled so that the entries have standard deviation std, as
// Haiku's TruncatedNormal initialiser in the reference code (std ≈ 0.015).
func (m *LSA) Init(r *rand.Rand, std float64) {
	for i := range m.Params {
		z := r.NormFloat64()
		for math.Abs(z) > 2 {
			z = r.NormFloat64()
		}
		m.Params[i] = std / truncNormStd * z
	}
}

// Layer returns views of layer l's W_K, W_Q, W_V and P.
func (m *LSA) Layer(l int) (wk, wq, wv, p []float64) {
	D := m.Dim + 1
	o := l * 4 * D * D
	s := m.Params[o : o+4*D*D]
	return s[:D*D], s[D*D : 2*D*D], s[2*D*D : 3*D*D], s[3*D*D:]
}

// Products writes A_l = P W_V and B_l = W_Kᵀ W_Q of every layer into a and b
// (each Layers·D² long, allocated when nil) and returns them.
func (m *LSA) Products(a, b []float64) ([]float64, []float64) {
	D := m.Dim + 1
	if len(a) != m.Layers*D*D {
		a = make([]float64, m.Layers*D*D)
	}
	if len(b) != m.Layers*D*D {
		b = make([]float64, m.Layers*D*D)
	}
	for l := range m.Layers {
		wk, wq, wv, p := m.Layer(l)
		mul(a[l*D*D:(l+1)*D*D], p, wv, D)
		mulTN(b[l*D*D:(l+1)*D*D], wk, wq, D)
	}
	return a, b
}

// GDConstruction returns the LSA of von Oswald et al. (2023, Proposition 1) that
// implements K steps of gradient descent from W = 0 on the in-context loss
// L(W) = 1/(2N) Σ_i (W x_i − y_i)² with learning rate eta, for context size n:
//
//	W_K = W_Q = [[I_d, 0], [0, 0]],  W_V = [[0, 0], [0, −1]],  P = (η/N) I.
//
// Layer 1 predicts (η/N) Σ_i y_i x_iᵀ x_q; every further layer takes one more step
// (the context labels become residuals y_i − W_k x_i).
func GDConstruction(d, layers int, eta float64, n int) (*LSA, error) {
	return constructGD(d, layers, eta, 0, n)
}

// GDPlusPlusConstruction returns the LSA that implements K steps of GD++ (see
// icl.GDPlusPlus): W_K = W_Q = [[I_d, 0], [0, 0]] and P W_V = −diag(γ I_d, η/N).
func GDPlusPlusConstruction(d, layers int, eta, gamma float64, n int) (*LSA, error) {
	return constructGD(d, layers, eta, gamma, n)
}

func constructGD(d, layers int, eta, gamma float64, n int) (*LSA, error) {
	if n < 1 {
		return nil, fmt.Errorf("agent: GD construction for context size N = %d, want ≥ 1", n)
	}
	m, err := NewLSA(d, layers)
	if err != nil {
		return nil, err
	}
	D := d + 1
	for l := range layers {
		wk, wq, wv, p := m.Layer(l)
		for j := range d {
			wk[j*D+j], wq[j*D+j] = 1, 1
			wv[j*D+j] = -gamma
			p[j*D+j] = 1
		}
		wv[d*D+d] = -1
		p[d*D+d] = eta / float64(n)
	}
	return m, nil
}

// ReadOff is what one layer's weights say about the algorithm it runs. Writing
// a = (P W_V)_{y,·} = (a_x, a_y) (the row that writes the query's label) and
// B = W_Kᵀ W_Q with blocks B_xx and b = B_{y,x}, a layer on the raw tokens predicts
//
//	ŷ = (Σ_i y_i x_i)ᵀ (Γ − N a_x bᵀ) x_q / N − a_xᵀ (Σ_i x_i x_iᵀ) B_xx x_q − a_y (Σ_i y_i²) b·x_q,
//	Γ = −N a_y B_xx:
//
// one step of preconditioned gradient descent on the in-context loss L from W = 0
// (−∇L(0) = (1/N) Σ_i y_i x_i) with learning-rate matrix Γᵀ; a rank-1 label path
// through a_x and b; and terms that use only the inputs' second moments or the
// labels' energy. For the GD construction Γ = η I and a_x = b = 0.
type ReadOff struct {
	// Step is the effective per-token step η/N = −a_y · mean diag(B_xx), the
	// read-off of von Oswald et al. (2023, Fig. 2): 0.606 for a trained reference
	// LSA.
	Step float64
	// Anisotropy is ‖Γ − (tr Γ/d) I‖_F / ‖(tr Γ/d) I‖_F: 0 for plain (isotropic)
	// gradient descent, larger for a preconditioned step.
	Anisotropy float64
	// OffConstruction is √(‖a_x‖²/a_y² + ‖B_{y,x}‖²/‖B_xx‖_F²): the size of the
	// weights outside the GD construction relative to those inside; 0 for the
	// construction. Invariant to the scale symmetry A → A/s, B → sB.
	OffConstruction float64
}

// ReadOff reads layer l's effective step and its departure from the GD
// construction.
func (m *LSA) ReadOff(l int) ReadOff {
	d, D := m.Dim, m.Dim+1
	wk, wq, wv, p := m.Layer(l)
	a := make([]float64, D)
	for j := range D { // a = row d of P W_V
		for k := range D {
			a[j] += p[d*D+k] * wv[k*D+j]
		}
	}
	b := make([]float64, D*D)
	mulTN(b, wk, wq, D)
	var diag, bxx2, byx2, ax2 float64
	for j := range d {
		diag += b[j*D+j]
		byx2 += b[d*D+j] * b[d*D+j]
		ax2 += a[j] * a[j]
		for k := range d {
			bxx2 += b[j*D+k] * b[j*D+k]
		}
	}
	diag /= float64(d)
	r := ReadOff{Step: -a[d] * diag}
	// Γ/(−N a_y) = B_xx: its anisotropy is B_xx's.
	var off float64
	for j := range d {
		for k := range d {
			e := b[j*D+k]
			if j == k {
				e -= diag
			}
			off += e * e
		}
	}
	if diag != 0 {
		r.Anisotropy = math.Sqrt(off/float64(d)) / math.Abs(diag)
	} else {
		r.Anisotropy = math.Inf(1)
	}
	switch {
	case a[d] != 0 && bxx2 > 0:
		r.OffConstruction = math.Sqrt(ax2/(a[d]*a[d]) + byx2/bxx2)
	default:
		r.OffConstruction = math.Inf(1)
	}
	return r
}

// Act predicts y_q (System). It allocates a [LSAWorkspace] and is safe for
// concurrent use; loops over many tasks should use one LSAWorkspace instead, which
// is the same mesa-optimizer without the allocations.
func (m *LSA) Act(t *icl.Task) float64 { return m.NewWorkspace().Predict(t) }

// Candidates returns the LSA's search trajectory on task t: the implicit weight
// vectors v^(0) = 0, v^(1), …, v^(K) after each layer (Σ_x, sampled along the
// search, since Σ = ℝ^d is continuous).
func (m *LSA) Candidates(t *icl.Task) [][]float64 { return m.NewWorkspace().Trajectory(t) }

// Objective is the implied mesa-objective g_x(v) = −L(v), minus the in-context
// least-squares loss: the objective whose gradient step the layers take.
func (m *LSA) Objective(t *icl.Task, v []float64) float64 { return -icl.Loss(t, v) }

// Decode is φ(v) = v·x_q, the prediction of weights v on the query.
func (m *LSA) Decode(t *icl.Task, v []float64) float64 { return icl.Dot(v, t.Query) }

// LSAWorkspace holds the products A_l, B_l of a model and the scratch memory of one
// forward and backward pass, so that loops over tasks do not allocate. It sees the
// weights as they were when it was made or last refreshed. A LSAWorkspace is not safe
// for concurrent use; make one per goroutine.
type LSAWorkspace struct {
	m          *LSA
	d, D, K    int
	A, B       []float64 // K·D² products
	M, T       []float64 // K·D²: M_l and T_l = I + A_l M_l B_l
	q          []float64 // (K+1)·D: the query token entering each layer and the output
	t1, t2, t3 []float64 // D² scratch
	tbarO      outer     // adjoint of T_l
	mbarO      outer     // adjoint of M_{l+1}, then of M_l
	mbarNext   outer
	g, g2, v2  []float64 // D: adjoint of the query token, scratch
	v, u, z    []float64 // D: scratch and the one-layer fast path
	general    bool      // force the general path (tests)
}

// NewWorkspace returns a workspace for m with the current weights.
func (m *LSA) NewWorkspace() *LSAWorkspace {
	D, K := m.Dim+1, m.Layers
	w := &LSAWorkspace{m: m, d: m.Dim, D: D, K: K,
		M: make([]float64, K*D*D), T: make([]float64, K*D*D), q: make([]float64, (K+1)*D),
		t1: make([]float64, D*D), t2: make([]float64, D*D), t3: make([]float64, D*D),
		g: make([]float64, D), g2: make([]float64, D), v2: make([]float64, D),
		v: make([]float64, D), u: make([]float64, D), z: make([]float64, D)}
	w.tbarO, w.mbarO, w.mbarNext = w.newOuter(), w.newOuter(), w.newOuter()
	w.Refresh()
	return w
}

// Act predicts y_q: a LSAWorkspace is the model as a (sequential) mesa-optimizer,
// with the Candidates, Objective and Decode of [LSA].
func (w *LSAWorkspace) Act(t *icl.Task) float64 { return w.Predict(t) }

// Candidates returns the search trajectory v^(0) = 0, …, v^(K) (see [LSA.Candidates]).
func (w *LSAWorkspace) Candidates(t *icl.Task) [][]float64 { return w.Trajectory(t) }

// Objective is g_x(v) = −L(v) (see [LSA.Objective]).
func (w *LSAWorkspace) Objective(t *icl.Task, v []float64) float64 { return -icl.Loss(t, v) }

// Decode is φ(v) = v·x_q.
func (w *LSAWorkspace) Decode(t *icl.Task, v []float64) float64 { return icl.Dot(v, t.Query) }

// Refresh recomputes the products from the model's current weights.
func (w *LSAWorkspace) Refresh() { w.A, w.B = w.m.Products(w.A, w.B) }

// Predict returns the model's prediction ŷ on task t.
func (w *LSAWorkspace) Predict(t *icl.Task) float64 {
	if w.K == 1 && !w.general {
		return w.oneLayer(t, nil, nil, 0)
	}
	return w.forward(t)
}

// forward runs the general K-layer pass. It keeps M_l for every layer, T_l for
// every layer but the last (whose T is never formed: the query's last update is
// three matrix-vector products), and the query token entering each layer.
func (w *LSAWorkspace) forward(t *icl.Task) float64 {
	d, D, DD := w.d, w.D, w.D*w.D
	M0 := w.M[:DD]
	clear(M0)
	for i, y := range t.Y {
		x := t.Input(i)
		for a := range D {
			ea := y
			if a < d {
				ea = x[a]
			}
			row := M0[a*D : (a+1)*D]
			for b := a; b < d; b++ {
				row[b] += ea * x[b]
			}
			row[d] += ea * y
		}
	}
	for a := range D {
		for b := range a {
			M0[a*D+b] = M0[b*D+a]
		}
	}
	copy(w.q[:d], t.Query)
	w.q[d] = 0
	for l := range w.K {
		A, B := w.A[l*DD:(l+1)*DD], w.B[l*DD:(l+1)*DD]
		M, T := w.M[l*DD:(l+1)*DD], w.T[l*DD:(l+1)*DD]
		q, next := w.q[l*D:(l+1)*D], w.q[(l+1)*D:(l+2)*D]
		if l == w.K-1 {
			mulVec(w.v, B, q, D)
			mulVec(w.u, M, w.v, D)
			mulVec(next, A, w.u, D)
			for j := range next {
				next[j] += q[j]
			}
			break
		}
		mul(w.t1, A, M, D)
		mul(T, w.t1, B, D)
		for j := range D {
			T[j*D+j]++
		}
		mulVec(next, T, q, D)
		mul(w.t1, T, M, D)
		mulNT(w.M[(l+1)*DD:(l+2)*DD], w.t1, T, D)
	}
	return -w.q[w.K*D+d]
}

// transposeT sets dst = T_lᵀ x after forward; for the last layer, whose T is not
// formed, as x + Bᵀ M Aᵀ x.
func (w *LSAWorkspace) transposeT(l int, dst, x []float64) {
	D, DD := w.D, w.D*w.D
	if l < w.K-1 {
		mulVecT(dst, w.T[l*DD:(l+1)*DD], x, D)
		return
	}
	mulVecT(w.v, w.A[l*DD:(l+1)*DD], x, D)
	mulVec(w.u, w.M[l*DD:(l+1)*DD], w.v, D)
	mulVecT(dst, w.B[l*DD:(l+1)*DD], w.u, D)
	for j := range dst {
		dst[j] += x[j]
	}
}

// outer is a D×D matrix held as a sum of outer products Σ_k u_k w_kᵀ while that
// is cheaper than dense, and as a dense matrix after.
type outer struct {
	n       int         // terms in use
	us, ws  [][]float64 // term vectors (capacity maxTerms)
	dense   []float64   // D×D, valid when isDense
	isDense bool
}

// maxTerms is the rank beyond which an outer-product sum is made dense: a term
// costs about three D² products per use, a dense matrix 2D³.
func (w *LSAWorkspace) maxTerms() int { return max(1, (2*w.D)/3) }

func (w *LSAWorkspace) newOuter() outer {
	k := w.maxTerms()
	o := outer{us: make([][]float64, k), ws: make([][]float64, k), dense: make([]float64, w.D*w.D)}
	for i := range k {
		o.us[i], o.ws[i] = make([]float64, w.D), make([]float64, w.D)
	}
	return o
}

func (o *outer) reset() { o.n, o.isDense = 0, false }

// add adds u wᵀ, returning the slots to fill when u and w are nil.
func (o *outer) add(D int, u, v []float64) {
	if !o.isDense && o.n == len(o.us) {
		o.densify(D)
	}
	if o.isDense {
		for i := range D {
			row := o.dense[i*D : (i+1)*D]
			for j := range D {
				row[j] += u[i] * v[j]
			}
		}
		return
	}
	copy(o.us[o.n], u)
	copy(o.ws[o.n], v)
	o.n++
}

func (o *outer) densify(D int) {
	clear(o.dense)
	for k := range o.n {
		for i := range D {
			row := o.dense[i*D : (i+1)*D]
			for j := range D {
				row[j] += o.us[k][i] * o.ws[k][j]
			}
		}
	}
	o.isDense = true
}

// backward adds the gradient of ½(ŷ − y_q)², with δ = ŷ − y_q, with respect to every
// A_l and B_l into gA and gB, after forward. With ḡ the adjoint of the query token
// and M̄ that of M_l (M̄_K = 0), layer l gives
//
//	T̄ = ḡ q_lᵀ + (M̄ + M̄ᵀ) T M,  Ā = T̄ Bᵀ M,  B̄ = M Aᵀ T̄,
//	M̄_l = Tᵀ M̄ T + Aᵀ T̄ Bᵀ,  ḡ_l = Tᵀ ḡ.
//
// T̄ and M̄ are low rank in the last layers (rank 1 at the last, 3 and 4 before),
// so they are carried as sums of outer products until that stops paying.
func (w *LSAWorkspace) backward(delta float64, gA, gB []float64) {
	d, D, DD := w.d, w.D, w.D*w.D
	clear(w.g)
	w.g[d] = -delta
	w.mbarO.reset()
	for l := w.K - 1; l >= 0; l-- {
		A, B := w.A[l*DD:(l+1)*DD], w.B[l*DD:(l+1)*DD]
		M := w.M[l*DD : (l+1)*DD]
		q := w.q[l*D : (l+1)*D]
		tb := &w.tbarO
		tb.reset()
		tb.add(D, w.g, q)
		if l < w.K-1 {
			T := w.T[l*DD : (l+1)*DD]
			mb := &w.mbarO
			if mb.isDense {
				for i := range D {
					for j := range D {
						w.t1[i*D+j] = mb.dense[i*D+j] + mb.dense[j*D+i]
					}
				}
				mul(w.t2, w.t1, T, D)
				mul(w.t3, w.t2, M, D)
				tb.densify(D)
				for i := range w.t3 {
					tb.dense[i] += w.t3[i]
				}
			} else {
				// (p sᵀ + s pᵀ) T M = p (M Tᵀ s)ᵀ + s (M Tᵀ p)ᵀ
				for k := range mb.n {
					p, s := mb.us[k], mb.ws[k]
					mulVecT(w.v, T, s, D)
					mulVec(w.u, M, w.v, D)
					tb.add(D, p, w.u)
					mulVecT(w.v, T, p, D)
					mulVec(w.u, M, w.v, D)
					tb.add(D, s, w.u)
				}
			}
		}
		ga, gb := gA[l*DD:(l+1)*DD], gB[l*DD:(l+1)*DD]
		if tb.isDense {
			mulNT(w.t1, tb.dense, B, D)
			mul(w.t2, w.t1, M, D)
			for i := range ga {
				ga[i] += w.t2[i]
			}
			mulNT(w.t1, M, A, D)
			mul(w.t2, w.t1, tb.dense, D)
			for i := range gb {
				gb[i] += w.t2[i]
			}
		} else {
			for k := range tb.n {
				u, v := tb.us[k], tb.ws[k]
				mulVec(w.v, B, v, D) // Ā += u (M B v)ᵀ
				mulVec(w.u, M, w.v, D)
				for i := range D {
					row := ga[i*D : (i+1)*D]
					for j := range D {
						row[j] += u[i] * w.u[j]
					}
				}
				mulVecT(w.v, A, u, D) // B̄ += (M Aᵀ u) vᵀ
				mulVec(w.u, M, w.v, D)
				for i := range D {
					row := gb[i*D : (i+1)*D]
					for j := range D {
						row[j] += w.u[i] * v[j]
					}
				}
			}
		}
		if l == 0 {
			break
		}
		// M̄_l = Tᵀ M̄ T + Aᵀ T̄ Bᵀ.
		next := &w.mbarNext
		next.reset()
		mb := &w.mbarO
		if mb.isDense || tb.isDense || mb.n+tb.n > w.maxTerms() {
			next.densify(D)
			if mb.isDense {
				mulTN(w.t1, w.T[l*DD:(l+1)*DD], mb.dense, D)
				mul(w.t2, w.t1, w.T[l*DD:(l+1)*DD], D)
				for i := range w.t2 {
					next.dense[i] += w.t2[i]
				}
			} else {
				for k := range mb.n {
					w.transposeT(l, w.g2, mb.us[k])
					w.transposeT(l, w.v2, mb.ws[k])
					next.add(D, w.g2, w.v2)
				}
			}
			if tb.isDense {
				mulTN(w.t1, A, tb.dense, D)
				mulNT(w.t2, w.t1, B, D)
				for i := range w.t2 {
					next.dense[i] += w.t2[i]
				}
			} else {
				for k := range tb.n {
					mulVecT(w.g2, A, tb.us[k], D)
					mulVec(w.v2, B, tb.ws[k], D)
					next.add(D, w.g2, w.v2)
				}
			}
		} else {
			for k := range mb.n {
				w.transposeT(l, w.g2, mb.us[k])
				w.transposeT(l, w.v2, mb.ws[k])
				next.add(D, w.g2, w.v2)
			}
			for k := range tb.n {
				mulVecT(w.g2, A, tb.us[k], D)
				mulVec(w.v2, B, tb.ws[k], D)
				next.add(D, w.g2, w.v2)
			}
		}
		w.mbarO, w.mbarNext = w.mbarNext, w.mbarO
		w.transposeT(l, w.g2, w.g)
		w.g, w.g2 = w.g2, w.g
	}
}

// oneLayer is the fused forward (and, when gA is non-nil, backward) pass of a
// single layer in token form, O(N·D) per task instead of O(D³):
//
//	v = B[:, :d] x_q,  α_i = a·e_i,  β_i = e_i·v,  ŷ = −Σ_i α_i β_i,
//	Ā_{d,·} −= δ Σ_i β_i e_iᵀ,  B̄[:, :d] −= δ (Σ_i α_i e_i) x_qᵀ,
//
// with a the last row of A. It returns ŷ; target is y_q (used only with gA).
func (w *LSAWorkspace) oneLayer(t *icl.Task, gA, gB []float64, target float64) float64 {
	d, D := w.d, w.D
	A, B := w.A, w.B
	a := A[d*D : (d+1)*D]
	for r := range D {
		var s float64
		for c, bc := range B[r*D : r*D+d] {
			s += bc * t.Query[c]
		}
		w.v[r] = s
	}
	var yhat float64
	grad := gA != nil
	if grad {
		clear(w.u)
		clear(w.z)
	}
	for i, y := range t.Y {
		x := t.Input(i)
		alpha, beta := a[d]*y, w.v[d]*y
		for c, xc := range x {
			alpha += a[c] * xc
			beta += w.v[c] * xc
		}
		yhat -= alpha * beta
		if grad {
			for c, xc := range x {
				w.u[c] += beta * xc
				w.z[c] += alpha * xc
			}
			w.u[d] += beta * y
			w.z[d] += alpha * y
		}
	}
	if grad {
		delta := yhat - target
		ga := gA[d*D : (d+1)*D]
		for c := range D {
			ga[c] -= delta * w.u[c]
		}
		for r := range D {
			f := -delta * w.z[r]
			gb := gB[r*D : r*D+d]
			for c, xc := range t.Query {
				gb[c] += f * xc
			}
		}
	}
	return yhat
}

// addGradient runs forward and backward on t, adds the gradient of ½(ŷ − y_q)² with
// respect to the products into gA, gB and returns ½(ŷ − y_q)².
func (w *LSAWorkspace) addGradient(t *icl.Task, gA, gB []float64) float64 {
	var yhat float64
	if w.K == 1 && !w.general {
		yhat = w.oneLayer(t, gA, gB, t.Target)
	} else {
		yhat = w.forward(t)
		w.backward(yhat-t.Target, gA, gB)
	}
	e := yhat - t.Target
	return e * e / 2
}

// Weights writes the implicit weight vector v = ∂ŷ/∂x_q into dst (allocated when
// too short) and returns it: ŷ = v·x_q exactly, since the prediction is linear in
// the query given the context.
func (w *LSAWorkspace) Weights(t *icl.Task, dst []float64) []float64 {
	if len(dst) < w.d {
		dst = make([]float64, w.d)
	}
	dst = dst[:w.d]
	w.forward(t)
	w.readWeights(w.K, dst)
	return dst
}

// readWeights sets dst = −(e_dᵀ T_{k−1} ⋯ T_0)[:d], the implicit weights after k
// layers, from the T_l of the last forward pass.
func (w *LSAWorkspace) readWeights(k int, dst []float64) {
	d := w.d
	clear(w.g)
	w.g[d] = -1
	for l := k - 1; l >= 0; l-- {
		w.transposeT(l, w.g2, w.g)
		w.g, w.g2 = w.g2, w.g
	}
	copy(dst, w.g[:d])
}

// Trajectory returns v^(0) = 0, v^(1), …, v^(K): the implicit weights after each
// layer on task t (allocated).
func (w *LSAWorkspace) Trajectory(t *icl.Task) [][]float64 {
	w.forward(t)
	traj := make([][]float64, w.K+1)
	traj[0] = make([]float64, w.d)
	for k := 1; k <= w.K; k++ {
		traj[k] = make([]float64, w.d)
		w.readWeights(k, traj[k])
	}
	return traj
}

// Gradient computes the mean loss ½(ŷ − y_q)² over tasks and writes its gradient
// with respect to m.Params into grad (allocated when nil), sequentially. The
// [Trainer] computes the same sum in parallel.
func (m *LSA) Gradient(tasks []*icl.Task, grad []float64) (float64, []float64) {
	w := m.NewWorkspace()
	return w.gradient(tasks, grad)
}

func (w *LSAWorkspace) gradient(tasks []*icl.Task, grad []float64) (float64, []float64) {
	DD := w.D * w.D
	gA, gB := make([]float64, w.K*DD), make([]float64, w.K*DD)
	var loss float64
	for _, t := range tasks {
		loss += w.addGradient(t, gA, gB)
	}
	inv := 1 / float64(len(tasks))
	for i := range gA {
		gA[i] *= inv
		gB[i] *= inv
	}
	if len(grad) != len(w.m.Params) {
		grad = make([]float64, len(w.m.Params))
	}
	w.m.chain(gA, gB, grad)
	return loss * inv, grad
}

// chain turns gradients with respect to A_l = P W_V and B_l = W_Kᵀ W_Q into
// gradients with respect to the factors: P̄ = Ā W_Vᵀ, W̄_V = Pᵀ Ā,
// W̄_K = W_Q B̄ᵀ, W̄_Q = W_K B̄.
func (m *LSA) chain(gA, gB, grad []float64) {
	D := m.Dim + 1
	DD := D * D
	for l := range m.Layers {
		wk, wq, wv, p := m.Layer(l)
		o := l * 4 * DD
		gwk, gwq, gwv, gp := grad[o:o+DD], grad[o+DD:o+2*DD], grad[o+2*DD:o+3*DD], grad[o+3*DD:o+4*DD]
		ga, gb := gA[l*DD:(l+1)*DD], gB[l*DD:(l+1)*DD]
		mulNT(gp, ga, wv, D)
		mulTN(gwv, p, ga, D)
		mulNT(gwk, wq, gb, D)
		mul(gwq, wk, gb, D)
	}
}
