package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/tributary-go/tributary/cursor"
	"github.com/tributary-go/tributary/serde"
)

// ForwardedHeader marks a query one instance forwarded to another, which then answers from
// its own tasks only (no second hop).
const ForwardedHeader = "X-Tributary-Forwarded"

// QueryHandler is an optional net/http handler for interactive queries over the stores
// registered with [Serve]. Routes (all GET, answers in JSON):
//
//	/stores/{store}/keys/{key}        {"key": …, "value": …}; 404 when absent
//	/stores/{store}/range?from=&to=   [{"key": …, "value": …}, …] (bounds optional, inclusive)
//	/stores/{store}/all               every entry
//	/stores/{store}/sessions/{key}?from=&to=   the key's sessions ending at or after from and
//	                                  starting at or before to (FindSessions), each
//	                                  {"key", "start", "end", "value"}
//	/stores/{store}/windows/{key}?from=&to=    the key's windows starting in [from, to]
//	/stores/{store}/windows?from=&to=          every window starting in [from, to]
//	/metadata                         AllMetadata
//
// A key lookup for a key whose task runs on another instance is forwarded to that instance's
// application.server endpoint. A single-key route with stale=true may be answered from a
// standby replica (Kafka's enableStaleStores, KIP-535): here if this instance holds one, else
// by the active host or, when there is none, a standby host. A range or all query gathers the entries of every instance
// (add local=true for this instance's only) and returns them sorted by serialized key.
type QueryHandler struct {
	d      *Driver
	mux    *http.ServeMux
	client *http.Client

	mu     sync.RWMutex
	stores map[string]storeRoute
}

// storeRoute is a registered store; each kind implements the routes it serves.
type storeRoute interface {
	kind() string
}

type keyValueRoute interface {
	get(w http.ResponseWriter, r *http.Request, key string)
	scan(w http.ResponseWriter, r *http.Request, from, to *string)
}

type sessionRoute interface {
	sessions(w http.ResponseWriter, r *http.Request, key string, from, to int64)
}

type windowRoute interface {
	windows(w http.ResponseWriter, r *http.Request, key *string, from, to int64)
}

// asRoute returns the route of the request's store as an R, answering 404 when the store is
// not served or is of another kind.
func asRoute[R any](h *QueryHandler, w http.ResponseWriter, r *http.Request, want string) (R, bool) {
	var zero R
	rt := h.route(w, r)
	if rt == nil {
		return zero, false
	}
	typed, ok := rt.(R)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("store %q is a %s store, not a %s store", r.PathValue("store"), rt.kind(), want))
		return zero, false
	}
	return typed, true
}

// timeBounds parses the optional from and to query parameters (ms), open when absent.
func timeBounds(w http.ResponseWriter, r *http.Request) (from, to int64, ok bool) {
	from, to = math.MinInt64, math.MaxInt64
	q := r.URL.Query()
	for _, b := range []struct {
		name string
		dst  *int64
	}{{"from", &from}, {"to", &to}} {
		if !q.Has(b.name) {
			continue
		}
		v, err := strconv.ParseInt(q.Get(b.name), 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("%s=%q: not a timestamp in ms", b.name, q.Get(b.name)))
			return 0, 0, false
		}
		*b.dst = v
	}
	return from, to, true
}

