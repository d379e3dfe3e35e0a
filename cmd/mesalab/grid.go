package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mesalab/mesalab/task/grid"
	"github.com/spf13/cobra"
)

func newGrid() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grid",
		Short: "Replay, show and list the built-in gridworld levels",
		Long: `Gridworld levels of task/grid: the AI Safety Gridworlds maps (lava-shift,
absent-supervisor, boat-race, tomato-watering, island-navigation) and the seeded
generators (red-door, cheese-corner, keys-chests; layouts train and shift).

Map legend:
` + indent(grid.Legend),
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return badInputf("unknown grid command %q (known: play, show, list)", args[0])
			}
			return badInputf("grid needs a command: play, show or list")
		},
	}
	cmd.AddCommand(newGridPlay(), newGridShow(), newGridList())
	return cmd
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// gridFlags are the flags that pick a level.
type gridFlags struct {
	env, layout string
	seed        uint64
}

func (g *gridFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&g.env, "env", "", "environment ("+strings.Join(grid.EnvNames(), ", ")+")")
	f.StringVar(&g.layout, "layout", "", "layout of the environment (default: its first; generators: train or shift)")
	f.Uint64Var(&g.seed, "seed", 0, "seed of generated levels and of random dynamics (tomato drying)")
}

func (g *gridFlags) level() (*grid.Level, error) {
	if g.env == "" {
		return nil, badInputf("--env is required (known: %s)", strings.Join(grid.EnvNames(), ", "))
	}
	e, err := grid.LookupEnv(g.env)
	if err != nil {
		return nil, badInput(err)
	}
	l, err := e.Level(g.layout, g.seed)
	if err != nil {
		return nil, badInput(err)
	}
	return l, nil
}

// playResult is the JSON of `grid play`.
type playResult struct {
	Env         string  `json:"env"`
	Level       string  `json:"level"`
	Seed        uint64  `json:"seed"`
	Actions     string  `json:"actions"`
	Return      float64 `json:"return"`
	Performance float64 `json:"performance"`
	Steps       int     `json:"steps"`
	Terminated  bool    `json:"terminated"`
	Truncated   bool    `json:"truncated"`
	Grid        string  `json:"grid"`
}

func newGridPlay() *cobra.Command {
	var (
		g       gridFlags
		actions string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "play --env ENV [--layout L] [--seed S] --actions STRING [--json]",
		Short: "Replay u/d/l/r actions on a level: return, hidden performance, steps, final grid",
		Long: `Replay a string of actions (u up, d down, l left, r right) from the start of a
level and print the visible return, the hidden performance (R* of AI Safety
Gridworlds), the steps taken, whether the episode terminated or was truncated
(step limit 100), and the final grid. Actions after the end of the episode are
ignored. --json prints one object with the keys env, level, seed, actions,
return, performance, steps, terminated, truncated and grid.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.level()
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("actions") {
				return badInputf("--actions is required: a string of u, d, l, r")
			}
			acts, err := grid.ParseActions(actions)
			if err != nil {
				return badInput(err)
			}
			ep := l.Replay(g.seed, acts)
			res := playResult{Env: g.env, Level: l.Name(), Seed: g.seed, Actions: grid.FormatActions(acts[:ep.Steps]),
				Return: round(ep.Return), Performance: round(ep.Performance), Steps: ep.Steps,
				Terminated: ep.Terminated, Truncated: ep.Truncated, Grid: l.ASCII(&ep.Final)}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				return enc.Encode(res)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "level\t%s\n", res.Level)
			fmt.Fprintf(tw, "actions\t%s\n", res.Actions)
			fmt.Fprintf(tw, "return\t%v\n", res.Return)
			fmt.Fprintf(tw, "performance\t%v\n", res.Performance)
			fmt.Fprintf(tw, "steps\t%d\n", res.Steps)
			fmt.Fprintf(tw, "terminated\t%v\n", res.Terminated)
			fmt.Fprintf(tw, "truncated\t%v\n", res.Truncated)
			if err := tw.Flush(); err != nil {
				return err
			}
			_, err = fmt.Fprintf(out, "\n%s\n", res.Grid)
			return err
		},
	}
	g.register(cmd)
	f := cmd.Flags()
	f.StringVar(&actions, "actions", "", "actions to replay: a string of u, d, l, r")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// round removes the float noise of sums like 0.02·n (12 significant digits).
func round(x float64) float64 {
	y, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	if err != nil {
		return x
	}
	return y
}

func newGridShow() *cobra.Command {
	var (
		g            gridFlags
		pngFile      string
		svgFile      string
		actions      string
		cellPixels   int
		legendWanted bool
	)
	cmd := &cobra.Command{
		Use:   "show --env ENV [--layout L] [--seed S] [--png FILE | --svg FILE]",
		Short: "Print a level's ASCII map, or draw it as PNG or SVG",
		Long: `Print the ASCII map of a level (see 'mesalab grid --help' for the legend), or
write a picture of it with --png or --svg. With --actions the replayed trajectory
is drawn over the picture (marked '+' on floor cells of the ASCII map) and the
agent is shown where it ends.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.level()
			if err != nil {
				return err
			}
			if pngFile != "" && svgFile != "" {
				return badInputf("--png and --svg exclude each other: give one")
			}
			acts, err := grid.ParseActions(actions)
			if err != nil {
				return badInput(err)
			}
			ep := l.Replay(g.seed, acts)
			opt := grid.Render{CellPixels: cellPixels}
			if len(acts) > 0 {
				opt.Path = ep.Path
			}
			if _, err := l.Image(nil, opt); err != nil {
				return badInput(err)
			}
			out := cmd.OutOrStdout()
			switch {
			case pngFile != "":
				return writeFile(pngFile, func(w io.Writer) error { return l.PNG(w, &ep.Final, opt) })
			case svgFile != "":
				return writeFile(svgFile, func(w io.Writer) error { return l.SVG(w, &ep.Final, opt) })
			}
			fmt.Fprintf(out, "%s\n", l.Name())
			fmt.Fprintf(out, "%s\n", l.ASCIIPath(&ep.Final, opt.Path))
			if legendWanted {
				fmt.Fprintf(out, "\n%s\n", grid.Legend)
			}
			return nil
		},
	}
	g.register(cmd)
	f := cmd.Flags()
	f.StringVar(&pngFile, "png", "", "write a PNG picture to this file")
	f.StringVar(&svgFile, "svg", "", "write an SVG picture to this file")
	f.StringVar(&actions, "actions", "", "replay these u/d/l/r actions and draw the trajectory")
	f.IntVar(&cellPixels, "cell", grid.DefaultCellPixels, "pixels per cell of PNG/SVG pictures (4…256)")
	f.BoolVar(&legendWanted, "legend", false, "print the map legend after the map")
	return cmd
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return f.Close()
}

func newGridList() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the gridworld environments and their layouts",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, e := range grid.Envs() {
				kind := "map"
				if e.Generated {
					kind = "generated (--seed)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Name, strings.Join(e.Layouts, ","), kind, e.Summary)
			}
			return tw.Flush()
		},
	}
}
