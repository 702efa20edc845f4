// Package observer connects an [audit.Log] to a resolver: it implements
// resolver.Observer, turning each fetch and resolution event into one
// audit record. It lives beside package audit so that audit itself imports
// nothing but package secret.
package observer

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey/audit"
	"github.com/latchkey/latchkey/policy"
	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// Observer writes an audit record for every event. It is safe for
// concurrent use.
type Observer struct {
	log *audit.Log
}

// New returns an Observer writing to log.
func New(log *audit.Log) *Observer { return &Observer{log: log} }

// Fetched records one fetch. A failed write is reported by the log, and
// fails the resolution in Resolved when the log is required.
func (o *Observer) Fetched(ctx context.Context, ev resolver.FetchEvent) {
	rec := audit.Record{Event: audit.EventFetch, Time: ev.Start.Add(ev.Took), Request: audit.RequestFrom(ctx),
		Caller: audit.CallerOf(ev.Caller), Workflow: ev.Workflow,
		Store: ev.Store, StoreType: ev.StoreType, Secret: ev.Request.Name, SecretVersion: ev.Request.Version,
		Fields: ev.Fields, Keys: ev.Keys, Outcome: audit.OutcomeOK, ErrorKind: ev.Kind, DurationMS: audit.Millis(ev.Took),
		Cache: "none"}
	if ev.Err != nil {
		rec.Outcome = audit.OutcomeError
	}
	if n := ev.Info; n != nil {
		if n.Cache != secret.CacheNone {
			rec.Cache = string(n.Cache)
		}
		up := n.Upstream
		rec.Upstream = &up
		rec.AnsweredVersion = n.Version()
		for _, ob := range n.Outbound {
			rec.Outbound = append(rec.Outbound, audit.OutboundOf(ob))
		}
	}
	_ = o.log.Write(rec)
}

// Resolved records one resolution. When the log is required and this
// record, or any record written since the resolution started, could not be
// written, it returns an error that fails the resolution.
func (o *Observer) Resolved(ctx context.Context, ev resolver.ResolutionEvent) error {
	rec := audit.Record{Event: audit.EventResolution, Time: ev.Start.Add(ev.Took), Request: audit.RequestFrom(ctx),
		Caller: audit.CallerOf(ev.Caller), Workflow: ev.Workflow, Check: ev.Check,
		FieldCount: ev.Fields, Failed: ev.Failed, Outcome: audit.OutcomeOK, ErrorKind: ev.Kind, DurationMS: audit.Millis(ev.Took)}
	if ev.Err != nil {
		rec.Outcome = audit.OutcomeError
	}
	rec.Refused = refusals(ev.Err)
	err := o.log.Write(rec)
	if !o.log.Required() {
		return nil
	}
	if err == nil && o.log.FailedSince(ev.Start) {
		err = errors.New("an audit record of this resolution could not be written")
	}
	if err != nil {
		return fmt.Errorf("audit log is required and failed, so the resolution is refused: %w: %w", err, secret.ErrUnavailable)
	}
	return nil
}

// refusals lists the policy refusals err holds, however deeply joined.
func refusals(err error) []audit.Refused {
	var out []audit.Refused
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case nil:
			return
		case *policy.Refusal:
			r := audit.Refused{Field: x.Field, Store: x.Store, Secret: x.Secret, Version: x.Version, Rule: x.Origin}
			if x.Deny != nil {
				r.Pattern = x.Deny.Name
			}
			out = append(out, r)
		case interface{ Unwrap() []error }:
			for _, c := range x.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}

var _ resolver.Observer = (*Observer)(nil)
