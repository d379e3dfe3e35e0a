package grid

import (
	"bytes"
	"encoding/xml"
	"image/color"
	"image/png"
	"io"
	"strings"
	"testing"
)

func TestPNG(t *testing.T) {
	l := mustMake(t, "lava-shift", "train", 0)
	ep := l.Replay(0, mustActions(t, "drrr"))
	var buf bytes.Buffer
	if err := l.PNG(&buf, &ep.Final, Render{CellPixels: 10, Path: ep.Path}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 90 || b.Dy() != 70 {
		t.Fatalf("size %v, want 90×70", b)
	}
	rgba := func(x, y int) color.RGBA {
		r, g, b, a := img.At(x, y).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
	}
	for _, tc := range []struct {
		name string
		x, y int
		want color.RGBA
	}{
		{"wall corner", 0, 0, cellColours[Wall]},
		{"lava (1,3)", 35, 15, cellColours[Lava]},
		{"lava (5,5) corner", 51, 51, cellColours[Lava]},
		{"goal (1,7)", 71, 11, cellColours[Goal]},
		{"floor (3,2) corner", 21, 31, cellColours[Floor]},
		{"agent at (2,4) centre", 45, 25, agentColour},
		{"path through (2,2) centre", 25, 25, pathColour},
		{"path start (1,1) centre", 15, 15, pathColour},
		{"floor (4,6) centre, off the path", 65, 45, cellColours[Floor]},
	} {
		if got := rgba(tc.x, tc.y); got != tc.want {
			t.Errorf("%s: pixel (%d,%d) = %v, want %v", tc.name, tc.x, tc.y, got, tc.want)
		}
	}
	// Objects in their colour: the red door and a blue gem.
	l2 := MustParse("m", "#DAb#", Rules{})
	img2, err := l2.Image(nil, Render{CellPixels: 20})
	if err != nil {
		t.Fatal(err)
	}
	if got := img2.RGBAAt(30, 10); got != objectColours[Red] {
		t.Errorf("door centre %v", got)
	}
	if got := img2.RGBAAt(70, 10); got != objectColours[Blue] {
		t.Errorf("gem centre %v", got)
	}
	if got := img2.RGBAAt(61, 1); got != cellColours[Floor] {
		t.Errorf("gem cell corner %v, want floor", got)
	}
	if got := img2.RGBAAt(50, 10); got != cellColours[Floor] {
		t.Errorf("no agent drawn for a nil state, got %v at the start", got)
	}
	if _, err := l.Image(nil, Render{CellPixels: 1000}); err == nil {
		t.Error("cell size 1000 accepted")
	}
}

// TestSVG: the SVG is well-formed XML with one cell rect per cell, one element
// per object, the agent and the path.
func TestSVG(t *testing.T) {
	for _, l := range allLevels(t) {
		s := l.Reset(0)
		var buf bytes.Buffer
		if err := l.SVG(&buf, &s, Render{Path: []Pos{l.Start(), l.Start().Add(Down)}}); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(&buf)
		counts := map[string]int{}
		var root string
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: SVG does not parse: %v", l.Name(), err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				if root == "" {
					root = se.Name.Local
				}
				for _, a := range se.Attr {
					if a.Name.Local == "class" {
						counts[strings.Fields(a.Value)[0]]++
					}
				}
			}
		}
		objects := 0
		for _, o := range l.Objects() {
			if !(o.Kind == Key || o.Kind == Coin) || !o.Spent {
				objects++
			}
		}
		if root != "svg" || counts["cell"] != l.Area() || counts["object"] != objects || counts["agent"] != 1 || counts["path"] != 1 {
			t.Errorf("%s: root %s, counts %v; want %d cells, %d objects", l.Name(), root, counts, l.Area(), objects)
		}
	}
}

func TestASCIIPath(t *testing.T) {
	l := mustMake(t, "lava-shift", "train", 0)
	ep := l.Replay(0, mustActions(t, "drrrrrru"))
	got := l.ASCIIPath(&ep.Final, ep.Path)
	want := rows(
		"#########",
		"#+ LLL A#",
		"#+++++++#",
		"#       #",
		"#       #",
		"#  LLL  #",
		"#########")
	if got != want {
		t.Errorf("ASCIIPath:\n%s\nwant\n%s", got, want)
	}
}

func TestPictureBound(t *testing.T) {
	text := strings.Repeat("#", 64)
	for range 63 {
		text += "\n" + strings.Repeat("#", 64)
	}
	text = "A" + text[1:]
	l := MustParse("big", text, Rules{})
	if err := l.SVG(io.Discard, nil, Render{CellPixels: 64}); err != nil {
		t.Errorf("64×64 at 64 px rejected: %v", err)
	}
	if err := l.SVG(io.Discard, nil, Render{CellPixels: 65}); err == nil || !strings.Contains(err.Error(), "exceeds 4096 pixels") {
		t.Errorf("64×64 at 65 px: %v", err)
	}
	if _, err := l.Image(nil, Render{CellPixels: 65}); err == nil {
		t.Error("Image: 64×64 at 65 px accepted")
	}
}
