package grid

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
)

// DefaultCellPixels is the side of one cell in PNG and SVG renderings when
// Render.CellPixels is 0.
const DefaultCellPixels = 24

// MaxPicturePixels bounds the width and the height of a picture in pixels.
const MaxPicturePixels = 4096

// Render holds the options of a picture of a level.
type Render struct {
	// CellPixels is the side of one cell in pixels (0: DefaultCellPixels; at most 256).
	CellPixels int
	// Path, if not empty, is a trajectory drawn over the board: a line through the
	// centres of its cells (Episode.Path is one).
	Path []Pos
}

func (r Render) side(l *Level) (int, error) {
	c := r.CellPixels
	switch {
	case c == 0:
		c = DefaultCellPixels
	case c < 4 || c > 256:
		return 0, fmt.Errorf("grid: cell size %d pixels, want 4…256", c)
	}
	if max(l.w, l.h)*c > MaxPicturePixels {
		return 0, fmt.Errorf("grid: a %d×%d level at %d pixels per cell exceeds %d pixels a side", l.h, l.w, c, MaxPicturePixels)
	}
	return c, nil
}

// The palette of renderings.
var (
	cellColours = [NumCells]color.RGBA{
		Floor:      {0xf4, 0xf4, 0xf0, 0xff},
		Wall:       {0x44, 0x44, 0x4c, 0xff},
		Void:       {0xff, 0xff, 0xff, 0xff},
		Goal:       {0x3c, 0xb0, 0x4a, 0xff},
		Lava:       {0xe0, 0x4a, 0x1c, 0xff},
		Water:      {0x3a, 0x7b, 0xd5, 0xff},
		Punish:     {0xf2, 0xa6, 0xc8, 0xff},
		Supervisor: {0x7a, 0x4f, 0xa0, 0xff},
		ArrowUp:    {0xd8, 0xe6, 0xf2, 0xff},
		ArrowDown:  {0xd8, 0xe6, 0xf2, 0xff},
		ArrowLeft:  {0xd8, 0xe6, 0xf2, 0xff},
		ArrowRight: {0xd8, 0xe6, 0xf2, 0xff},
		Tamper:     {0xf5, 0xd0, 0x42, 0xff},
	}
	objectColours = [NumColours]color.RGBA{
		NoColour: {0x88, 0x88, 0x88, 0xff},
		Red:      {0xd6, 0x1f, 0x1f, 0xff},
		Blue:     {0x1f, 0x4f, 0xd6, 0xff},
		Green:    {0x1f, 0x9e, 0x3a, 0xff},
		Yellow:   {0xe6, 0xb8, 0x00, 0xff},
		Purple:   {0x8e, 0x2f, 0xc4, 0xff},
		Orange:   {0xe8, 0x7a, 0x10, 0xff},
	}
	spentColour = color.RGBA{0xb8, 0xb8, 0xb0, 0xff} // an opened chest, a dry tomato
	agentColour = color.RGBA{0x10, 0x10, 0x10, 0xff}
	arrowColour = color.RGBA{0x4a, 0x6a, 0x8a, 0xff}
	pathColour  = color.RGBA{0x00, 0xa0, 0xc0, 0xff}
)

