package ssmtest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/latchkey/latchkey/examples/stores/ssmtest"
	"github.com/latchkey/latchkey/secret"
)

// BenchmarkSigV4 compares, against the same loopback Parameter Store in
// one run, a GetParameter through the Rust module whose request the host
// signs (sandbox, host functions, redaction and signing included) with
// the same request made and signed natively by the AWS SDK's SSM client.
func BenchmarkSigV4(b *testing.B) {
	srv := ssmtest.Start(b, ssmtest.Options{Parameters: params()})
	srv.SetEnv(b)
	st := newStore(b, srv.Settings(b, ssmtest.BuildModule(b)), nil)
	client := ssm.New(ssm.Options{Region: srv.Region(), BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(ssmtest.DefaultAccessKeyID, ssmtest.DefaultSecretAccessKey, ssmtest.DefaultSessionToken)})
	ctx := context.Background()
	b.Run("wasm-host-signed", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Get(ctx, secret.Request{Name: "/app/db/password"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("native-sdk", func(b *testing.B) {
		for b.Loop() {
			if _, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/password"), WithDecryption: aws.Bool(true)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