// NewQueryHandler returns a handler for d's stores; register each store with [Serve].
func NewQueryHandler(d *Driver) *QueryHandler {
	h := &QueryHandler{d: d, mux: http.NewServeMux(), client: &http.Client{Timeout: 10 * time.Second}, stores: map[string]storeRoute{}}
	h.mux.HandleFunc("GET /stores/{store}/keys/{key}", func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := asRoute[keyValueRoute](h, w, r, "key-value"); ok {
			rt.get(w, r, r.PathValue("key"))
		}
	})
	h.mux.HandleFunc("GET /stores/{store}/sessions/{key}", func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := asRoute[sessionRoute](h, w, r, "session"); ok {
			if from, to, ok := timeBounds(w, r); ok {
				rt.sessions(w, r, r.PathValue("key"), from, to)
			}
		}
	})
	h.mux.HandleFunc("GET /stores/{store}/windows/{key}", func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := asRoute[windowRoute](h, w, r, "window"); ok {
			if from, to, ok := timeBounds(w, r); ok {
				key := r.PathValue("key")
				rt.windows(w, r, &key, from, to)
			}
		}
	})
	h.mux.HandleFunc("GET /stores/{store}/windows", func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := asRoute[windowRoute](h, w, r, "window"); ok {
			if from, to, ok := timeBounds(w, r); ok {
				rt.windows(w, r, nil, from, to)
			}
		}
	})
	h.mux.HandleFunc("GET /stores/{store}/range", func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := asRoute[keyValueRoute](h, w, r, "key-value"); ok {
			var from, to *string
			if q := r.URL.Query(); q.Has("from") {
				f := q.Get("from")
				from = &f
			}
			if q := r.URL.Query(); q.Has("to") {
				t := q.Get("to")
				to = &t
			}
			rt.scan(w, r, from, to)
		}
	})
	h.mux.HandleFunc("GET /stores/{store}/all", func(w http.ResponseWriter, r *http.Request) {
		if rt, ok := asRoute[keyValueRoute](h, w, r, "key-value"); ok {
			rt.scan(w, r, nil, nil)
		}
	})
	h.mux.HandleFunc("GET /metadata", func(w http.ResponseWriter, _ *http.Request) {
		type md struct {
			Host   string   `json:"host"`
			Stores []string `json:"stores"`
			Tasks  []string `json:"tasks"`
		}
		out := []md{}
		for _, m := range d.AllMetadata() {
			e := md{Host: m.Host.String(), Stores: m.StateStoreNames}
			for _, t := range m.Tasks {
				e.Tasks = append(e.Tasks, t.String())
			}
			out = append(out, e)
		}
		writeJSON(w, http.StatusOK, out)
	})
	return h
}

// ServeHTTP implements http.Handler.
func (h *QueryHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *QueryHandler) route(w http.ResponseWriter, r *http.Request) storeRoute {
	name := r.PathValue("store")
	h.mu.RLock()
	rt := h.stores[name]
	h.mu.RUnlock()
	if rt == nil {
		writeError(w, http.StatusNotFound, fmt.Errorf("store %q is not served", name))
	}
	return rt
}

// Serve registers the key-value store name with h: keys in URLs are parsed with parseKey,
// and keys and values are written as JSON (encoding/json). keys must be the store's key
// serde (it locates a key's partition and orders merged ranges).
func Serve[K, V any](h *QueryHandler, name string, keys serde.Serde[K], parseKey func(string) (K, error)) error {
	return h.register(name, &kvRoute[K, V]{routeBase[K]{h, name, keys, parseKey}})
}

// register adds the route of store name, which the topology must have.
func (h *QueryHandler) register(name string, rt storeRoute) error {
	if _, err := h.d.subOfStore(name); err != nil {
		return err
	}
	h.mu.Lock()
	h.stores[name] = rt
	h.mu.Unlock()
	return nil
}

// routeBase is what every store route has: the store, its key serde and the URL key parser.
type routeBase[K any] struct {
	h     *QueryHandler
	name  string
	keys  serde.Serde[K]
	parse func(string) (K, error)
}

type kvRoute[K, V any] struct{ routeBase[K] }

func (*kvRoute[K, V]) kind() string { return "key-value" }

// ServeSession registers the session store name with h (routes /stores/{name}/sessions/…),
// as Serve does for key-value stores.
func ServeSession[K, AGG any](h *QueryHandler, name string, keys serde.Serde[K], parseKey func(string) (K, error)) error {
	return h.register(name, &sessionStoreRoute[K, AGG]{routeBase[K]{h, name, keys, parseKey}})
}

type sessionStoreRoute[K, AGG any] struct{ routeBase[K] }

func (*sessionStoreRoute[K, AGG]) kind() string { return "session" }

// windowedEntry is a window or session and its value, as JSON.
type windowedEntry[K, V any] struct {
	Key   K     `json:"key"`
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	Value V     `json:"value"`
}

func (rt *sessionStoreRoute[K, AGG]) sessions(w http.ResponseWriter, r *http.Request, raw string, from, to int64) {
	k, err := rt.parse(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("key %q: %w", raw, err))
		return
	}
	if rt.h.forwardKey(w, r, rt.name, func() (KeyQueryMetadata, error) { return QueryMetadataForKey(rt.h.d, rt.name, k, rt.keys) }) {
		return
	}
	s, err := SessionStore[K, AGG](rt.h.d, rt.name, staleOpts(r)...)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	c, err := s.FindSessions(k, from, to)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	out := []windowedEntry[K, AGG]{}
	for wk, v := range cursor.All(c) {
		out = append(out, windowedEntry[K, AGG]{wk.Key, wk.Start, wk.End, v})
	}
	if err := c.Err(); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// ServeWindow registers the window store name with h (routes /stores/{name}/windows/{key}
