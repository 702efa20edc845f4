package aws

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/latchkey/latchkey/internal/lazy"
	"github.com/latchkey/latchkey/secret"
)

var (
	// randomSuffixRE is the "-" and six characters Secrets Manager appends to
	// a secret's name in its ARN.
	randomSuffixRE  = lazy.Regexp(`-[A-Za-z0-9]{6}$`)
	namePatternRE   = lazy.Regexp(`^[A-Za-z0-9/_+=.@*?-]{1,512}$`)
	arnFieldPattern = lazy.Regexp(`^[A-Za-z0-9*?-]*$`)
)

// account returns the store's own account when its settings name it (the
// role it assumes), else "".
func (s *Store) account() string {
	if s.opts.AuthMethod == AuthAssumeRole {
		if a, err := arn.Parse(s.opts.RoleARN); err == nil {
			return a.AccountID
		}
	}
	return ""
}

// scope is where a secret lives for the store's secrets rule.
func scope(partition, region, account string) string {
	return partition + ":" + region + ":" + account
}

// naming is the store's [secret.Naming], for its secrets rules.
func (s *Store) naming() secret.Naming {
	return secret.Naming{Subject: s.policySubject, Pattern: s.policyPattern}
}

// policySubject reads a request for a secrets rule. A name is in the store's
// own scope; an ARN is reduced to its secret name (a full ARN's random
// suffix dropped) in the ARN's partition, region and account, which is the
// store's own only when the store knows its account (assume_role) and the
// ARN names it. An ARN whose name merely looks suffixed is matched by deny
// patterns under both readings.
func (s *Store) policySubject(req secret.Request) (secret.Subject, error) {
	t, err := parseTarget(req.Name, req.Version)
	if err != nil {
		return secret.Subject{}, err
	}
	sub := secret.Subject{Version: "AWSCURRENT"}
	switch {
	case t.id != "":
		sub.Version = t.id
	case t.stage != "":
		sub.Version = t.stage
	}
	if t.region == "" {
		sub.Name, sub.Own = req.Name, true
		sub.Scope = scope(partitionOf(s.region), s.region, s.account())
		return sub, nil
	}
	a, _ := arn.Parse(req.Name) // parseTarget checked it
	name := strings.TrimPrefix(a.Resource, "secret:")
	sub.Name = name
	if randomSuffixRE().MatchString(name) {
		sub.Name = name[:len(name)-7]
		sub.Aliases = []string{name}
	}
	sub.Scope = scope(a.Partition, a.Region, a.AccountID)
	own := s.account()
	sub.Own = own != "" && a.AccountID == own && a.Region == s.region
	return sub, nil
}

// policyPattern reads a secrets rule's pattern: a secret name pattern
// ("prod/*") or an ARN pattern
// (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, any field a glob, a
// literal random suffix dropped). Versions are stages or version IDs, with
// or without the stage:/id: prefixes; "current" is AWSCURRENT.
func (s *Store) policyPattern(e secret.Pattern) (secret.Pattern, error) {
	p := secret.Pattern{}
	for _, v := range e.Versions {
		switch {
		case v == secret.Current:
			v = "AWSCURRENT"
		case strings.HasPrefix(v, StagePrefix):
			v = v[len(StagePrefix):]
		case strings.HasPrefix(v, VersionIDPrefix):
			v = v[len(VersionIDPrefix):]
		}
		p.Versions = append(p.Versions, v)
	}
	if !strings.HasPrefix(e.Name, "arn:") {
		if !namePatternRE().MatchString(e.Name) {
			return p, fmt.Errorf("a secret name pattern holds only letters, digits, /_+=.@- and the wildcards * and ? (or write an ARN pattern)")
		}
		p.Name = e.Name
		return p, nil
	}
	f := strings.SplitN(e.Name, ":", 7)
	if len(f) != 7 || f[2] != "secretsmanager" || f[5] != "secret" || f[6] == "" {
		return p, fmt.Errorf("an ARN pattern reads arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME")
	}
	for _, x := range f[1:5] {
		if x == "" || !arnFieldPattern().MatchString(x) {
			return p, fmt.Errorf("the ARN's partition, region and account must each be given (write * for any)")
		}
	}
	name := f[6]
	if !namePatternRE().MatchString(name) {
		return p, fmt.Errorf("the ARN's secret name holds only letters, digits, /_+=.@- and the wildcards * and ?")
	}
	if randomSuffixRE().MatchString(name) {
		name = name[:len(name)-7]
	}
	p.Scope = scope(f[1], f[3], f[4])
	p.Name = name
	return p, nil
}

// partitionOf returns the ARN partition of a region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
