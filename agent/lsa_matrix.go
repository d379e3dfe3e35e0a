package agent

// Small dense products for the n×n row-major matrices of linear self-attention.
// Every routine writes into a caller-owned dst that must not alias an operand,
// so the hot loop never allocates. Inner loops are either independent updates
// (axpy form) or dot products split over four accumulators, so that they are
// bound by throughput rather than by the latency of a chain of additions.

// dot returns x·y over len(x) entries (len(y) ≥ len(x)).
func dot(x, y []float64) float64 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy sets y += α x over len(y) entries (len(x) ≥ len(y)).
func axpy(alpha float64, x, y []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] += alpha * x[i]
	}
}

// mul sets dst = a·b.
func mul(dst, a, b []float64, n int) {
	for i := range n {
		row := dst[i*n : i*n+n]
		clear(row)
		for k, aik := range a[i*n : i*n+n] {
			axpy(aik, b[k*n:k*n+n], row)
		}
	}
}

// mulTN sets dst = aᵀ·b.
func mulTN(dst, a, b []float64, n int) {
	clear(dst[:n*n])
	for k := range n {
		bk := b[k*n : k*n+n]
		for i, aki := range a[k*n : k*n+n] {
			axpy(aki, bk, dst[i*n:i*n+n])
		}
	}
}

// mulNT sets dst = a·bᵀ.
func mulNT(dst, a, b []float64, n int) {
	for i := range n {
		ai := a[i*n : i*n+n]
		row := dst[i*n : i*n+n]
		for j := range row {
			row[j] = dot(ai, b[j*n:j*n+n])
		}
	}
}

// mulVec sets dst = a·x.
func mulVec(dst, a, x []float64, n int) {
	for i := range n {
		dst[i] = dot(a[i*n:i*n+n], x)
	}
}

// mulVecT sets dst = aᵀ·x (the row vector xᵀa).
func mulVecT(dst, a, x []float64, n int) {
	dst = dst[:n]
	clear(dst)
	for k, xk := range x[:n] {
		axpy(xk, a[k*n:k*n+n], dst)
	}
}
