package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/latchkey/latchkey/resolver"
	"github.com/latchkey/latchkey/secret"
)

// metrics are the server's Prometheus collectors. Label values are
// endpoint names, status codes, store names and types from the agent
// config, error kinds and cache statuses: never a secret's name or value.
// It is the server's [resolver.Observer].
type metrics struct {
	reg         *prometheus.Registry
	handler     http.Handler
	requests    *prometheus.CounterVec
	reqDuration *prometheus.HistogramVec
	inflight    prometheus.Gauge
	fetches     *prometheus.CounterVec
	upstream    *prometheus.CounterVec
	fetchDur    *prometheus.HistogramVec
	resolutions *prometheus.CounterVec
	resDuration *prometheus.HistogramVec
	reloads     *prometheus.CounterVec
	ready       prometheus.Gauge
}

// latency buckets from 50µs (a cached answer) to 30s (a resolution's
// default deadline).
var buckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "latchkey_http_requests_total",
		Help: "API requests by endpoint and HTTP status."}, []string{"endpoint", "code"})
	m.reqDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "latchkey_http_request_duration_seconds",
		Help: "Time to answer an API request, by endpoint.", Buckets: buckets}, []string{"endpoint"})
	m.inflight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "latchkey_http_requests_in_flight",
		Help: "API requests being answered."})
	m.fetches = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "latchkey_fetches_total",
		Help: "Secret fetches by store, store type, outcome (ok or an error kind) and cache status."},
		[]string{"store", "type", "outcome", "cache"})
	m.upstream = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "latchkey_upstream_calls_total",
		Help: "Calls to the backing service by store, type and fetch outcome: as the store counts them (retries included), else one per fetch that reached the store."},
		[]string{"store", "type", "outcome"})
	m.fetchDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "latchkey_fetch_duration_seconds",
		Help: "Time to fetch one secret, by store.", Buckets: buckets}, []string{"store"})
	m.resolutions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "latchkey_resolutions_total",
		Help: "Workflow resolutions by operation (resolve or check) and outcome (ok or an error kind)."},
		[]string{"operation", "outcome"})
	m.resDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "latchkey_resolution_duration_seconds",
		Help: "Time to resolve a workflow, by operation.", Buckets: buckets}, []string{"operation"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "latchkey_config_reloads_total",
		Help: "Config reloads (SIGHUP) by outcome."}, []string{"outcome"})
	m.ready = prometheus.NewGauge(prometheus.GaugeOpts{Name: "latchkey_ready",
		Help: "1 once every store is built and the API serves."})
	m.reg.MustRegister(m.requests, m.reqDuration, m.inflight, m.fetches, m.upstream, m.fetchDur,
		m.resolutions, m.resDuration, m.reloads, m.ready,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) observeRequest(endpoint string, status int, took time.Duration) {
	if status == 0 {
		status = http.StatusOK
	}
	m.requests.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
	m.reqDuration.WithLabelValues(endpoint).Observe(took.Seconds())
}

func outcome(kind string) string {
	if kind == "" {
		return "ok"
	}
	return kind
}

// Fetched implements [resolver.Observer].
func (m *metrics) Fetched(ctx context.Context, ev resolver.FetchEvent) {
	cache, upstream := "none", 0
	if n := ev.Info; n != nil {
		if n.Cache != "" {
			cache = string(n.Cache)
		}
		upstream = n.Upstream
		if upstream == 0 && reachedStore(n.Cache) {
			upstream = 1 // the store counts none of its own
		}
	}
	o := outcome(ev.Kind)
	m.fetches.WithLabelValues(ev.Store, ev.StoreType, o, cache).Inc()
	if upstream > 0 {
		m.upstream.WithLabelValues(ev.Store, ev.StoreType, o).Add(float64(upstream))
	}
	m.fetchDur.WithLabelValues(ev.Store).Observe(ev.Took.Seconds())
}

// reachedStore says whether a fetch with this cache status asked the store.
func reachedStore(c secret.CacheStatus) bool {
	switch c {
	case secret.CacheNone, secret.CacheMiss, secret.CacheRefresh, secret.CacheStale:
		return true
	}
	return false
}

// Resolved implements [resolver.Observer]; it never fails a resolution.
func (m *metrics) Resolved(_ context.Context, ev resolver.ResolutionEvent) error {
	op := "resolve"
	if ev.Check {
		op = "check"
	}
	m.resolutions.WithLabelValues(op, outcome(ev.Kind)).Inc()
	m.resDuration.WithLabelValues(op).Observe(ev.Took.Seconds())
	return nil
}