// and /stores/{name}/windows), as Serve does for key-value stores.
func ServeWindow[K, V any](h *QueryHandler, name string, keys serde.Serde[K], parseKey func(string) (K, error)) error {
	return h.register(name, &windowStoreRoute[K, V]{routeBase[K]{h, name, keys, parseKey}})
}

type windowStoreRoute[K, V any] struct{ routeBase[K] }

func (*windowStoreRoute[K, V]) kind() string { return "window" }

// windows answers a key's windows starting in [from, to] (forwarded to the key's instance),
// or, without a key, every window starting in [from, to] on every instance, sorted by key
// then window start.
func (rt *windowStoreRoute[K, V]) windows(w http.ResponseWriter, r *http.Request, raw *string, from, to int64) {
	d := rt.h.d
	out := []windowedEntry[K, V]{}
	if raw != nil {
		k, err := rt.parse(*raw)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("key %q: %w", *raw, err))
			return
		}
		if rt.h.forwardKey(w, r, rt.name, func() (KeyQueryMetadata, error) { return QueryMetadataForKey(d, rt.name, k, rt.keys) }) {
			return
		}
		s, err := WindowStore[K, V](d, rt.name, staleOpts(r)...)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, err)
			return
		}
		c, err := s.FetchKeyRange(&k, &k, from, to)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		for wk, v := range cursor.All(c) {
			out = append(out, windowedEntry[K, V]{wk.Key, wk.Start, wk.End, v})
		}
		if err := c.Err(); err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	if s, err := WindowStore[K, V](d, rt.name); err == nil {
		c, err := s.FetchAll(from, to)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		for wk, v := range cursor.All(c) {
			out = append(out, windowedEntry[K, V]{wk.Key, wk.Start, wk.End, v})
		}
		if err := c.Err(); err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
	} else if !errors.Is(err, ErrStoreNotAvailable) || d.State() != Running {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	if r.Header.Get(ForwardedHeader) == "" && r.URL.Query().Get("local") != "true" {
		var ok bool
		if out, ok = gatherRemote(rt.h, w, r, out); !ok {
			return
		}
		sortByKey(out, rt.keys, rt.name, func(e windowedEntry[K, V]) K { return e.Key }, func(a, b windowedEntry[K, V]) bool { return a.Start < b.Start })
	}
	writeJSON(w, http.StatusOK, out)
}

// forwardKey forwards the request to the instance that hosts the key (per md), unless it
// was forwarded already or the key lives here; it reports whether it answered. With
// stale=true a key whose task this instance holds as a standby is answered here, and a key
// without an active host goes to a standby host.
func (h *QueryHandler) forwardKey(w http.ResponseWriter, r *http.Request, _ string, md func() (KeyQueryMetadata, error)) bool {
	if r.Header.Get(ForwardedHeader) != "" {
		return false
	}
	m, err := md()
	if err != nil {
		return false
	}
	stale := len(staleOpts(r)) > 0
	if stale && h.d.holdsTask(m.Task) {
		return false
	}
	target := m.ActiveHost
	if target == (HostInfo{}) && stale {
		for _, sh := range m.StandbyHosts {
			if sh != h.d.host {
				target = sh
				break
			}
		}
	}
	if target == (HostInfo{}) || target == h.d.host {
		return false
	}
	h.forward(w, r, target)
	return true
}

// staleOpts returns StaleStores when the request asks for stale=true (KIP-535), for the
// single-key routes.
func staleOpts(r *http.Request) []StoreQueryOption {
	if r.URL.Query().Get("stale") == "true" {
		return []StoreQueryOption{StaleStores()}
	}
	return nil
}

type entry[K, V any] struct {
	Key   K `json:"key"`
	Value V `json:"value"`
}

