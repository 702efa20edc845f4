package csi

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"sigs.k8s.io/secrets-store-csi-driver/provider/v1alpha1"

	"github.com/latchkey/latchkey/config"
	"github.com/latchkey/latchkey/internal/k8stest"
	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
	"github.com/latchkey/latchkey/workflow"
)

// BenchmarkMount compares a 10-object Mount (over the provider's unix
// socket, as the driver calls it, with the pod's identity) with a direct
// resolve of the same refs by a Resolver with the same store settings
// and an access key, against loopback Secrets Manager, cached and not,
// and a republish where nothing changed (a version probe per secret).
//
//	go test -run XXX -bench BenchmarkMount ./csi/
func BenchmarkMount(b *testing.B) {
	srv := awstest.Start(b)
	srv.Isolate(b)
	user := srv.AddUser("bench")
	is := k8stest.Start(b)
	role := srv.AddRole(awstest.Role{Name: "bench", WebIdentity: &awstest.WebIdentityTrust{
		Issuer: is.URL, Audience: "sts.amazonaws.com", Subjects: []string{"system:serviceaccount:etl:loader"}}})
	var objects, fields strings.Builder
	for i := range 10 {
		srv.PutString(fmt.Sprintf("s%d", i), fmt.Sprintf(`{"password":"value-%d"}`, i))
		fmt.Fprintf(&objects, "- {ref: \"secret://aws/s%d#password\", path: s%d}\n", i, i)
		fmt.Fprintf(&fields, "  f%d: secret://aws/s%d#password\n", i, i)
	}
	token := is.Mint(k8stest.Token{Namespace: "etl", ServiceAccount: "loader", Audience: "sts.amazonaws.com"})
	attrsJSON := attrs(map[string]string{attrPodNS: "etl", attrSAName: "loader", "objects": objects.String(),
		attrSATokens: fmt.Sprintf(`{"sts.amazonaws.com":{"token":%q}}`, token)})
	for _, cached := range []bool{true, false} {
		cacheYAML := "cache: {enabled: false}\n"
		name := "uncached"
		if cached {
			cacheYAML, name = "cache: {ttl: 10m}\n", "cached"
		}
		storeYAML := fmt.Sprintf("stores:\n  aws: {type: aws, region: us-east-1, endpoint: %s}\n%s", srv.URL, cacheYAML)
		agent := loadAgent(b, storeYAML+fmt.Sprintf("csi: {stores: {aws: {role_arn: %q, sts_endpoint: %q}}}\n", role, srv.URL))
		set, err := ParseSettings(agent)
		if err != nil {
			b.Fatal(err)
		}
		p, err := New(context.Background(), Config{Agent: agent, Settings: set})
		if err != nil {
			b.Fatal(err)
		}
		client := serveOnSocket(b, p)
		req := &v1alpha1.MountRequest{Attributes: attrsJSON, Permission: "420"}
		first, err := client.Mount(context.Background(), req)
		if err != nil || first.Error != nil {
			b.Fatalf("mount: %v %v", err, first.GetError())
		}
		b.Run("mount/"+name, func(b *testing.B) {
			for b.Loop() {
				if r, err := client.Mount(context.Background(), req); err != nil || r.Error != nil {
					b.Fatal(err, r.GetError())
				}
			}
		})
		if cached {
			re := &v1alpha1.MountRequest{Attributes: attrsJSON, Permission: "420", CurrentObjectVersion: first.ObjectVersion}
			b.Run("republish-unchanged/"+name, func(b *testing.B) {
				gets := srv.Count("GetSecretValue")
				for b.Loop() {
					if r, err := client.Mount(context.Background(), re); err != nil || r.Error != nil {
						b.Fatal(err, r.GetError())
					}
				}
				if srv.Count("GetSecretValue") != gets {
					b.Fatalf("a republish with nothing changed fetched")
				}
			})
		}
		// The baseline: the same refs resolved directly.
		direct := loadAgent(b, strings.Replace(storeYAML, "region: us-east-1,", fmt.Sprintf("region: us-east-1, auth_method: access_keys, access_key_id: %s, secret_access_key: %s,", user.AccessKeyID, user.SecretAccessKey), 1))
		r, err := resolver.New(context.Background(), direct.CachedResolverConfig(nil))
		if err != nil {
			b.Fatal(err)
		}
		wf, err := workflow.Decode("wf.yaml", workflow.YAML, []byte("name: bench\nfields:\n"+fields.String()))
		if err != nil {
			b.Fatal(err)
		}
		ctx := secret.WithCaller(context.Background(), secret.Caller{Kind: secret.CallerEmbedded})
		if _, err := r.Resolve(ctx, wf); err != nil {
			b.Fatal(err)
		}
		b.Run("resolve/"+name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.Resolve(ctx, wf); err != nil {
					b.Fatal(err)
				}
			}
		})
		if cached {
			b.Run("resolve-versions/"+name, func(b *testing.B) {
				for b.Loop() {
					if _, err := r.Versions(ctx, wf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		_ = r.Close()
		_ = p.Close()
	}
}

func loadAgent(b *testing.B, yaml string) *config.Agent {
	path := filepath.Join(b.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		b.Fatal(err)
	}
	a, err := config.Load(config.Options{Path: path, Environ: []string{}})
	if err != nil {
		b.Fatal(err)
	}
	return a
}

func serveOnSocket(b *testing.B, p *Provider) v1alpha1.CSIDriverProviderClient {
	dir := b.TempDir()
	l, err := Listen(dir)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = p.Serve(ctx, l); close(done) }()
	conn, err := grpc.NewClient("unix://"+filepath.Join(dir, SocketName), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", strings.TrimPrefix(addr, "unix://"))
		}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close(); cancel(); <-done })
	return v1alpha1.NewCSIDriverProviderClient(conn)
}