func hex(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// ASCIIPath returns the ASCII map of s with the cells of path that show plain
// floor marked '+'.
func (l *Level) ASCIIPath(s *State, path []Pos) string {
	rows := strings.Split(l.ASCII(s), "\n")
	grid := make([][]rune, len(rows))
	for i, r := range rows {
		grid[i] = []rune(r)
	}
	for _, p := range path {
		if l.In(p) && grid[p.Row][p.Col] == ' ' {
			grid[p.Row][p.Col] = '+'
		}
	}
	for i := range rows {
		rows[i] = string(grid[i])
	}
	return strings.Join(rows, "\n")
}

// mark is what one cell shows on top of its terrain.
type mark struct {
	obj   bool
	shape Shape
	col   color.RGBA
	agent bool
	arrow Action
	isArr bool
}

func (l *Level) markAt(s *State, p Pos) mark {
	i := l.index(p)
	var m mark
	if d, ok := l.cells[i].Arrow(); ok {
		m.arrow, m.isArr = d, true
	}
	if j := l.obj[i]; j >= 0 {
		o := l.objects[j]
		live := l.live0>>j&1 == 1
		if s != nil {
			live = s.live>>j&1 == 1
		}
		switch {
		case live:
			m.obj, m.shape, m.col = true, o.Shape, objectColours[o.Colour]
		case o.Kind == Chest || o.Kind == Tomato:
			m.obj, m.shape, m.col = true, o.Shape, spentColour
		}
	}
	if s != nil && i == s.at {
		m.agent = true
	}
	return m
}

// Image draws the level in state s (nil: the start, without the agent) as an
// RGBA image of Width·c × Height·c pixels, c = CellPixels: each cell filled with
// its terrain colour, objects as their shape in their colour (spent chests and dry
// tomatoes in grey), the agent as a black disc, arrows as triangles, and the path
// as a line through cell centres.
func (l *Level) Image(s *State, opt Render) (*image.RGBA, error) {
	c, err := opt.side(l)
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, l.w*c, l.h*c))
	for r := range l.h {
		for col := range l.w {
			p := Pos{r, col}
			x0, y0 := col*c, r*c
			fill(img, x0, y0, c, func(float64, float64) bool { return true }, cellColours[l.At(p)])
			m := l.markAt(s, p)
			if m.isArr {
				fill(img, x0, y0, c, arrowShape(m.arrow), arrowColour)
			}
			if m.obj {
				fill(img, x0, y0, c, shapeFunc(m.shape), m.col)
			}
		}
	}
	for k := 1; k < len(opt.Path); k++ {
		a, b := opt.Path[k-1], opt.Path[k]
		steps := 2 * c
		for t := 0; t <= steps; t++ {
			fx := (float64(a.Col)+0.5)*float64(c) + float64(b.Col-a.Col)*float64(c)*float64(t)/float64(steps)
			fy := (float64(a.Row)+0.5)*float64(c) + float64(b.Row-a.Row)*float64(c)*float64(t)/float64(steps)
			w := max(1, c/10)
			for dy := -w; dy <= w; dy++ {
				for dx := -w; dx <= w; dx++ {
					img.SetRGBA(int(fx)+dx, int(fy)+dy, pathColour)
				}
			}
		}
	}
	if s != nil {
		ag := l.pos(s.at)
		fill(img, ag.Col*c, ag.Row*c, c, func(x, y float64) bool { return (x-0.5)*(x-0.5)+(y-0.5)*(y-0.5) <= 0.3*0.3 }, agentColour)
	}
	return img, nil
}

// fill paints the pixels of the c×c cell at (x0, y0) whose centre, in cell
// coordinates [0,1)², is inside the shape.
func fill(img *image.RGBA, x0, y0, c int, in func(x, y float64) bool, col color.RGBA) {
	for y := range c {
		for x := range c {
			if in((float64(x)+0.5)/float64(c), (float64(y)+0.5)/float64(c)) {
				img.SetRGBA(x0+x, y0+y, col)
			}
		}
	}
}

func shapeFunc(s Shape) func(x, y float64) bool {
	switch s {
	case Circle:
		return func(x, y float64) bool { return (x-0.5)*(x-0.5)+(y-0.5)*(y-0.5) <= 0.36*0.36 }
	case Triangle: // apex up
		return func(x, y float64) bool {
			return y >= 0.15 && y <= 0.85 && 2*abs(x-0.5) <= (y-0.15)/0.7*0.8
		}
	case Diamond:
		return func(x, y float64) bool { return abs(x-0.5)+abs(y-0.5) <= 0.4 }
	default: // Square
		return func(x, y float64) bool { return x >= 0.15 && x <= 0.85 && y >= 0.15 && y <= 0.85 }
	}
}

