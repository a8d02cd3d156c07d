// Command dockerfile-lint checks a Dockerfile without a Docker engine, with BuildKit's own code:
// the parser and instruction decoder `docker build` uses, and the build checks of
// `docker build --check` (BuildKit's frontend lint). It prints one JSON document on stdout:
//
//	{ "stages": [...], "warnings": [...], "error": "...", "copySources": [...] }
//
// so a test can assert on the stages, USER, HEALTHCHECK, ENTRYPOINT and every COPY source.
//
// Usage: dockerfile-lint <Dockerfile> <build context dir>
//
// Base images are not pulled (there is no registry here): a resolver stands in for the registry
// and answers every FROM with an empty linux/amd64 image config. The checks that need the real
// image's metadata (InvalidBaseImagePlatform) therefore cannot fire; all the others do.
//
// COPY sources from the build context (no --from) are resolved against the context directory
// after the context's .dockerignore, as `docker build` sends it: a source that matches nothing,
// or only ignored files, is reported with "exists": false, which a real build would refuse.
//
// Built by deploy/dev/compose.sh inside its copy of the Docker Compose module, whose go.sum
// already pins the BuildKit version Compose itself uses.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/dockerignore"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/patternmatcher"
	digest "github.com/opencontainers/go-digest"
)

type command struct {
	Name string `json:"name"`
	Line int    `json:"line"`
	Code string `json:"code"`
	// COPY
	From    string   `json:"from,omitempty"`
	Sources []string `json:"sources,omitempty"`
	Dest    string   `json:"dest,omitempty"`
	Chown   string   `json:"chown,omitempty"`
	// USER
	User string `json:"user,omitempty"`
	// ENTRYPOINT, CMD, RUN
	CmdLine      []string `json:"cmdLine,omitempty"`
	PrependShell bool     `json:"prependShell,omitempty"`
	// HEALTHCHECK
	HealthTest []string `json:"healthTest,omitempty"`
	// EXPOSE
	Ports []string `json:"ports,omitempty"`
}

type stage struct {
	Name     string    `json:"name"`
	Base     string    `json:"base"`
	Line     int       `json:"line"`
	Commands []command `json:"commands"`
}

type warning struct {
	Rule   string `json:"rule"`
	Detail string `json:"detail"`
	Line   int    `json:"line"`
}

type copySource struct {
	Stage  string `json:"stage"`
	Line   int    `json:"line"`
	Source string `json:"source"`
	Exists bool   `json:"exists"`
}

type report struct {
	// Args are the ARGs before the first FROM, with their defaults (the base images' tags).
	Args        map[string]string `json:"args"`
	Stages      []stage           `json:"stages"`
	Warnings    []warning         `json:"warnings"`
	Error       string            `json:"error,omitempty"`
	CopySources []copySource      `json:"copySources"`
}

// offlineResolver answers for the registry: every image is an empty linux/amd64 image.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	config := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}}`)
	return ref, digest.FromBytes(config), config, nil
}

func line(ranges []parser.Range) int {
	if len(ranges) == 0 {
		return 0
	}
	return ranges[0].Start.Line
}

func describe(cmd instructions.Command) command {
	out := command{Name: strings.ToLower(cmd.Name()), Line: line(cmd.Location()), Code: fmt.Sprint(cmd)}
	switch c := cmd.(type) {
	case *instructions.CopyCommand:
		out.From, out.Sources, out.Dest, out.Chown = c.From, c.SourcePaths, c.DestPath, c.Chown
	case *instructions.AddCommand:
		out.Sources, out.Dest, out.Chown = c.SourcePaths, c.DestPath, c.Chown
	case *instructions.UserCommand:
		out.User = c.User
	case *instructions.EntrypointCommand:
		out.CmdLine, out.PrependShell = c.CmdLine, c.PrependShell
	case *instructions.CmdCommand:
		out.CmdLine, out.PrependShell = c.CmdLine, c.PrependShell
	case *instructions.RunCommand:
		out.CmdLine, out.PrependShell = c.CmdLine, c.PrependShell
	case *instructions.HealthCheckCommand:
		if c.Health != nil {
			out.HealthTest = c.Health.Test
		}
	case *instructions.ExposeCommand:
		out.Ports = c.Ports
	}
	return out
}

// sourceExists says whether a COPY source matches at least one path of the build context that
// .dockerignore lets through.
func sourceExists(contextDir string, ignore *patternmatcher.PatternMatcher, source string) bool {
	matches, err := filepath.Glob(filepath.Join(contextDir, filepath.FromSlash(source)))
	if err != nil {
		return false
	}
	for _, match := range matches {
		found := false
		_ = filepath.Walk(match, func(path string, info os.FileInfo, err error) error {
			if err != nil || found {
				return filepath.SkipDir
			}
			rel, err := filepath.Rel(contextDir, path)
			if err != nil {
				return err
			}
			ignored, err := ignore.MatchesOrParentMatches(filepath.ToSlash(rel))
			if err == nil && !ignored && !info.IsDir() {
				found = true
				return filepath.SkipAll
			}
			return nil
		})
		if found {
			return true
		}
	}
	return false
}

func run(dockerfile, contextDir string) (*report, error) {
	dt, err := os.ReadFile(dockerfile)
	if err != nil {
		return nil, err
	}
	out := &report{Args: map[string]string{}, Stages: []stage{}, Warnings: []warning{}, CopySources: []copySource{}}

	ast, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, err
	}
	stages, metaArgs, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		out.Error = err.Error()
		return out, nil
	}
	for _, arg := range metaArgs {
		for _, kv := range arg.Args {
			value := ""
			if kv.Value != nil {
				value = *kv.Value
			}
			out.Args[kv.Key] = value
		}
	}

	var patterns []string
	if f, err := os.Open(filepath.Join(contextDir, ".dockerignore")); err == nil {
		patterns, err = dockerignore.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	ignore, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, err
	}

	for _, s := range stages {
		described := stage{Name: s.Name, Base: s.BaseName, Line: line(s.Location), Commands: []command{}}
		for _, cmd := range s.Commands {
			c := describe(cmd)
			described.Commands = append(described.Commands, c)
			if c.Name == "copy" && c.From == "" {
				for _, source := range c.Sources {
					out.CopySources = append(out.CopySources, copySource{Stage: s.Name, Line: c.Line, Source: source, Exists: sourceExists(contextDir, ignore, source)})
				}
			}
		}
		out.Stages = append(out.Stages, described)
	}

	// The source map names the Dockerfile in results; its definition is that of an empty state,
	// as there is no build context to load.
	sourceMap := llb.NewSourceMap(nil, filepath.Base(dockerfile), "Dockerfile", dt)
	sourceMap.Definition = &llb.Definition{}
	results, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{},
		SourceMap:    sourceMap,
		MetaResolver: offlineResolver{},
	})
	if err != nil {
		return nil, err
	}
	for _, w := range results.Warnings {
		l := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			l = int(w.Location.Ranges[0].Start.Line)
		}
		out.Warnings = append(out.Warnings, warning{Rule: w.RuleName, Detail: w.Detail, Line: l})
	}
	if results.Error != nil {
		out.Error = results.Error.Message
	}
	return out, nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: dockerfile-lint <Dockerfile> <build context dir>")
		os.Exit(2)
	}
	out, err := run(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerfile-lint:", err)
		os.Exit(1)
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "dockerfile-lint:", err)
		os.Exit(1)
	}
}
