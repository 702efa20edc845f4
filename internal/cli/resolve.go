package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/resolver"
)

type envFlags struct {
	prefix  string
	envCase string
}

func (e *envFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&e.prefix, "env-prefix", "", "prefix for derived variable names")
	cmd.Flags().StringVar(&e.envCase, "env-case", "upper", "case of derived variable names: upper or preserve")
}

func (e *envFlags) namer() (envNamer, error) {
	switch e.envCase {
	case "upper", "preserve":
		return envNamer{prefix: e.prefix, upper: e.envCase == "upper"}, nil
	}
	return envNamer{}, fail(ExitUsage, fmt.Errorf("--env-case %q: use upper or preserve", e.envCase))
}

func (a *app) resolveCmd() *cobra.Command {
	var format, output, onChange string
	var ef envFlags
	var wf watchFlags
	cmd := &cobra.Command{
		Use:   "resolve",
		Short: "Resolve a workflow's fields and print them",
		Long: `Resolve every field of the workflow and print the result as JSON (default),
as shell "export" lines (-f env) or as a dotenv file (-f dotenv). With -o the
result goes to a file created with mode 0600 instead of stdout. Nothing is
printed unless every field resolves.

With -o FILE --watch[=INTERVAL], latchkey keeps running: it re-checks the
secrets every INTERVAL and rewrites FILE (atomically, mode 0600) only when
a value changed, then runs --on-change CMD if given. SIGINT or SIGTERM
ends it (exit 0). See docs/rotation.md.`,
		Example: `  latchkey resolve -c agent.yaml -w workflow.yaml
  latchkey resolve -c agent.yaml -w workflow.yaml -f env -o /run/secrets/wf.env
  latchkey resolve -c agent.yaml -w wf.yaml -f dotenv -o /run/secrets/wf.env --watch=1m --on-change 'systemctl reload app'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			namer, err := ef.namer()
			if err != nil {
				return err
			}
			switch format {
			case "json", "env", "dotenv":
			default:
				return fail(ExitUsage, fmt.Errorf("--format %q: use json, env or dotenv", format))
			}
			interval, err := wf.interval(cmd)
			if err != nil {
				return err
			}
			if interval > 0 {
				if output == "" {
					return fail(ExitUsage, errors.New("--watch needs --output FILE: output already written to stdout cannot be re-rendered in place"))
				}
				return a.resolveWatch(cmd.Context(), output, format, namer, interval, onChange)
			}
			if onChange != "" {
				return fail(ExitUsage, errors.New("--on-change runs when --watch sees a change: add --watch"))
			}
			res, err := a.resolve(cmd.Context())
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := render(&buf, format, res, namer); err != nil {
				return err
			}
			if output == "" {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			return writePrivate(output, buf.Bytes())
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "json", "output format: json, env or dotenv")
	_ = cmd.RegisterFlagCompletionFunc("format", completeValues("json", "env", "dotenv"))
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file (mode 0600) instead of stdout")
	wf.register(cmd)
	cmd.Flags().StringVar(&onChange, "on-change", "", "with --watch: a command (run by /bin/sh -c, without the secrets in its environment) to run after each rewrite")
	ef.register(cmd)
	a.serverFlags(cmd)
	return cmd
}

func render(w io.Writer, format string, res *resolver.Result, namer envNamer) error {
	for _, f := range res.Fields {
		if !utf8.Valid(f.Value.Reveal()) {
			return fail(ExitResolution, fmt.Errorf("field %q holds binary data, which %s output cannot carry (use latchkey exec, or a key inside a JSON secret)", f.Name, format))
		}
	}
	if format == "json" {
		var b bytes.Buffer
		b.WriteString("{")
		for i, f := range res.Fields {
			if i > 0 {
				b.WriteString(",")
			}
			k, v := jsonString(f.Name), jsonString(f.Value.RevealString())
			fmt.Fprintf(&b, "\n  %s: %s", k, v)
		}
		b.WriteString("\n}\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	pairs, err := namer.pairs(res)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		if format == "env" {
			fmt.Fprintf(w, "export %s=%s\n", p.name, shellQuote(string(p.value)))
		} else {
			fmt.Fprintf(w, "%s=%s\n", p.name, dotenvQuote(string(p.value)))
		}
	}
	return nil
}

// shellQuote single-quotes s for POSIX shells.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dotenvQuote double-quotes s with the escapes dotenv readers understand.
func dotenvQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "$", `\$`)
	return `"` + r.Replace(s) + `"`
}

// writePrivate writes data to path with mode 0600, through a temporary file
// in the same directory renamed into place, so that no reader ever sees a
// partial file or one with wider permissions.
func writePrivate(path string, data []byte) error {
	dir := filepath.Dir(path)
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return fail(ExitInternal, fmt.Errorf("--output %s: exists and is not a regular file", path))
	}
	f, err := os.CreateTemp(dir, ".latchkey-*")
	if err != nil {
		return fail(ExitInternal, fmt.Errorf("--output %s: %w", path, err))
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fail(ExitInternal, fmt.Errorf("--output %s: %w", path, err))
	}
	return nil
}

// jsonString encodes s as a JSON string without encoding/json's HTML
// escaping: a password holding "<" prints as "<", not "\u003c".
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
