package gcp

import (
	"context"
	"fmt"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"

	"github.com/latchkey/latchkey/secret"
)

// CurrentVersion reports the resource name of the version req resolves to
// ("projects/NUMBER/secrets/db/versions/7"), without its payload: one
// GetSecretVersion on the version the request names ("latest" when it
// names none, or an alias), which the service answers with the number the
// alias stands for. A request pinned to a version number costs the same
// call: it checks that the version still exists.
//
// GetSecretVersion needs secretmanager.versions.get (roles/secretmanager.viewer),
// which roles/secretmanager.secretAccessor does not grant; without it the
// error wraps [secret.ErrPermissionDenied] and a caller falls back to
// fetching. A disabled or destroyed version is reported as
// a [*secret.StoreError] of Kind [secret.ErrNotFound], as a fetch of it would be.
func (s *Store) CurrentVersion(ctx context.Context, req secret.Request) (secret.FetchInfo, error) {
	var info secret.FetchInfo
	if err := ctx.Err(); err != nil {
		return info, fmt.Errorf("gcp store %q: secret %q: %w", s.name, req.Name, err)
	}
	n, err := s.versionName(ctx, req)
	if err != nil {
		return info, err
	}
	var v *secretmanagerpb.SecretVersion
	attempts, err := s.call(ctx, n.String(), func(ctx context.Context) (err error) {
		v, err = s.client.GetSecretVersion(ctx, &secretmanagerpb.GetSecretVersionRequest{Name: n.String()})
		return err
	})
	info.Upstream = attempts
	if err != nil {
		return info, s.classify(ctx, n, true, attempts, err)
	}
	switch v.GetState() {
	case secretmanagerpb.SecretVersion_DISABLED, secretmanagerpb.SecretVersion_DESTROYED:
		return info, disabledVersion(s.name, v.GetName(), fmt.Errorf("the version is %s", v.GetState()))
	}
	name := v.GetName()
	if name == "" {
		name = n.String()
	}
	info.SetVersion(name)
	return info, nil
}

var _ secret.Versioner = (*Store)(nil)
