package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// daemon starts a long-running program with its output in dir/name.out and
// stops it (SIGTERM, then SIGKILL) when the test ends.
func daemon(t *testing.T, dir, name string, env []string, args ...string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, name+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr, cmd.Env = logf, logf, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logf.Close()
	})
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond every 200 ms until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A real one-node Slurm cluster on loopback (munged, slurmctld, slurmd from
// Debian's munge and slurm-wlm) runs the script of 'mesalab sweep --emit slurm'
// as a job array; the shards merged give the table of the sweep run locally.
// Needs root and MESALAB_SLURM_TEST=1 (.ci/integration sets it up).
func TestSlurmJobArray(t *testing.T) {
	if os.Getenv("MESALAB_SLURM_TEST") != "1" {
		t.Skip("set MESALAB_SLURM_TEST=1 to run a one-node Slurm cluster (needs root, slurm-wlm and munge)")
	}
	for _, p := range []string{"mungekey", "munged", "slurmctld", "slurmd", "sbatch", "sinfo"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s not found: install Debian's slurm-wlm and munge (.ci/integration does)", p)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatal("the one-node cluster runs its daemons as root")
	}
	bin := binary(t)
	dir, err := os.MkdirTemp("", "mesalab-slurm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{"munge", "state", "spool", "shards"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	key, sock := filepath.Join(dir, "munge", "munge.key"), filepath.Join(dir, "munge", "socket")
	if out, err := exec.Command("mungekey", "--create", "--keyfile", key).CombinedOutput(); err != nil {
		t.Fatalf("mungekey: %v\n%s", err, out)
	}
	os.Chmod(key, 0o400)
	daemon(t, dir, "munged", os.Environ(), "munged", "--foreground", "--force", "--key-file", key, "--socket", sock,
		"--pid-file", filepath.Join(dir, "munge", "pid"), "--seed-file", filepath.Join(dir, "munge", "seed"),
		"--log-file", filepath.Join(dir, "munge", "log"), "--origin", "127.0.0.1")
	waitFor(t, "munged's socket", 10*time.Second, func() bool { _, err := os.Stat(sock); return err == nil })

	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	conf := filepath.Join(dir, "slurm.conf")
	writeTestFile(t, conf, fmt.Sprintf(`ClusterName=mesalabtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=%d
SlurmdPort=%d
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=%[3]s
StateSaveLocation=%[4]s/state
SlurmdSpoolDir=%[4]s/spool
SlurmctldPidFile=%[4]s/slurmctld.pid
SlurmdPidFile=%[4]s/slurmd.pid
SlurmctldLogFile=%[4]s/slurmctld.log
SlurmdLogFile=%[4]s/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
InactiveLimit=0
KillWait=5
Waittime=0
NodeName=mesalabnode NodeHostname=%[5]s NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`, freePort(t), freePort(t), sock, dir, host))
	env := append(os.Environ(), "SLURM_CONF="+conf)
	daemon(t, dir, "slurmctld", env, "slurmctld", "-D", "-i", "-f", conf)
	daemon(t, dir, "slurmd", env, "slurmd", "-D", "-N", "mesalabnode", "-f", conf)
	run := func(ctx context.Context, name string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	waitFor(t, "the node to be idle", 60*time.Second, func() bool {
		out, err := run(context.Background(), "sinfo", "--noheader", "--format=%T")
		return err == nil && strings.TrimSpace(out) == "idle"
	})

	spec := writeTestFile(t, filepath.Join(dir, "sweep.yaml"),
		"experiment: td0-3state\nname: slurm\nparams: {episodes: 300}\nsweep:\n  grid:\n    seed: {from: 1, to: 5}\n    epsilon: [0.2, 0.4]\n")
	shards := filepath.Join(dir, "shards")
	script, err := exec.Command(bin, "sweep", spec, "--emit", "slurm", "--shards", "3", "--out-dir", shards, "--binary", bin).Output()
	if err != nil {
		t.Fatalf("emit: %v", err)
	}
	job := writeTestFile(t, filepath.Join(dir, "job.sh"), string(script))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := run(ctx, "sbatch", "--wait", job); err != nil {
		logs, _ := filepath.Glob(filepath.Join(shards, "slurm-*.out"))
		var tails []string
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			tails = append(tails, l+": "+string(b))
		}
		t.Fatalf("sbatch --wait: %v\n%s\n%s", err, out, strings.Join(tails, "\n"))
	}
	var dbs []string
	for i := range 3 {
		out, _ := filepath.Glob(filepath.Join(shards, fmt.Sprintf("slurm-*_%d.out", i)))
		if len(out) != 1 {
			t.Fatalf("array task %d left %d output files", i, len(out))
		}
		b, _ := os.ReadFile(out[0])
		if want := fmt.Sprintf("shard %d/3 ran", i); !strings.Contains(string(b), want) {
			t.Errorf("task %d output %q lacks %q", i, b, want)
		}
		dbs = append(dbs, filepath.Join(shards, fmt.Sprintf("shard-%d.db", i)))
	}
	merged := filepath.Join(dir, "merged.db")
	if out, err := exec.Command(bin, append([]string{"merge", merged}, dbs...)...).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "10 runs added") {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	local := filepath.Join(dir, "local.db")
	if out, err := exec.Command(bin, "sweep", spec, "--db", local).CombinedOutput(); err != nil {
		t.Fatalf("local sweep: %v\n%s", err, out)
	}
	if a, b := exportTable(t, bin, merged), exportTable(t, bin, local); a != b || strings.Count(a, "\n") != 1+10*10 {
		t.Errorf("Slurm shards merged:\n%s\nlocal sweep:\n%s", a, b)
	}
}
