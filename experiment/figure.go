package experiment

// Series is one curve of a run: a learning curve (loss against training step), a
// weight trajectory, a rate against a parameter. The report draws every series of
// a run that shares a Name in one plot, one line per Label.
type Series struct {
	Name   string    `json:"name"`            // the plot it belongs to, snake_case (e.g. "train_loss")
	Label  string    `json:"label,omitempty"` // the line within the plot (e.g. "seed 3")
	XLabel string    `json:"x_label,omitempty"`
	YLabel string    `json:"y_label,omitempty"`
	X      []float64 `json:"x"`
	Y      []float64 `json:"y"` // len(Y) == len(X)
}

// Matrix is a labelled matrix of numbers, such as the EPIC distances between a set
// of objectives; the report draws it as a heatmap. Values[i][j] is row i, column j.
type Matrix struct {
	Name      string      `json:"name"`
	RowLabels []string    `json:"row_labels,omitempty"`
	ColLabels []string    `json:"col_labels,omitempty"`
	Values    [][]float64 `json:"values"`
}

// Figure is a picture an experiment attaches to its result, typically a level
// rendered with the agents' trajectories on the training and shifted levels. SVG
// is a complete SVG document; the report shows it as an image (scripts in it never
// run) with the caption below.
type Figure struct {
	Title   string `json:"title"`
	Caption string `json:"caption,omitempty"`
	SVG     string `json:"svg"`
}
