package policy_test

import (
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/secret"
)

// A store's Naming (part of its secret.Description) tells a rule how the
// store spells a secret: here names are case-insensitive, so "App/DB" is
// the secret "app/*" covers. Without a Naming, names match as written.
func ExampleCompile() {
	folding := &secret.Naming{
		Subject: func(req secret.Request) (secret.Subject, error) {
			v := req.Version
			if v == "" {
				v = secret.Current
			}
			return secret.Subject{Name: strings.ToLower(req.Name), Own: true, Version: v}, nil
		},
		Pattern: func(p secret.Pattern) (secret.Pattern, error) {
			p.Name = strings.ToLower(p.Name)
			return p, nil
		},
	}
	spec := policy.Spec{Origin: "stores.kv.secrets", Allow: []policy.Entry{{Name: "app/*"}}}
	for _, n := range []*secret.Naming{folding, nil} {
		rule, err := policy.Compile(spec, "kv", n)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rule.Check(secret.Request{Name: "App/DB"}) == nil)
	}
	// Output:
	// true
	// false
}