// arrowShape is a triangle pointing in direction a.
func arrowShape(a Action) func(x, y float64) bool {
	up := func(x, y float64) bool { return y >= 0.25 && y <= 0.75 && 2*abs(x-0.5) <= (y-0.25)/0.5*0.5 }
	switch a {
	case Down:
		return func(x, y float64) bool { return up(x, 1-y) }
	case Left:
		return func(x, y float64) bool { return up(y, x) }
	case Right:
		return func(x, y float64) bool { return up(y, 1-x) }
	}
	return up
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// PNG writes the picture of Image as a PNG.
func (l *Level) PNG(w io.Writer, s *State, opt Render) error {
	img, err := l.Image(s, opt)
	if err != nil {
		return err
	}
	return png.Encode(w, img)
}

// SVG writes the picture of Image as a standalone SVG document: one <rect> per
// cell (class "cell" and the cell kind), one element per object (class "object"
// and the kind, colour and shape), the agent as a <circle class="agent">, and the
// path as a <polyline class="path">.
func (l *Level) SVG(w io.Writer, s *State, opt Render) error {
	c, err := opt.side(l)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(w)
	cf := float64(c)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`+"\n",
		l.w*c, l.h*c, l.w*c, l.h*c)
	fmt.Fprintf(b, "<title>%s</title>\n", xmlEscape(l.name))
	for r := range l.h {
		for col := range l.w {
			k := l.At(Pos{r, col})
			fmt.Fprintf(b, `<rect class="cell %s" x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n",
				k, col*c, r*c, c, c, hex(cellColours[k]))
		}
	}
	for r := range l.h {
		for col := range l.w {
			p := Pos{r, col}
			m := l.markAt(s, p)
			x, y := float64(col)*cf, float64(r)*cf
			if m.isArr {
				pts := [3][2]float64{{0.5, 0.25}, {0.25, 0.75}, {0.75, 0.75}}
				fmt.Fprintf(b, `<polygon class="arrow %s" points="%s" fill="%s"/>`+"\n", m.arrow, rotated(pts[:], m.arrow, x, y, cf), hex(arrowColour))
			}
			if !m.obj {
				continue
			}
			o := l.objects[l.ObjectAt(p)]
			cls := fmt.Sprintf("object %s %s %s", o.Kind, o.Colour, o.Shape)
			fill := hex(m.col)
			switch m.shape {
			case Circle:
				fmt.Fprintf(b, `<circle class="%s" cx="%g" cy="%g" r="%g" fill="%s"/>`+"\n", cls, x+cf/2, y+cf/2, 0.36*cf, fill)
			case Triangle:
				fmt.Fprintf(b, `<polygon class="%s" points="%s" fill="%s"/>`+"\n", cls,
					rotated([][2]float64{{0.5, 0.15}, {0.1, 0.85}, {0.9, 0.85}}, Up, x, y, cf), fill)
			case Diamond:
				fmt.Fprintf(b, `<polygon class="%s" points="%s" fill="%s"/>`+"\n", cls,
					rotated([][2]float64{{0.5, 0.1}, {0.9, 0.5}, {0.5, 0.9}, {0.1, 0.5}}, Up, x, y, cf), fill)
			default:
				fmt.Fprintf(b, `<rect class="%s" x="%g" y="%g" width="%g" height="%g" fill="%s"/>`+"\n", cls, x+0.15*cf, y+0.15*cf, 0.7*cf, 0.7*cf, fill)
			}
		}
	}
	if len(opt.Path) > 0 {
		var pts []string
		for _, p := range opt.Path {
			pts = append(pts, fmt.Sprintf("%g,%g", (float64(p.Col)+0.5)*cf, (float64(p.Row)+0.5)*cf))
		}
		fmt.Fprintf(b, `<polyline class="path" points="%s" fill="none" stroke="%s" stroke-width="%g" stroke-linejoin="round"/>`+"\n",
			strings.Join(pts, " "), hex(pathColour), max(1, cf/6))
	}
	if s != nil {
		ag := l.pos(s.at)
		fmt.Fprintf(b, `<circle class="agent" cx="%g" cy="%g" r="%g" fill="%s"/>`+"\n",
			(float64(ag.Col)+0.5)*cf, (float64(ag.Row)+0.5)*cf, 0.3*cf, hex(agentColour))
	}
	b.WriteString("</svg>\n")
	return b.Flush()
}

// rotated formats polygon points given for direction Up in cell coordinates,
// rotated to direction a, in pixels of the cell at (x, y).
func rotated(pts [][2]float64, a Action, x, y, c float64) string {
	out := make([]string, len(pts))
	for i, p := range pts {
		px, py := p[0], p[1]
		switch a {
		case Down:
			py = 1 - py
		case Left:
			px, py = py, px
		case Right:
			px, py = 1-py, px
		}
		out[i] = fmt.Sprintf("%g,%g", x+px*c, y+py*c)
	}
	return strings.Join(out, " ")
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}
