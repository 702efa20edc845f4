package secret

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestStoreError pins the one shape of a store's failure: its message,
// which sentinels and causes errors.Is sees through it (both Kind and Err,
// and nothing when neither is set), and that errors.As finds it however
// deeply it is wrapped.
func TestStoreError(t *testing.T) {
	cause := errors.New("HTTP 503 ServiceUnavailable: busy")
	tests := []struct {
		name    string
		err     *StoreError
		msg     string
		is      []error // errors.Is must answer true
		isNot   []error // and false
		unwraps int
	}{
		{
			name:    "kind and cause",
			err:     &StoreError{Type: "azure", Store: "kv", Secret: "db", Kind: ErrUnavailable, Err: cause, Msg: "vault https://v unavailable: " + cause.Error()},
			msg:     `azure store "kv": vault https://v unavailable: HTTP 503 ServiceUnavailable: busy`,
			is:      []error{ErrUnavailable, cause},
			isNot:   []error{ErrNotFound, ErrPermissionDenied},
			unwraps: 2,
		},
		{
			name:    "kind only",
			err:     &StoreError{Type: "aws", Store: "s\"m", Secret: "x", Kind: ErrNotFound, Msg: `secret "x" (stage AWSCURRENT) not found in region us-east-1: gone`},
			msg:     `aws store "s\"m": secret "x" (stage AWSCURRENT) not found in region us-east-1: gone`,
			is:      []error{ErrNotFound},
			isNot:   []error{ErrUnavailable, cause},
			unwraps: 1,
		},
		{
			name:    "deadline without a kind",
			err:     &StoreError{Type: "aws", Store: "sm", Err: context.DeadlineExceeded, Msg: "the deadline passed"},
			msg:     `aws store "sm": the deadline passed`,
			is:      []error{context.DeadlineExceeded},
			isNot:   []error{ErrUnavailable, ErrNotFound, ErrPermissionDenied, ErrInvalidConfig, ErrNotAllowed},
			unwraps: 1,
		},
		{
			name:    "no type: the message alone",
			err:     &StoreError{Kind: ErrPermissionDenied, Msg: "AccessDenied"},
			msg:     "AccessDenied",
			is:      []error{ErrPermissionDenied},
			unwraps: 1,
		},
		{
			name:  "neither kind nor cause",
			err:   &StoreError{Type: "gcp", Store: "g", Msg: "odd"},
			msg:   `gcp store "g": odd`,
			isNot: []error{ErrUnavailable, ErrNotFound},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.msg {
				t.Errorf("Error() = %q, want %q", got, tc.msg)
			}
			if n := len(tc.err.Unwrap()); n != tc.unwraps {
				t.Errorf("Unwrap() has %d errors, want %d (no nil among them)", n, tc.unwraps)
			}
			for _, u := range tc.err.Unwrap() {
				if u == nil {
					t.Error("Unwrap() returned a nil error")
				}
			}
			wrapped := fmt.Errorf("resolve field %q: %w", "password", tc.err)
			for _, target := range tc.is {
				if !errors.Is(wrapped, target) {
					t.Errorf("errors.Is(err, %v) = false", target)
				}
			}
			for _, target := range tc.isNot {
				if errors.Is(wrapped, target) {
					t.Errorf("errors.Is(err, %v) = true", target)
				}
			}
			var se *StoreError
			if !errors.As(wrapped, &se) || se != tc.err {
				t.Errorf("errors.As did not find the StoreError through a wrapper")
			}
		})
	}
}

func TestStoreErrorRetryAfter(t *testing.T) {
	e := &StoreError{Type: "azure", Store: "kv", Kind: ErrUnavailable, Wait: 3 * time.Second}
	if e.RetryAfter() != 3*time.Second {
		t.Errorf("RetryAfter() = %v, want 3s", e.RetryAfter())
	}
	if (&StoreError{}).RetryAfter() != 0 {
		t.Error("a StoreError without Wait asks for a wait")
	}
}

func ExampleStoreError() {
	var err error = &StoreError{
		Type: "gcp", Store: "gsm", Secret: "projects/p/secrets/db/versions/latest",
		Kind: ErrPermissionDenied, Principal: "reader@p.iam.gserviceaccount.com",
		Msg: `secret "projects/p/secrets/db/versions/latest": permission denied to reader@p.iam.gserviceaccount.com`,
	}
	err = fmt.Errorf("field password: %w", err)

	var se *StoreError
	if errors.Is(err, ErrPermissionDenied) && errors.As(err, &se) {
		fmt.Println("refused:", se.Principal)
	}
	fmt.Println(err)
	// Output:
	// refused: reader@p.iam.gserviceaccount.com
	// field password: gcp store "gsm": secret "projects/p/secrets/db/versions/latest": permission denied to reader@p.iam.gserviceaccount.com
}
