package sweep

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// Emit describes a cluster job that runs a sweep in Shards shards.
type Emit struct {
	SweepID string
	Points  int
	Shards  int    // array tasks / completions; at least 1
	CPUs    int    // cores per shard (default 1)
	OutDir  string // where shard files go: shard-I.db (Slurm: a shared directory; Kubernetes: the mount path)

	// Slurm.
	Binary    string // path of the mesalab executable on the compute nodes
	SpecPath  string // path of the spec file on the compute nodes
	Time      string // --time limit, e.g. "02:00:00" (optional)
	Partition string // (optional)

	// Kubernetes.
	Image    string // container image holding mesalab as its entrypoint
	SpecText string // the spec, shipped in a ConfigMap
	Claim    string // PersistentVolumeClaim mounted at OutDir for the shard files
}

func (e Emit) check() error {
	if e.Shards < 1 {
		return fmt.Errorf("shards = %d, want at least 1", e.Shards)
	}
	if e.Shards > max(e.Points, 1) {
		return fmt.Errorf("%d shards for %d points: want at most one shard per point", e.Shards, e.Points)
	}
	if e.OutDir == "" {
		return fmt.Errorf("no directory for the shard files")
	}
	return nil
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// EmitSlurm writes a Slurm batch script that runs the sweep as a job array of
// e.Shards tasks: task I runs shard I/N (mesalab reads SLURM_ARRAY_TASK_ID and
// SLURM_ARRAY_TASK_COUNT) into OutDir/shard-I.db, resuming if requeued. After the
// array finishes, `mesalab merge` joins the shard files.
func EmitSlurm(w io.Writer, e Emit) error {
	if err := e.check(); err != nil {
		return err
	}
	if e.Binary == "" || e.SpecPath == "" {
		return fmt.Errorf("slurm script: need the mesalab binary and the spec path")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n# mesalab sweep %s: %d points in %d shards, one Slurm array task per shard.\n", e.SweepID, e.Points, e.Shards)
	b.WriteString("# Submit:      sbatch <this script>\n")
	fmt.Fprintf(&b, "# When done:   %s merge merged.db %s/shard-*.db\n", e.Binary, e.OutDir)
	fmt.Fprintf(&b, "#SBATCH --job-name=mesalab-%s\n", e.SweepID)
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", e.Shards-1)
	fmt.Fprintf(&b, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=%d\n", max(e.CPUs, 1))
	fmt.Fprintf(&b, "#SBATCH --output=%s/slurm-%%A_%%a.out\n", e.OutDir)
	if e.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", e.Time)
	}
	if e.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", e.Partition)
	}
	b.WriteString("set -euo pipefail\n")
	fmt.Fprintf(&b, "exec %s sweep %s --db %s --resume --quiet\n", shellQuote(e.Binary), shellQuote(e.SpecPath),
		shellQuote(e.OutDir+"/shard-{shard}.db"))
	_, err := io.WriteString(w, b.String())
	return err
}

// k8sName turns s into a DNS-1123 label (lowercase letters, digits and '-',
// at most 63 characters), as Kubernetes object names require.
func k8sName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	n := strings.Trim(b.String(), "-")
	if len(n) > 63 {
		n = strings.Trim(n[:63], "-")
	}
	if n == "" {
		n = "mesalab"
	}
	return n
}

