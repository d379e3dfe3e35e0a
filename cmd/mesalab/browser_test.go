package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// serve starts 'mesalab serve' on a free port of 127.0.0.1 and returns its URL;
// the server is stopped with Ctrl-C (SIGINT) when the test ends.
func serve(t *testing.T, bin, db string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--db", db, "--addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve did not stop cleanly on SIGINT: %v", err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("serve did not stop within 10 s of SIGINT")
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
		for sc.Scan() {
			if u := re.FindString(sc.Text()); u != "" {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not print its address")
	}
	return ""
}

type box struct {
	Width, Height float64
	Marks         int
}

// Chromium (headless, via chromedp) opens a run page and a sweep page served by
// 'mesalab serve': the verdict table is there with its evidence, and every plot
// rendered as an SVG element of nonzero size with marks in it. A screenshot of
// each page is saved in the test's temporary directory (and, when
// MESALAB_SCREENSHOT_DIR is set, there too). Runs when MESALAB_BROWSER_TEST=1,
// or on CI (CI=true) when chromium is installed.
func TestBrowser(t *testing.T) {
	exe := chromium()
	if os.Getenv("MESALAB_BROWSER_TEST") != "1" && !(os.Getenv("CI") == "true" && exe != "") {
		t.Skip("set MESALAB_BROWSER_TEST=1 to drive Chromium against mesalab serve")
	}
	if exe == "" {
		t.Fatal("chromium not found: install Debian's chromium (.ci/integration does)")
	}
	bin := binary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "results.db")
	if out, err := exec.Command(bin, "run", "td0-3state", "--seeds", "4", "--quiet", "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	spec := writeTestFile(t, filepath.Join(dir, "sweep.yaml"),
		"experiment: td0-3state\nname: browser\nparams: {episodes: 300}\nsweep:\n  grid:\n    seed: {from: 1, to: 4}\n    epsilon: [0.1, 0.5]\n")
	if out, err := exec.Command(bin, "sweep", spec, "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("sweep: %v\n%s", err, out)
	}
	base := serve(t, bin, db)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(filepath.Join(dir, "chromium-profile")),
		chromedp.WindowSize(1280, 1000),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	plots := func(page string, want int) {
		t.Helper()
		boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]box](`Array.from(document.querySelectorAll('figure.plot svg')).map(e => {
			const r = e.getBoundingClientRect();
			return {Width: r.width, Height: r.height, Marks: e.querySelectorAll('path, line, circle, text, rect').length};
		})`))
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		if len(boxes) < want {
			t.Errorf("%s: %d plots rendered, want at least %d", page, len(boxes), want)
		}
		for i, b := range boxes {
			if b.Width < 100 || b.Height < 100 || b.Marks < 10 {
				t.Errorf("%s: plot %d rendered %.0f×%.0f px with %d marks", page, i, b.Width, b.Height, b.Marks)
			}
		}
	}
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{dir, os.Getenv("MESALAB_SCREENSHOT_DIR")} {
			if d != "" {
				if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
					t.Error(err)
				}
			}
		}
		t.Logf("screenshot %s: %d bytes", filepath.Join(dir, name), len(png))
	}

	// The run page: 4 seeds × 3 verdicts, each with evidence; per-seed plots.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/run/1"), chromedp.WaitVisible("#verdicts")); err != nil {
		t.Fatal(err)
	}
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#verdicts tr.verdict-row .verdict')).map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 12 || !slices.Contains(names, "pseudo-aligned") || !slices.Contains(names, "aligned-on-every-task") {
		t.Errorf("verdict table shows %q", names)
	}
	evidence, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#verdicts tr.verdict-row')).map(r => Array.from(r.querySelectorAll('dl.evidence dt')).map(d => d.textContent).join(','))`))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range evidence {
		if !strings.Contains(e, "agreement") || !strings.Contains(e, "regret") {
			t.Errorf("verdict %d evidence: %q", i, e)
		}
	}
	plots("run page", 3)
	screenshot("run-1.png")

	// The sweep page, reached by the index's link.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible("#sweeps a")); err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#sweeps a').href`))
	if err != nil || !strings.HasPrefix(href, base+"/sweep/browser-") {
		t.Fatalf("index links the sweep as %q, %v", href, err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(href), chromedp.WaitVisible("#points")); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#points tbody tr').length`))
	if err != nil || rows != 8 {
		t.Errorf("sweep page lists %d points, %v; want 8", rows, err)
	}
	plots("sweep page", 2)
	screenshot("sweep.png")
}