func (rt *kvRoute[K, V]) get(w http.ResponseWriter, r *http.Request, raw string) {
	k, err := rt.parse(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("key %q: %w", raw, err))
		return
	}
	d := rt.h.d
	if rt.h.forwardKey(w, r, rt.name, func() (KeyQueryMetadata, error) { return QueryMetadataForKey(d, rt.name, k, rt.keys) }) {
		return
	}
	s, err := KeyValueStore[K, V](d, rt.name, staleOpts(r)...)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	v, ok, err := s.Get(k)
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	case !ok:
		writeError(w, http.StatusNotFound, fmt.Errorf("key %q not found in store %q", raw, rt.name))
	default:
		writeJSON(w, http.StatusOK, entry[K, V]{k, v})
	}
}

func (rt *kvRoute[K, V]) scan(w http.ResponseWriter, r *http.Request, from, to *string) {
	var fk, tk *K
	for _, b := range []struct {
		raw *string
		dst **K
	}{{from, &fk}, {to, &tk}} {
		if b.raw == nil {
			continue
		}
		k, err := rt.parse(*b.raw)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("bound %q: %w", *b.raw, err))
			return
		}
		*b.dst = &k
	}
	d := rt.h.d
	var out []entry[K, V]
	if s, err := KeyValueStore[K, V](d, rt.name); err == nil {
		c, err := s.Range(fk, tk)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		for k, v := range cursor.All(c) {
			out = append(out, entry[K, V]{k, v})
		}
		if err := c.Err(); err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
	} else if !errors.Is(err, ErrStoreNotAvailable) {
		writeError(w, http.StatusInternalServerError, err)
		return
	} else if d.State() != Running {
		// Rebalancing or restoring: an answer without this instance's part would be partial.
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	if r.Header.Get(ForwardedHeader) == "" && r.URL.Query().Get("local") != "true" {
		var ok bool
		if out, ok = gatherRemote(rt.h, w, r, out); !ok {
			return
		}
		sortByKey(out, rt.keys, rt.name, func(e entry[K, V]) K { return e.Key }, nil)
	}
	if out == nil {
		out = []entry[K, V]{}
	}
	writeJSON(w, http.StatusOK, out)
}

// sortByKey sorts entries gathered from several instances by serialized key (the stores'
// order), then by less when keys are equal (nil: keep their order); each key is serialized
// once.
func sortByKey[E, K any](out []E, keys serde.Serde[K], topic string, key func(E) K, less func(a, b E) bool) {
	type keyed struct {
		k []byte
		e E
	}
	ks := make([]keyed, len(out))
	for i, e := range out {
		ks[i].k, _ = keys.Serialize(topic, key(e))
		ks[i].e = e
	}
	sort.SliceStable(ks, func(i, j int) bool {
		if c := bytes.Compare(ks[i].k, ks[j].k); c != 0 {
			return c < 0
		}
		return less != nil && less(ks[i].e, ks[j].e)
	})
	for i := range ks {
		out[i] = ks[i].e
	}
}

// gatherRemote appends to out the answers of every other instance with an endpoint to the
// same request (marked as forwarded, so that each answers from its own tasks); on a failure
// it answers 502 and reports false.
func gatherRemote[E any](h *QueryHandler, w http.ResponseWriter, r *http.Request, out []E) ([]E, bool) {
	for _, md := range h.d.AllMetadata() {
		if md.Host == h.d.host || md.Host == (HostInfo{}) {
			continue
		}
		var remote []E
		if err := h.fetch(r.Context(), md.Host, r.URL, &remote); err != nil {
			writeError(w, http.StatusBadGateway, err)
			return nil, false
		}
		out = append(out, remote...)
	}
	return out, true
}

// forward proxies a request to the instance at host.
func (h *QueryHandler) forward(w http.ResponseWriter, r *http.Request, host HostInfo) {
	u := *r.URL
	u.Scheme, u.Host = "http", host.String()
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	req.Header.Set(ForwardedHeader, h.d.host.String())
	resp, err := h.client.Do(req)
	if err != nil {
		writeError(w, http.StatusBadGateway, fmt.Errorf("forwarding to %s: %w", host, err))
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// fetch gets a forwarded query's JSON answer from host into out.
func (h *QueryHandler) fetch(ctx context.Context, host HostInfo, orig *url.URL, out any) error {
	u := *orig
	u.Scheme, u.Host = "http", host.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set(ForwardedHeader, h.d.host.String())
	resp, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("querying %s: %w", host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return fmt.Errorf("querying %s: %s: %s", host, resp.Status, bytes.TrimSpace(body))
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
