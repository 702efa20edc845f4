//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/latchkey/latchkey/providers/aws/awstest"
	"github.com/latchkey/latchkey/providers/azure/azuretest"
	"github.com/latchkey/latchkey/providers/gcp/gcptest"
	"github.com/latchkey/latchkey/providers/wasm/wasmstoretest"
)

// Values planted in each loopback store: they may appear only in answers
// that resolve them, never in logs, metrics, errors or on disk.
const (
	awsPW      = "aws-srv-pl4nted-pw"
	awsOld     = "aws-srv-previous-pw"
	awsBinary  = "\x00\x01aws-bin\xff"
	azurePW    = "azure-srv-pl4nted-pw"
	gcpPW      = "gcp-srv-pl4nted-pw"
	wasmPW     = "wasm-srv-pl4nted-pw"
	serveToken = "serve-tok-0123456789abcdef"
)

var storeValues = []string{awsPW, awsOld, azurePW, gcpPW, wasmPW, plantedPassword, plantedToken}

// smAgentClient is an HTTP client for the AWS SDK that turns each
// GetSecretValue call into the AWS Secrets Manager Agent's GET request, so
// that the SDK's own deserializer reads latchkey's answer.
type smAgentClient struct {
	base, token string
	hc          *http.Client
}

func (c smAgentClient) Do(req *http.Request) (*http.Response, error) {
	if t := req.Header.Get("X-Amz-Target"); t != "secretsmanager.GetSecretValue" {
		return nil, fmt.Errorf("unexpected operation %q", t)
	}
	var in struct{ SecretId, VersionId, VersionStage string }
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		return nil, err
	}
	q := url.Values{"secretId": {in.SecretId}}
	if in.VersionId != "" {
		q.Set("versionId", in.VersionId)
	}
	if in.VersionStage != "" {
		q.Set("versionStage", in.VersionStage)
	}
	get, _ := http.NewRequestWithContext(req.Context(), http.MethodGet, c.base+"/secretsmanager/get?"+q.Encode(), nil)
	get.Header.Set("X-Aws-Parameters-Secrets-Token", c.token)
	return c.hc.Do(get)
}

