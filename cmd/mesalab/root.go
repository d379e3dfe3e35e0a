package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise the
// module version from the build info is used.
var version = ""

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "mesalab",
		Short: "Build, train and compare learned optimizers (mesa-optimizers)",
		Long: `mesalab trains systems with a base optimizer, finds the mesa-optimizers among
them, and asks whether their learned objective agrees with the base objective:
on which tasks, under which distribution shift, in which sense. Objectives of
different types are compared only through an explicit bridge; where the bridge is
missing the answer is "incomparable", naming what is missing.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// A bare "mesalab" prints help; anything else unknown is bad input.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return badInputf("unknown command %q (see 'mesalab --help')", args[0])
			}
			return cmd.Help()
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	root.AddCommand(newVersion(), newList(), newRun(), newGrid(),
		newSweep(), newMerge(), newExport(), newReport(), newServe())
	root.AddCommand(newCompare())
	for _, c := range root.Commands() {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	}
	return root
}

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the mesalab version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "mesalab", codeVersion())
			return err
		},
	}
}

// codeVersion is the version recorded with every run.
func codeVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

// noArgs rejects positional arguments as bad input.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return badInputf("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}
