package report

import (
	"bytes"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/mesalab/mesalab/experiment"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot is one figure of a page: an inline SVG drawn with gonum/plot.
type Plot struct {
	Title string
	SVG   template.HTML // an <svg> element, generated here (never from stored text)
}

// line is one named line of a plot; points with NaN coordinates are skipped.
type line struct {
	Label   string
	X, Y    []float64
	Points  bool // draw markers (and, with Scatter, no line)
	Scatter bool
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, color.RGBA{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
}

const (
	plotWidth  = 5 * vg.Inch
	plotHeight = 3.2 * vg.Inch
	maxLines   = 12 // lines drawn in one plot; more are left out and said so
)

// linePlot draws lines (or scatters) on shared axes.
func linePlot(title, xLabel, yLabel string, lines []line) (Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	dropped := 0
	if len(lines) > maxLines {
		dropped = len(lines) - maxLines
		lines = lines[:maxLines]
	}
	drawn := 0
	for i, l := range lines {
		xys := make(plotter.XYs, 0, len(l.X))
		for k := range l.X {
			if k < len(l.Y) && finite(l.X[k]) && finite(l.Y[k]) {
				xys = append(xys, plotter.XY{X: l.X[k], Y: l.Y[k]})
			}
		}
		if len(xys) == 0 {
			continue
		}
		drawn++
		c := palette[i%len(palette)]
		if !l.Scatter {
			ln, err := plotter.NewLine(xys)
			if err != nil {
				return Plot{}, err
			}
			ln.Color = c
			ln.Width = vg.Points(1.5)
			p.Add(ln)
			if l.Label != "" && len(lines) > 1 {
				p.Legend.Add(l.Label, ln)
			}
		}
		if l.Points || l.Scatter || len(xys) == 1 {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return Plot{}, err
			}
			sc.Color = c
			sc.Shape = draw.CircleGlyph{}
			sc.Radius = vg.Points(2.5)
			p.Add(sc)
			if l.Scatter && l.Label != "" && len(lines) > 1 {
				p.Legend.Add(l.Label, sc)
			}
		}
	}
	if drawn == 0 {
		return Plot{}, fmt.Errorf("plot %q: no finite points", title)
	}
	p.Legend.Top = true
	if dropped > 0 {
		p.Title.Text += fmt.Sprintf(" (first %d lines of %d)", maxLines, maxLines+dropped)
	}
	return render(title, p, plotWidth, plotHeight)
}

// matrixGrid adapts a Matrix to plotter.GridXYZ, row 0 at the top.
type matrixGrid struct{ m experiment.Matrix }

func (g matrixGrid) Dims() (c, r int)   { return len(g.m.Values[0]), len(g.m.Values) }
func (g matrixGrid) Z(c, r int) float64 { return g.m.Values[len(g.m.Values)-1-r][c] }
func (g matrixGrid) X(c int) float64    { return float64(c) }
func (g matrixGrid) Y(r int) float64    { return float64(r) }

// heatmap draws a matrix, each cell labelled with its value when the matrix is
// small enough to read.
func heatmap(m experiment.Matrix) (Plot, error) {
	rows := len(m.Values)
	if rows == 0 || len(m.Values[0]) == 0 {
		return Plot{}, fmt.Errorf("matrix %q is empty", m.Name)
	}
	cols := len(m.Values[0])
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, row := range m.Values {
		if len(row) != cols {
			return Plot{}, fmt.Errorf("matrix %q: row %d has %d values, row 0 has %d", m.Name, i, len(row), cols)
		}
		for _, v := range row {
			if !finite(v) {
				return Plot{}, fmt.Errorf("matrix %q: non-finite value", m.Name)
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	pal := moreland.SmoothBlueRed()
	if hi == lo {
		hi = lo + 1
	}
	pal.SetMin(lo)
	pal.SetMax(hi)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s (%.3g … %.3g)", m.Name, lo, hi)
	hm := plotter.NewHeatMap(matrixGrid{m}, pal.Palette(64))
	hm.Min, hm.Max = lo, hi
	p.Add(hm)
	if rows*cols <= 100 {
		var xys plotter.XYs
		var labels []string
		for i, row := range m.Values {
			for j, v := range row {
				xys = append(xys, plotter.XY{X: float64(j), Y: float64(rows - 1 - i)})
				labels = append(labels, fmt.Sprintf("%.2g", v))
			}
		}
		l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err == nil {
			for i := range l.TextStyle {
				l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
				l.TextStyle[i].Color = color.Black
			}
			p.Add(l)
		}
	}
	p.X.Tick.Marker = labelTicks(m.ColLabels, cols, false)
	p.Y.Tick.Marker = labelTicks(m.RowLabels, rows, true)
	p.X.Min, p.X.Max = -0.5, float64(cols)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(rows)-0.5
	side := vg.Length(math.Min(6, 2+0.4*float64(max(rows, cols)))) * vg.Inch
	return render(m.Name, p, side+vg.Inch, side)
}

// labelTicks puts one tick per row or column, named by its label.
func labelTicks(labels []string, n int, reversed bool) plot.Ticker {
	ticks := make(plot.ConstantTicks, n)
	for i := range n {
		name := fmt.Sprint(i)
		if i < len(labels) {
			name = labels[i]
		}
		pos := float64(i)
		if reversed {
			pos = float64(n - 1 - i)
		}
		ticks[i] = plot.Tick{Value: pos, Label: name}
	}
	return ticks
}

// render draws p as an SVG element (without the XML prolog, to sit inline).
func render(title string, p *plot.Plot, w, h vg.Length) (Plot, error) {
	c := vgsvg.New(w, h)
	// A margin on the right keeps the last tick label inside the picture.
	p.Draw(draw.Crop(draw.New(c), 0, -vg.Points(12), 0, 0))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return Plot{}, err
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return Plot{Title: title, SVG: template.HTML(s)}, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// meanBy groups ys by their x and returns the sorted xs with the mean y of each.
func meanBy(xs, ys []float64) ([]float64, []float64) {
	sums := map[float64][2]float64{}
	for i, x := range xs {
		if !finite(x) || !finite(ys[i]) {
			continue
		}
		s := sums[x]
		sums[x] = [2]float64{s[0] + ys[i], s[1] + 1}
	}
	keys := make([]float64, 0, len(sums))
	for x := range sums {
		keys = append(keys, x)
	}
	slices.Sort(keys)
	means := make([]float64, len(keys))
	for i, x := range keys {
		means[i] = sums[x][0] / sums[x][1]
	}
	return keys, means
}