type (
	k8sMeta struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels,omitempty"`
	}
	k8sConfigMap struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   k8sMeta           `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
	}
	k8sJob struct {
		APIVersion string     `yaml:"apiVersion"`
		Kind       string     `yaml:"kind"`
		Metadata   k8sMeta    `yaml:"metadata"`
		Spec       k8sJobSpec `yaml:"spec"`
	}
	k8sJobSpec struct {
		CompletionMode string      `yaml:"completionMode"`
		Completions    int         `yaml:"completions"`
		Parallelism    int         `yaml:"parallelism"`
		BackoffLimit   int         `yaml:"backoffLimit"`
		Template       k8sTemplate `yaml:"template"`
	}
	k8sTemplate struct {
		Metadata k8sMeta    `yaml:"metadata"`
		Spec     k8sPodSpec `yaml:"spec"`
	}
	k8sPodSpec struct {
		RestartPolicy string         `yaml:"restartPolicy"`
		Containers    []k8sContainer `yaml:"containers"`
		Volumes       []k8sVolume    `yaml:"volumes"`
	}
	k8sContainer struct {
		Name         string       `yaml:"name"`
		Image        string       `yaml:"image"`
		Args         []string     `yaml:"args"`
		Env          []k8sEnv     `yaml:"env"`
		Resources    k8sResources `yaml:"resources"`
		VolumeMounts []k8sMount   `yaml:"volumeMounts"`
	}
	k8sEnv struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	}
	k8sResources struct {
		Requests map[string]string `yaml:"requests"`
	}
	k8sMount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly,omitempty"`
	}
	k8sVolume struct {
		Name                  string        `yaml:"name"`
		ConfigMap             *k8sConfigRef `yaml:"configMap,omitempty"`
		PersistentVolumeClaim *k8sClaimRef  `yaml:"persistentVolumeClaim,omitempty"`
	}
	k8sConfigRef struct {
		Name string `yaml:"name"`
	}
	k8sClaimRef struct {
		ClaimName string `yaml:"claimName"`
	}
)

// EmitKubernetes writes a Kubernetes manifest: a ConfigMap holding the spec and
// an Indexed Job of e.Shards completions. Pod I runs shard I/N (mesalab reads
// JOB_COMPLETION_INDEX and MESALAB_SHARD_COUNT) into OutDir/shard-I.db on the
// PersistentVolumeClaim e.Claim. After the Job completes, `mesalab merge` joins
// the shard files.
func EmitKubernetes(w io.Writer, e Emit) error {
	if err := e.check(); err != nil {
		return err
	}
	if e.Image == "" || e.Claim == "" {
		return fmt.Errorf("kubernetes manifest: need an image and a volume claim")
	}
	name := k8sName("mesalab-" + e.SweepID)
	labels := map[string]string{"app.kubernetes.io/name": "mesalab", "mesalab.dev/sweep": k8sName(e.SweepID)}
	cm := k8sConfigMap{APIVersion: "v1", Kind: "ConfigMap", Metadata: k8sMeta{Name: k8sName(name + "-spec"), Labels: labels},
		Data: map[string]string{"spec.yaml": e.SpecText}}
	cpus := strconv.Itoa(max(e.CPUs, 1))
	job := k8sJob{APIVersion: "batch/v1", Kind: "Job", Metadata: k8sMeta{Name: name, Labels: labels},
		Spec: k8sJobSpec{CompletionMode: "Indexed", Completions: e.Shards, Parallelism: e.Shards, BackoffLimit: 3 * e.Shards,
			Template: k8sTemplate{Metadata: k8sMeta{Name: name, Labels: labels}, Spec: k8sPodSpec{
				RestartPolicy: "Never",
				Containers: []k8sContainer{{
					Name: "mesalab", Image: e.Image,
					Args:      []string{"sweep", "/spec/spec.yaml", "--db", e.OutDir + "/shard-{shard}.db", "--resume", "--quiet"},
					Env:       []k8sEnv{{Name: ShardCountEnv, Value: strconv.Itoa(e.Shards)}},
					Resources: k8sResources{Requests: map[string]string{"cpu": cpus}},
					VolumeMounts: []k8sMount{{Name: "spec", MountPath: "/spec", ReadOnly: true},
						{Name: "results", MountPath: e.OutDir}},
				}},
				Volumes: []k8sVolume{{Name: "spec", ConfigMap: &k8sConfigRef{Name: cm.Metadata.Name}},
					{Name: "results", PersistentVolumeClaim: &k8sClaimRef{ClaimName: e.Claim}}},
			}}}}
	fmt.Fprintf(w, "# mesalab sweep %s: %d points in %d shards, one pod of an Indexed Job per shard.\n", e.SweepID, e.Points, e.Shards)
	fmt.Fprintf(w, "# Apply: kubectl apply -f <this manifest>; when the Job completes: mesalab merge merged.db %s/shard-*.db\n", e.OutDir)
	for i, doc := range []any{cm, job} {
		if i > 0 {
			io.WriteString(w, "---\n")
		}
		b, err := yaml.MarshalWithOptions(doc, yaml.UseLiteralStyleIfMultiline(true))
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
