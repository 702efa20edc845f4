package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/csi"
)

func (a *app) csiProviderCmd() *cobra.Command {
	var socketDir string
	cmd := &cobra.Command{
		Use:   "csi-provider",
		Short: "Serve the Kubernetes Secrets Store CSI Driver's provider API (provider: latchkey)",
		Long: `Serve the Secrets Store CSI Driver's provider gRPC API (Version, Mount) on
SOCKET-DIR/latchkey.sock until SIGTERM or SIGINT. Run it as a DaemonSet beside
the driver (deploy/kubernetes/). A SecretProviderClass with provider: latchkey
lists in parameters.objects what to mount ({ref, path, mode}); each pod reads
with its own service-account token (csi: section, docs/kubernetes.md).

Exit codes: 0 stopped by a signal, 2 usage error, 3 config error or a socket
that cannot be used.`,
		Example: `  latchkey csi-provider -c /etc/latchkey/agent.yaml
  latchkey csi-provider -c agent.yaml --socket-dir /var/run/secrets-store-csi-providers`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.configPath == "" {
				return fail(ExitUsage, errors.New("no agent config: give --config FILE (or set LATCHKEY_CONFIG)"))
			}
			if !cmd.Flags().Changed("log-level") && os.Getenv("LATCHKEY_LOG_LEVEL") == "" {
				a.logLevel = "info"
				if err := a.setup(cmd, nil); err != nil {
					return err
				}
			}
			agent, err := config.Load(config.Options{Path: a.configPath, Set: a.sets})
			if err != nil {
				return fail(ExitConfig, err)
			}
			set, err := csi.ParseSettings(agent)
			if err != nil {
				return fail(ExitConfig, err)
			}
			if socketDir != "" {
				set.SocketDir = socketDir
			}
			obs, err := a.openServeAudit(agent)
			if err != nil {
				return fail(ExitConfig, err)
			}
			v := strings.TrimPrefix(readBuildInfo().version, "v")
			if v == "" {
				v = "0.0.0-dev"
			}
			p, err := csi.New(cmd.Context(), csi.Config{Agent: agent, Settings: set, Version: v, Logger: a.log, Observer: obs})
			if err != nil {
				return fail(ExitConfig, err)
			}
			defer p.Close()
			l, err := csi.Listen(set.SocketDir)
			if err != nil {
				return fail(ExitConfig, err)
			}
			a.log.Info("serving the Secrets Store CSI Driver", "socket", filepath.Join(set.SocketDir, csi.SocketName))
			if err := p.Serve(cmd.Context(), l); err != nil {
				return fail(ExitConfig, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&socketDir, "socket-dir", "", "directory of the provider socket (default csi.socket_dir, else "+csi.DefaultSocketDir+")")
	return cmd
}

// addCSIWarnings adds, to each store of rep that the agent's csi section
// reads with the node's identity, the warning that it gives no namespace
// isolation (`latchkey check`).
func addCSIWarnings(rep *checkReport, agent *config.Agent) {
	if rep == nil || agent == nil || agent.CSI == nil {
		return
	}
	set, err := csi.ParseSettings(agent)
	if err != nil {
		return // csi-provider reports it when it starts
	}
	for i := range rep.Stores {
		if w := set.NodeWarning(rep.Stores[i].Name); w != "" {
			rep.Stores[i].Warnings = append(rep.Stores[i].Warnings, w)
		}
	}
}
