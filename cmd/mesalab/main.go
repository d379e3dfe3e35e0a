// Command mesalab builds, trains and compares learned optimizers: it runs the
// built-in experiments, compares reward arrays and replays gridworld levels.
//
// Exit codes: 0 success, 1 a failure while running, 2 bad input (unknown
// experiment, flag or value; malformed file).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the process exit code. Every error
// reaches the user as one line on stderr; a panic is turned into exit code 1 with a
// message asking for a bug report, never a stack trace.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "mesalab: internal error: %v (please report this with the command you ran)\n", p)
			code = 1
		}
	}()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "mesalab:", err)
	var u *usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

// usageError marks bad input: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// badInput wraps err as bad input (exit code 2).
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &usageError{err}
}

// badInputf formats a bad-input error.
func badInputf(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }
