package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/hostfuncs"
	"github.com/latchkey/latchkey/providers/wasm"
	"github.com/latchkey/latchkey/resolver"
	lkruntime "github.com/latchkey/latchkey/runtime"
	"github.com/latchkey/latchkey/secret"
)

func (a *app) moduleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "module",
		Short: "Inspect a custom-store Wasm module, or resolve one secret through it",
	}
	cmd.AddCommand(a.moduleInspectCmd(), a.moduleRunCmd())
	return cmd
}

func (a *app) moduleInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Print a module's ABI version, imports, exports, size and sha256, and whether it would load",
		Long: `Decode and validate a module without running it, and print its size, sha256
(the value for the store's sha256 pin), declared ABI versions, imports and
exports, and every reason this host would refuse to load it. Exits 3 when the
module would be refused.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			wasmBytes, err := os.ReadFile(args[0])
			if err != nil {
				return fail(ExitConfig, fmt.Errorf("module %s: %w", args[0], err))
			}
			info, err := lkruntime.Inspect(cmd.Context(), wasmBytes)
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
				fmt.Fprintf(out, "file:    %s\nsize:    %d bytes\nsha256:  %s\nabi:     %s\n", args[0], info.Size, info.SHA256, abiList(info.ABIVersions))
				fmt.Fprintln(out, "imports:")
				for _, f := range info.Imports {
					fmt.Fprintf(out, "  %s\n", f)
				}
				fmt.Fprintln(out, "exports:")
				for _, f := range info.Exports {
					fmt.Fprintf(out, "  %s\n", f)
				}
				if len(info.Problems) == 0 {
					fmt.Fprintln(out, "status:  loadable")
				} else {
					fmt.Fprintln(out, "status:  REFUSED")
					for _, p := range info.Problems {
						fmt.Fprintf(out, "  - %s\n", p)
					}
				}
			}
			if len(info.Problems) > 0 {
				return fail(ExitConfig, fmt.Errorf("module %s would be refused: %s", args[0], strings.Join(info.Problems, "; ")))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
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

func (a *app) moduleRunCmd() *cobra.Command {
	var (
		config, name, version, key, pin  string
		allowHosts, allowHTTP, allowNets []string
		allowPrivate                     bool
		timeout                          time.Duration
	)
	cmd := &cobra.Command{
		Use:   "run FILE --config JSON --secret NAME",
		Short: "Resolve one secret through a module, without an agent config",
		Long: `Load FILE as a custom store with the given JSON config, fetch one secret
through it and print the value (or, with --key, one key of a JSON secret) on
stdout. The host of config.store_url is allowed; --allow-host adds others.
Without --sha256 the module runs unpinned, with a warning.`,
		Example: `  latchkey module run http-json.wasm --secret db --key password \
    --config '{"store_url": "https://secrets.example.com/v1/{name}"}'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				return fail(ExitUsage, errors.New("--secret NAME is required"))
			}
			if !json.Valid([]byte(config)) || !strings.HasPrefix(strings.TrimSpace(config), "{") {
				return fail(ExitUsage, errors.New("--config must be a JSON object, e.g. '{\"store_url\": \"https://…\"}'"))
			}
			opts := lkruntime.Options{
				SHA256: pin, AllowUnpinned: pin == "", Config: []byte(config), Logger: a.log,
				HTTP: hostfuncs.HTTPOptions{AllowedHosts: allowHosts, AllowHTTP: allowHTTP, AllowPrivateNetworks: allowPrivate},
			}
			for _, n := range allowNets {
				p, err := netip.ParsePrefix(n)
				if err != nil {
					return fail(ExitUsage, fmt.Errorf("--allow-network %q: want a CIDR such as 127.0.0.0/8", n))
				}
				opts.HTTP.AllowNetworks = append(opts.HTTP.AllowNetworks, p)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			st, err := wasm.New(ctx, "module", args[0], opts)
			if err != nil {
				return fail(ExitConfig, err)
			}
			defer st.Close()
			if pin == "" {
				a.log.Warn("running an unpinned module", "module", args[0], "sha256", st.Module().Info().SHA256)
			}
			r, err := resolver.New(ctx, resolver.Config{Stores: map[string]resolver.StoreConfig{"module": {Store: st}}, Logger: a.log})
			if err != nil {
				return fail(ExitConfig, err)
			}
			defer r.Close()
			ref := secret.Ref{Store: "module", Name: name, Version: version}
			if key != "" {
				ref.Key = strings.Split(key, ".")
			}
			res, err := r.Resolve(ctx, resolver.Workflow{Name: "module run", Fields: []resolver.Field{{Name: "value", Source: secret.Source{Ref: &ref}}}})
			if err != nil {
				return fail(ExitResolution, err)
			}
			v, _ := res.Get("value")
			_, err = cmd.OutOrStdout().Write(append(v.Reveal(), '\n'))
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&config, "config", "{}", "the store's JSON config handed to the module")
	f.StringVar(&name, "secret", "", "the secret to fetch (required)")
	f.StringVar(&version, "version", "", "the secret's version")
	f.StringVar(&key, "key", "", "a dot-separated key inside a JSON secret")
	f.StringVar(&pin, "sha256", "", "the module's expected sha256 (refused when it differs)")
	f.StringArrayVar(&allowHosts, "allow-host", nil, "a further host the module may reach (repeatable)")
	f.StringArrayVar(&allowHTTP, "allow-http", nil, "a host that may be reached over plain http (repeatable)")
	f.StringArrayVar(&allowNets, "allow-network", nil, "a private address range the module may reach, e.g. 127.0.0.1/32 (repeatable)")
	f.BoolVar(&allowPrivate, "allow-private-networks", false, "let the module reach loopback and private addresses")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "deadline of the whole run")
	return cmd
}
