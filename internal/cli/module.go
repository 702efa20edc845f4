package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/safefile"
	_ "github.com/latchkey/latchkey/providers/wasm" // the store type module run uses
	"github.com/latchkey/latchkey/resolver"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

func (a *app) moduleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "module",
		Short: "Inspect, run, push, pull or verify a custom-store Wasm module",
	}
	cmd.AddCommand(a.moduleInitCmd(), a.moduleInspectCmd(), a.moduleRunCmd(), a.moduleAnnotateCmd(), // module_init.go
		a.modulePushCmd(), a.modulePullCmd(), a.moduleVerifyCmd()) // module_oci.go
	return cmd
}

func (a *app) moduleInspectCmd() *cobra.Command {
	var (
		asJSON    bool
		memoryMiB int
		rf        registryFlags
	)
	cmd := &cobra.Command{
		Use:   "inspect FILE|REF",
		Short: "Print a module's ABI version, imports, exports, size and sha256, and whether it would load",
		Long: `Decode and validate a module without running it, and print its size, sha256
(the value for the store's sha256 pin), declared ABI versions, imports and
exports, and every reason this host would refuse to load it under the given
memory limit (a store's limits.memory_mib; 64 MiB by default). Exits 3 when
the module would be refused.

For a registry reference (oci://host/repository:tag, or host/repository:tag
naming no file), print its digests, size and the capabilities copied into the
artifact's config, without pulling the module.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if isRefArg(args[0]) {
				return a.inspectRef(cmd, args[0], &rf, asJSON)
			}
			wasmBytes, _, err := safefile.ReadFile(args[0], safefile.Options{MaxSize: maxModuleFile})
			if err != nil {
				return fail(ExitConfig, fmt.Errorf("module %s: %w", args[0], err))
			}
			if memoryMiB < 0 || memoryMiB > 4096 {
				return fail(ExitUsage, fmt.Errorf("--memory-mib %d: want 1 to 4096", memoryMiB))
			}
			info, err := lkruntime.Inspect(cmd.Context(), wasmBytes, lkruntime.Limits{MemoryPages: uint32(memoryMiB) * 16})
			if err != nil {
				return fail(ExitConfig, fmt.Errorf("module %s: %w", args[0], err))
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(info); err != nil {
					return err
				}
			} else {
				writeInspect(out, args[0], info)
			}
			if len(info.Problems) > 0 {
				return fail(ExitConfig, fmt.Errorf("module %s would be refused: %s", args[0], strings.Join(info.Problems, "; ")))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().IntVar(&memoryMiB, "memory-mib", 0, "the memory limit to check against, as a store's limits.memory_mib (default 64)")
	rf.add(cmd)
	return cmd
}

// writeInspect prints module inspect's report on the module file: size,
// digest, ABI, probes, imports, exports, capabilities, and whether this
// host would load it and why not.
func writeInspect(out io.Writer, file string, info *lkruntime.Info) {
	fmt.Fprintf(out, "file:    %s\nsize:    %d bytes\nsha256:  %s\nabi:     %s\n", file, info.Size, info.SHA256, abiList(info.ABIVersions))
	if info.VersionProbe {
		fmt.Fprintln(out, "probes:  version (latchkey_version, ABI 1.1): an unchanged secret costs a probe, not a fetch")
	} else {
		fmt.Fprintln(out, "probes:  none: caches and --watch fetch to learn whether a secret changed")
	}
	fmt.Fprintln(out, "imports:")
	for _, f := range info.Imports {
		fmt.Fprintf(out, "  %s\n", f)
	}
	fmt.Fprintln(out, "exports:")
	for _, f := range info.Exports {
		fmt.Fprintf(out, "  %s\n", f)
	}
	writeCapabilities(out, info.Capabilities)
	if len(info.Problems) == 0 {
		fmt.Fprintln(out, "status:  loadable")
	} else {
		fmt.Fprintln(out, "status:  REFUSED")
		for _, p := range info.Problems {
			fmt.Fprintf(out, "  - %s\n", p)
		}
	}
}

func abiList(v []int) string {
	if len(v) == 0 {
		return "none declared"
	}
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprintf("v%d", n)
	}
	return strings.Join(s, ", ")
}

// moduleRunLong is the help text of `latchkey module run`.
const moduleRunLong = `Load FILE as a custom store with the JSON config of --store-config (the
store's "config" setting; not an agent config file), fetch one secret
through it and print the value (or, with --key, one key of a JSON secret) on
stdout. The host of config.store_url is allowed; --allow-host adds others.
Without --sha256 the module runs unpinned, with a warning.

The flags are the settings of a store of type wasm (docs/wasm.md): the
module sees and does exactly what it would under an agent config holding
them, and the store's warnings are logged.

Credentials are read from the environment or a file, never from the command
line: --credential NAME=env:VARIABLE or --credential NAME=file:PATH, bound
with --credential-host NAME=HOST (repeatable; "host", "host:port",
"*.domain" or "http://host:port"), and allowed into request bodies with
--credential-body-path NAME=/path.

--limit KEY=VALUE sets one of the store's limits (memory_mib, timeout,
init_timeout, instances, max_requests, request_timeout, max_request_bytes,
max_response_bytes, max_redirects, max_log_bytes, max_stdout_bytes,
max_input_bytes, max_output_bytes, recycle_mib).`

// moduleRunCmd is `latchkey module run`: resolve one secret through a
// module file with the settings its flags give, without an agent config.
func (a *app) moduleRunCmd() *cobra.Command {
	var fl moduleRunFlags
	cmd := &cobra.Command{
		Use:   "run FILE --store-config JSON --secret NAME",
		Short: "Resolve one secret through a module, without an agent config",
		Long:  moduleRunLong,
		Example: `  latchkey module run http-json.wasm --secret db --key password \
    --store-config '{"store_url": "https://secrets.example.com/v1/{name}"}'

  API_TOKEN=… latchkey module run vault.wasm --secret db \
    --store-config '{"store_url": "https://vault.example.com/v1/secret/data/{name}"}' \
    --credential vault_token=env:API_TOKEN --credential-host vault_token=vault.example.com \
    --limit timeout=5s --limit max_requests=4`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := refuseGlobals(cmd, map[string]string{
				"config":   "module run takes the store's JSON config as --store-config JSON (--config/-c names an agent config file elsewhere)",
				"workflow": "module run resolves the one secret --secret names",
				"set":      "module run's settings are its own flags (--allow-host, --limit, …)",
			}); err != nil {
				return err
			}
			if fl.name == "" {
				return fail(ExitUsage, errors.New("--secret NAME is required"))
			}
			settings, err := fl.settings(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), fl.timeout)
			defer cancel()
			return a.runModule(ctx, cmd.OutOrStdout(), args[0], settings, fl.ref())
		},
	}
	fl.register(cmd)
	return cmd
}

// moduleRunFlags are the flags of `latchkey module run`.
type moduleRunFlags struct {
	config, name, version, key, pin             string
	allowHosts, allowHTTP, allowNets, allowMeta []string
	creds, credHosts, credBodyPaths, limits     []string
	allowPrivate                                bool
	timeout                                     time.Duration
}

// register adds the flags of `latchkey module run` to cmd.
func (fl *moduleRunFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&fl.config, "store-config", "{}", "the store's JSON config handed to the module (its \"config\" setting)")
	f.StringVar(&fl.name, "secret", "", "the secret to fetch (required)")
	f.StringVar(&fl.version, "version", "", "the secret's version")
	f.StringVar(&fl.key, "key", "", "a dot-separated key inside a JSON secret")
	f.StringVar(&fl.pin, "sha256", "", "the module's expected sha256 (refused when it differs)")
	f.StringArrayVar(&fl.allowHosts, "allow-host", nil, "a further host the module may reach (repeatable)")
	f.StringArrayVar(&fl.allowHTTP, "allow-http", nil, "a host that may be reached over plain http (repeatable)")
	f.StringArrayVar(&fl.allowNets, "allow-network", nil, "a private address range the module may reach, e.g. 127.0.0.1/32 (repeatable)")
	f.StringArrayVar(&fl.allowMeta, "allow-metadata", nil, "a cloud-metadata address the module may reach, e.g. 169.254.169.254 (repeatable)")
	f.BoolVar(&fl.allowPrivate, "allow-private-networks", false, "let the module reach loopback and private addresses")
	f.StringArrayVar(&fl.creds, "credential", nil, "NAME=env:VARIABLE or NAME=file:PATH: a credential the host sends for the module (repeatable)")
	f.StringArrayVar(&fl.credHosts, "credential-host", nil, "NAME=HOST: a host the credential is bound to (repeatable)")
	f.StringArrayVar(&fl.credBodyPaths, "credential-body-path", nil, "NAME=/path: a URL path whose request bodies may carry the credential (repeatable)")
	f.StringArrayVar(&fl.limits, "limit", nil, "KEY=VALUE: one of the store's limits, e.g. timeout=5s or max_requests=4 (repeatable)")
	f.DurationVar(&fl.timeout, "timeout", 30*time.Second, "deadline of the whole run")
}

// settings builds, from the flags, the settings of a store of type wasm
// running file: the settings an agent config would hold. A flag that does
// not parse is a usage error.
func (fl *moduleRunFlags) settings(file string) (map[string]any, error) {
	var cfg map[string]any
	if err := json.Unmarshal([]byte(fl.config), &cfg); err != nil || cfg == nil {
		return nil, fail(ExitUsage, errors.New("--store-config must be a JSON object, e.g. '{\"store_url\": \"https://…\"}'"))
	}
	settings := map[string]any{"module": file, "config": cfg}
	if fl.pin != "" {
		settings["sha256"] = fl.pin
	} else {
		settings["allow_unpinned"] = true
	}
	for k, v := range map[string][]string{"allowed_hosts": fl.allowHosts, "allow_http": fl.allowHTTP,
		"allow_networks": fl.allowNets, "allow_metadata": fl.allowMeta} {
		if len(v) > 0 {
			settings[k] = v
		}
	}
	if fl.allowPrivate {
		settings["allow_private_networks"] = true
	}
	cs, err := credentialFlags(fl.creds, fl.credHosts, fl.credBodyPaths)
	if err != nil {
		return nil, fail(ExitUsage, err)
	}
	if len(cs) > 0 {
		settings["credentials"] = cs
	}
	ls, err := limitFlags(fl.limits)
	if err != nil {
		return nil, fail(ExitUsage, err)
	}
	if len(ls) > 0 {
		settings["limits"] = ls
	}
	return settings, nil
}

// ref is the reference to the secret --secret, --version and --key name,
// in the store "module".
func (fl *moduleRunFlags) ref() secret.Ref {
	ref := secret.Ref{Store: "module", Name: fl.name, Version: fl.version}
	if fl.key != "" {
		ref.Key = strings.Split(fl.key, ".")
	}
	return ref
}

// runModule builds a store of type wasm named "module" with settings,
// logs its warnings, resolves ref through it alone and writes the value to
// out, before the store and resolver close.
func (a *app) runModule(ctx context.Context, out io.Writer, file string, settings map[string]any, ref secret.Ref) error {
	factory, ok := secret.Lookup("wasm")
	if !ok {
		return fail(ExitInternal, errors.New("store type wasm is not linked in"))
	}
	st, err := factory(ctx, secret.Spec{Name: "module", Type: "wasm", Settings: settings, Logger: a.log})
	if err != nil {
		return fail(ExitConfig, err)
	}
	defer st.Close()
	for _, w := range secret.DescriptionOf(st).Warnings {
		a.log.Warn(w, "module", file)
	}
	r, err := resolver.New(ctx, resolver.Config{Stores: map[string]resolver.StoreConfig{"module": {Store: st}}, Logger: a.log})
	if err != nil {
		return fail(ExitConfig, err)
	}
	defer r.Close()
	res, err := r.Resolve(ctx, resolver.Workflow{Name: "module run", Fields: []resolver.Field{{Name: "value", Source: secret.Source{Ref: &ref}}}})
	if err != nil {
		return fail(ExitResolution, err)
	}
	v, _ := res.Get("value")
	_, err = out.Write(append(v.Reveal(), '\n'))
	return err
}

// credentialFlags turns the --credential* flags into the store's
// credentials setting. A value is never taken from the command line, where
// other users see it (ps, /proc) and shells keep it.
func credentialFlags(creds, hosts, bodyPaths []string) (map[string]any, error) {
	out := map[string]any{}
	for _, c := range creds {
		n, src, ok := strings.Cut(c, "=")
		kind, ref, _ := strings.Cut(src, ":")
		if !ok || n == "" || ref == "" || (kind != "env" && kind != "file") {
			return nil, fmt.Errorf("--credential %s: want NAME=env:VARIABLE or NAME=file:PATH; a value itself is never taken from the command line", credentialFlagName(c))
		}
		if _, dup := out[n]; dup {
			return nil, fmt.Errorf("--credential %s: given twice", n)
		}
		out[n] = map[string]any{kind: ref}
	}
	for flag, list := range map[string][]string{"hosts": hosts, "body_paths": bodyPaths} {
		for _, h := range list {
			n, v, ok := strings.Cut(h, "=")
			c, known := out[n].(map[string]any)
			switch {
			case !ok || v == "":
				return nil, fmt.Errorf("--credential-%s %q: want NAME=VALUE", map[string]string{"hosts": "host", "body_paths": "body-path"}[flag], h)
			case !known:
				return nil, fmt.Errorf("--credential-%s %q: no --credential %s=… given", map[string]string{"hosts": "host", "body_paths": "body-path"}[flag], h, n)
			}
			l, _ := c[flag].([]string)
			c[flag] = append(l, v)
		}
	}
	return out, nil
}

// credentialFlagName shows what a bad --credential named, without what
// might be a value pasted by mistake.
func credentialFlagName(c string) string {
	n, _, _ := strings.Cut(c, "=")
	if n == "" {
		return "(no name)"
	}
	return strconv.Quote(truncateFlag(n, 64))
}

func truncateFlag(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// limitFlags turns --limit KEY=VALUE flags into the store's limits
// setting: numbers as numbers, the rest (durations) as strings. The store
// checks keys and values.
func limitFlags(limits []string) (map[string]any, error) {
	out := map[string]any{}
	for _, l := range limits {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--limit %q: want KEY=VALUE, e.g. timeout=5s", l)
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out[k] = n
		} else {
			out[k] = v
		}
	}
	return out, nil
}

// maxModuleFile caps the read of a module named on the command line.
const maxModuleFile = 256 << 20