// TestServeStores starts `latchkey serve` on a unix socket and loopback TCP
// in front of an env, an aws, an azure, a gcp and a wasm store (each
// against its loopback server) and drives every endpoint with a plain HTTP
// client and with the AWS SDK.
func TestServeStores(t *testing.T) {
	// AWS, with a current and a previous version and a binary secret.
	aw := awstest.Start(t)
	alice := aw.AddUser("alice")
	oldID := aw.PutString("prod/db", `{"username":"etl","password":"`+awsOld+`"}`)
	curID := aw.PutString("prod/db", `{"username":"etl","password":"`+awsPW+`"}`)
	aw.PutBinary("prod/bin", []byte(awsBinary))
	textBinID := aw.PutBinary("prod/textbin", []byte("binary that is valid UTF-8"))
	// Azure, through managed identity.
	az := azuretest.Start(t)
	az.SetSecret("db", `{"password":"`+azurePW+`"}`)
	// GCP, with a service account key.
	sa := gcptest.NewServiceAccount(t, "etl@demo-project.iam.gserviceaccount.com", "demo-project")
	gc := gcptest.Start(t, gcptest.Options{Accounts: []*gcptest.ServiceAccount{sa},
		Secrets: []gcptest.Secret{{Project: "demo-project", ID: "db", Versions: []gcptest.Version{{Data: []byte(`{"password":"` + gcpPW + `"}`)}}}}})
	// Wasm: the http-json example module, built from source.
	ws := wasmstoretest.Start(t, map[string][]byte{"db": []byte(`{"password":"` + wasmPW + `"}`)})
	mod := wasmstoretest.BuildHTTPJSON(t)

	dir := shortDir(t)
	home, tmp := t.TempDir(), t.TempDir()
	sock := filepath.Join(dir, "s.sock")
	writeFile(t, dir, "token", serveToken+"\n")
	wasmSettings := ws.Settings(t, mod, "")
	wasmSettings["type"] = "wasm"
	azSettings := az.Settings("managed_identity")
	azSettings["type"] = "azure"
	gcSettings := gc.Settings("demo-project")
	gcSettings["type"], gcSettings["auth_method"], gcSettings["credentials_file"], gcSettings["max_attempts"] = "gcp", "service_account_key", sa.KeyFile, 1
	cfg := map[string]any{
		"default_store": "aws",
		"timeout":       "20s",
		"stores": map[string]any{
			"env":    map[string]any{"type": "env", "allow": []any{"DEMO_*"}},
			"aws":    map[string]any{"type": "aws", "region": aw.Region, "endpoint": aw.URL, "max_attempts": 1},
			"kv":     azSettings,
			"gcp":    gcSettings,
			"custom": wasmSettings,
		},
		"serve": map[string]any{"socket": sock, "tcp": "127.0.0.1:0", "token_file": filepath.Join(dir, "token"),
			"max_body_bytes": "64KiB", "read_header_timeout": "1s", "read_timeout": "3s", "secretsmanager_store": "aws"},
	}
	raw, _ := json.MarshalIndent(cfg, "", "  ")
	agent := writeFile(t, dir, "agent.json", string(raw))
	env := []string{"HOME=" + home, "TMPDIR=" + tmp}
	for k, v := range aw.Env(alice) {
		env = append(env, k+"="+v)
	}
	for k, v := range az.Env() {
		env = append(env, k+"="+v)
	}
	srv := serve(t, agent, sock, env...)
	if srv.tcp == "" {
		t.Fatalf("no TCP address in the log:\n%s", srv.stderr.String())
	}
	tcp := &http.Client{Timeout: 30 * time.Second}
	tcpBase := "http://" + srv.tcp

	wf := `name: every-store
fields:
  env_pw: secret://env/DEMO_DB#password
  aws_pw: secret://aws/prod/db#password
  aws_old: secret://aws/prod/db#password?version=AWSPREVIOUS
  azure_pw: secret://kv/db#password
  gcp_pw: secret://gcp/db#password
  wasm_pw: secret://custom/db#password
  host: db.internal
`
	wants := map[string]string{"env_pw": plantedPassword, "aws_pw": awsPW, "aws_old": awsOld, "azure_pw": azurePW, "gcp_pw": gcpPW, "wasm_pw": wasmPW, "host": "db.internal"}
	checkResolved := func(what string, a answer) {
		t.Helper()
		if a.status != 200 {
			t.Fatalf("%s: %d %s", what, a.status, a.body)
		}
		var out struct {
			Fields []struct{ Name, Value string }
		}
		if err := json.Unmarshal([]byte(a.body), &out); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, f := range out.Fields {
			got[f.Name] = f.Value
		}
		for k, v := range wants {
			if got[k] != v {
				t.Errorf("%s: field %s = %q, want %q", what, k, got[k], v)
			}
		}
	}

	t.Run("resolve over unix and tcp", func(t *testing.T) {
		checkResolved("unix", get(t, srv.unix, "POST", "http://l/v1/resolve?name=wf.yaml", wf))
		checkResolved("tcp", get(t, tcp, "POST", tcpBase+"/v1/resolve?name=wf.yaml", wf, "X-Latchkey-Token", serveToken))
		checkResolved("tcp, SM Agent header", get(t, tcp, "POST", tcpBase+"/v1/resolve", wf, "X-Aws-Parameters-Secrets-Token", serveToken, "Content-Type", "application/yaml"))
	})

	t.Run("the cache answers repeats", func(t *testing.T) {
		before, beforeAz := aw.Count("GetSecretValue"), az.Stats().SecretGets
		for i := 0; i < 20; i++ {
			checkResolved("repeat", get(t, srv.unix, "POST", "http://l/v1/resolve", wf))
		}
		if n := aw.Count("GetSecretValue") - before; n != 0 {
			t.Errorf("20 cached resolutions made %d GetSecretValue calls", n)
		}
		if n := az.Stats().SecretGets - beforeAz; n != 0 {
			t.Errorf("20 cached resolutions made %d Key Vault GETs", n)
		}
		a := get(t, srv.unix, "POST", "http://l/v1/invalidate", `{"store":"aws","secret":"prod/db"}`)
		if a.status != 200 || strings.Contains(a.body, `"dropped":0`) {
			t.Fatalf("invalidate: %d %s", a.status, a.body)
		}
		checkResolved("after invalidate", get(t, srv.unix, "POST", "http://l/v1/resolve", wf))
		if n := aw.Count("GetSecretValue") - before; n != 2 {
			t.Errorf("after invalidating prod/db: %d GetSecretValue calls, want 2 (AWSCURRENT and AWSPREVIOUS)", n)
		}
	})

	t.Run("one secret per store type", func(t *testing.T) {
		for ref, want := range map[string]string{
			"secret://env/DEMO_API_TOKEN": plantedToken, "secret:///prod/db#password": awsPW,
			"secret://kv/db#password": azurePW, "secret://gcp/db#password": gcpPW, "secret://custom/db#password": wasmPW,
		} {
			a := get(t, srv.unix, "GET", "http://l/v1/secret?ref="+url.QueryEscape(ref), "")
			var out struct{ Value string }
			if a.status != 200 || json.Unmarshal([]byte(a.body), &out) != nil || out.Value != want {
				t.Errorf("%s: %d %s", ref, a.status, a.body)
			}
		}
		if a := get(t, srv.unix, "GET", "http://l/v1/secret?ref="+url.QueryEscape("secret://kv/nope"), ""); a.status != 404 {
			t.Errorf("azure not found: %d %s", a.status, a.body)
		}
	})

	t.Run("check", func(t *testing.T) {
		a := get(t, srv.unix, "POST", "http://l/v1/check", wf+"  missing: secret://gcp/nope\n")
		if a.status != 200 || strings.Count(a.body, `"status":"ok"`) != 7 || !strings.Contains(a.body, `"status":"failed"`) {
			t.Fatalf("check: %d %s", a.status, a.body)
		}
		noLeak(t, "check", a.body, storeValues...)
	})

	t.Run("secrets manager agent endpoint with the AWS SDK", func(t *testing.T) {
		sm := secretsmanager.New(secretsmanager.Options{
			Region:       "eu-west-1",
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-used-by-the-agent", ""),
			HTTPClient:   smAgentClient{base: tcpBase, token: serveToken, hc: tcp},
			BaseEndpoint: aws.String(tcpBase),
		})
		ctx := context.Background()
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.SecretString) != `{"username":"etl","password":"`+awsPW+`"}` || aws.ToString(out.Name) != "prod/db" ||
			out.CreatedDate == nil || time.Since(*out.CreatedDate) > time.Hour || len(out.VersionStages) != 1 || out.VersionStages[0] != "AWSCURRENT" ||
			aws.ToString(out.ARN) == "" || aws.ToString(out.VersionId) != curID {
			t.Errorf("GetSecretValue through the agent endpoint (want VersionId %s, the store's answer): %+v", curID, out)
		}
		prev, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(aw.ARN("prod/db")), VersionStage: aws.String("AWSPREVIOUS")})
		if err != nil || !strings.Contains(aws.ToString(prev.SecretString), awsOld) || prev.VersionStages[0] != "AWSPREVIOUS" || aws.ToString(prev.ARN) != aw.ARN("prod/db") || aws.ToString(prev.VersionId) != oldID {
			t.Errorf("AWSPREVIOUS by ARN: %v %+v", err, prev)
		}
		bin, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/bin")})
		if err != nil || !bytes.Equal(bin.SecretBinary, []byte(awsBinary)) || bin.SecretString != nil {
			t.Errorf("binary secret: %v %+v", err, bin)
		}
		// What GetSecretValue itself answers, spelling by spelling: the
		// secret's name and full ARN, the version's stages and creation
		// date, a blob as SecretBinary — from the store's answer or the
		// cache's copy of it (each spelling is asked twice).
		created := func(id string) float64 { return float64(aw.Created("prod/db", id).UnixMilli()) / 1000 }
		fullARN := aw.ARN("prod/db")
		partialARN := fullARN[:len(fullARN)-7]
		for _, tc := range []struct {
			name    string
			in      secretsmanager.GetSecretValueInput
			version string
			stages  []string
			value   string
		}{
			{"by name", secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db")}, curID, []string{"AWSCURRENT"}, awsPW},
			{"by full ARN", secretsmanager.GetSecretValueInput{SecretId: aws.String(fullARN)}, curID, []string{"AWSCURRENT"}, awsPW},
			{"by partial ARN", secretsmanager.GetSecretValueInput{SecretId: aws.String(partialARN)}, curID, []string{"AWSCURRENT"}, awsPW},
			{"by versionId", secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionId: aws.String(oldID)}, oldID, []string{"AWSPREVIOUS"}, awsOld},
			{"by ARN and versionId", secretsmanager.GetSecretValueInput{SecretId: aws.String(fullARN), VersionId: aws.String(curID)}, curID, []string{"AWSCURRENT"}, awsPW},
			{"by stage", secretsmanager.GetSecretValueInput{SecretId: aws.String(partialARN), VersionStage: aws.String("AWSPREVIOUS")}, oldID, []string{"AWSPREVIOUS"}, awsOld},
		} {
			for round := 0; round < 2; round++ {
				calls := aw.Count("GetSecretValue")
				out, err := sm.GetSecretValue(ctx, &tc.in)
				if err != nil {
					t.Fatalf("%s (round %d): %v", tc.name, round, err)
				}
				if n := aw.Count("GetSecretValue") - calls; round == 1 && n != 0 {
					t.Errorf("%s: the repeat made %d GetSecretValue call(s); it must come from the cache", tc.name, n)
				}
				if aws.ToString(out.Name) != "prod/db" || aws.ToString(out.ARN) != fullARN || aws.ToString(out.VersionId) != tc.version ||
					!slices.Equal(out.VersionStages, tc.stages) || !strings.Contains(aws.ToString(out.SecretString), tc.value) ||
					out.CreatedDate == nil || float64(out.CreatedDate.UnixMilli())/1000 != created(tc.version) {
					t.Errorf("%s (round %d): Name %q ARN %q VersionId %q VersionStages %q CreatedDate %v; want prod/db, %s, %s, %q, %v",
						tc.name, round, aws.ToString(out.Name), aws.ToString(out.ARN), aws.ToString(out.VersionId), out.VersionStages, out.CreatedDate,
						fullARN, tc.version, tc.stages, aw.Created("prod/db", tc.version))
				}
			}
		}
		tb, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/textbin")})
		if err != nil || string(tb.SecretBinary) != "binary that is valid UTF-8" || tb.SecretString != nil || aws.ToString(tb.VersionId) != textBinID {
			t.Errorf("a binary secret that is valid UTF-8 must stay SecretBinary: %v %+v", err, tb)
		}
		_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/nope")})
		var nf *smtypes.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("missing secret: want ResourceNotFoundException, got %v", err)
		}
		// A plain HTTP client, as the agent's users write them.
		a := get(t, tcp, "GET", tcpBase+"/secretsmanager/get?secretId=prod%2Fdb&refreshNow=true", "", "X-Aws-Parameters-Secrets-Token", serveToken)
		var plain map[string]any
		if a.status != 200 || json.Unmarshal([]byte(a.body), &plain) != nil {
			t.Fatalf("plain GET: %d %s", a.status, a.body)
		}
		for _, k := range []string{"ARN", "Name", "SecretString", "VersionStages", "CreatedDate"} {
			if _, ok := plain[k]; !ok {
				t.Errorf("answer lacks %s: %s", k, a.body)
			}
		}
		if a := get(t, tcp, "GET", tcpBase+"/secretsmanager/get?secretId=prod%2Fdb", ""); a.status != 401 {
			t.Errorf("without the token: %d", a.status)
		}
		if a := get(t, tcp, "GET", tcpBase+"/ping", ""); a.status != 200 || a.body != "healthy" {
			t.Errorf("/ping: %d %q", a.status, a.body)
		}
	})

	t.Run("refusals and bad input", func(t *testing.T) {
		tests := []struct {
			name   string
			c      *http.Client
			method string
			url    string
			body   string
			hdr    []string
			status int
		}{
			{"tcp without token", tcp, "POST", tcpBase + "/v1/resolve", wf, nil, 401},
			{"tcp wrong token", tcp, "POST", tcpBase + "/v1/resolve", wf, []string{"X-Latchkey-Token", serveToken + "0"}, 401},
			{"tcp forwarded", tcp, "GET", tcpBase + "/healthz", "", []string{"X-Latchkey-Token", serveToken, "X-Forwarded-For", "203.0.113.9"}, 400},
			{"unix forwarded", srv.unix, "GET", "http://l/healthz", "", []string{"X-Forwarded-For", "203.0.113.9"}, 400},
			{"unknown endpoint", srv.unix, "GET", "http://l/v1/nothing", "", nil, 404},
			{"wrong method", srv.unix, "DELETE", "http://l/v1/secret", "", nil, 405},
			{"malformed yaml", srv.unix, "POST", "http://l/v1/resolve?name=wf.yaml", "fields: {a: [", nil, 400},
			{"malformed json", srv.unix, "POST", "http://l/v1/resolve", `{"fields":`, []string{"Content-Type", "application/json"}, 400},
			{"not a workflow", srv.unix, "POST", "http://l/v1/resolve", "\x00\x01\x02", nil, 400},
			{"oversized", srv.unix, "POST", "http://l/v1/resolve", "fields:\n  a: " + strings.Repeat("a", 70<<10) + "\n", nil, 413},
			{"invalidate garbage", srv.unix, "POST", "http://l/v1/invalidate", "{{", nil, 400},
			{"sm agent without secretId", srv.unix, "GET", "http://l/secretsmanager/get", "", nil, 400},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				a := get(t, tc.c, tc.method, tc.url, tc.body, tc.hdr...)
				if a.status != tc.status {
					t.Fatalf("status %d, want %d: %s", a.status, tc.status, a.body)
				}
				var eb struct {
					Error struct{ Code, Message string }
					Type  string `json:"__type"` // the SM Agent's endpoint answers as AWS does
				}
				if json.Unmarshal([]byte(a.body), &eb) != nil || (eb.Error.Message == "" && eb.Type == "") {
					t.Errorf("not a JSON error: %s", a.body)
				}
				noLeak(t, "error answer", a.body, append(storeValues, serveToken)...)
			})
		}
	})

	t.Run("slow client", func(t *testing.T) {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST /v1/resolve HTTP/1.1\r\nHost: l\r\nContent-Len")
		checkResolved("while a client stalls", get(t, srv.unix, "POST", "http://l/v1/resolve", wf))
		start := time.Now()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = io.ReadAll(c)
		if took := time.Since(start); err != nil || took > 5*time.Second {
			t.Fatalf("a stalled client was not cut off: %v after %v", err, took)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		a := get(t, tcp, "GET", tcpBase+"/metrics", "", "X-Latchkey-Token", serveToken)
		for _, want := range []string{`latchkey_fetches_total{cache="miss",outcome="ok",store="kv",type="azure"}`,
			`latchkey_cache_hits_total{store="aws"}`, `latchkey_wasm_instances_calls_total{store="custom"}`,
			`latchkey_http_requests_total{code="401",endpoint="resolve"}`, `latchkey_upstream_calls_total{outcome="ok",store="gcp",type="gcp"}`} {
			if !strings.Contains(a.body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		noLeak(t, "/metrics", a.body, append(storeValues, "prod/db", "prod/bin", "DEMO_DB", serveToken)...)
	})

	t.Run("reload keeps unchanged stores warm", func(t *testing.T) {
		metric := func(name string) string {
			for _, l := range strings.Split(get(t, srv.unix, "GET", "http://l/metrics", "").body, "\n") {
				if strings.HasPrefix(l, name+" ") {
					return strings.TrimPrefix(l, name+" ")
				}
			}
			return ""
		}
		checkResolved("before reload", get(t, srv.unix, "POST", "http://l/v1/resolve", wf))
		created := metric(`latchkey_wasm_instances_created_total{store="custom"}`)
		awsCalls, azCalls, gcpCalls := aw.Count("GetSecretValue"), az.Stats().SecretGets, gc.Count("AccessSecretVersion")
		// Change the aws store only (max_attempts), and reload.
		cfg["stores"].(map[string]any)["aws"].(map[string]any)["max_attempts"] = 2
		raw, _ := json.MarshalIndent(cfg, "", "  ")
		writeFile(t, dir, "agent.json", string(raw))
		srv.signal(syscall.SIGHUP)
		line := srv.waitLog("reloaded the agent config")
		if !strings.Contains(line, "rebuilt=[aws]") || !strings.Contains(line, "custom") || !strings.Contains(line, "kv") {
			t.Fatalf("reload: %s", line)
		}
		checkResolved("after reload", get(t, srv.unix, "POST", "http://l/v1/resolve", wf))
		if n := aw.Count("GetSecretValue") - awsCalls; n != 2 {
			t.Errorf("the rebuilt aws store fetched %d times, want 2 (its cache was dropped)", n)
		}
		if az.Stats().SecretGets != azCalls || gc.Count("AccessSecretVersion") != gcpCalls {
			t.Errorf("unchanged stores fetched again after the reload: azure %d, gcp %d", az.Stats().SecretGets-azCalls, gc.Count("AccessSecretVersion")-gcpCalls)
		}
		if got := metric(`latchkey_wasm_instances_created_total{store="custom"}`); got != created || got == "" {
			t.Errorf("the wasm store's pool was rebuilt: %s instances created, %s before", got, created)
		}
	})

	// kill -9: nothing on disk holds a value, and a restart on the stale
	// socket serves again.
	srv.signal(syscall.SIGKILL)
	cacheDir, _ := wasmSettings["cache_dir"].(string) // the Wasm compilation cache
	for _, d := range []string{dir, home, tmp, cacheDir} {
		n := scanForValues(t, d, append(storeValues, awsBinary)...) // the token file holds the token, by design
		if (d == dir || d == cacheDir) && n == 0 {
			t.Errorf("%s held no file to scan: the scan looked in the wrong place", d)
		}
	}
	noLeak(t, "server log", srv.stderr.String(), append(storeValues, serveToken)...)
	srv = serve(t, agent, sock, env...)
	checkResolved("after kill -9 and restart", get(t, srv.unix, "POST", "http://l/v1/resolve", wf))
	srv.signal(syscall.SIGTERM)
	if srv.code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", srv.code, srv.stderr.String())
	}
	noLeak(t, "server log", srv.stderr.String(), append(storeValues, serveToken)...)
}

// scanForValues fails when any file under dir holds one of values, or when
// dir cannot be walked or read. It returns how many files it read, so a
// caller can tell an empty (or wrong) directory from a clean one.
func scanForValues(t *testing.T, dir string, values ...string) int {
	t.Helper()
	if dir == "" {
		t.Error("scanForValues: no directory given")
		return 0
	}
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		for _, v := range values {
			if v != "" && bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds a planted value", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("scanning %s for planted values: %v", dir, err)
	}
	return files
}
