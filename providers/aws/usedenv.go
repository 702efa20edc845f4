package aws

// sdkCredentialEnv are the variables through which the SDK's default chain
// (and assume_role on top of it) takes credentials.
var sdkCredentialEnv = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
}

// usedEnv is the store's [secret.Description.UsedEnv]: the credential
// variables of the SDK's default chain, and those the access_keys settings
// name.
func (s *Store) usedEnv() []string {
	out := append([]string(nil), sdkCredentialEnv...)
	for _, v := range []string{s.opts.AccessKeyIDEnv, s.opts.SecretAccessKeyEnv, s.opts.SessionTokenEnv} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
