package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"liaison"
)

// Client speaks TAXII 2.1 to any server, this one or another. URLs passed
// to it are absolute: the discovery URL, an API root URL (as listed by
// discovery), and ids of collections, objects and statuses.
type Client struct {
	http      *http.Client
	user      string
	password  string
	token     string
	userAgent string
}

// ClientOptions configure a Client. Set User and Password for HTTP Basic,
// or Token for Bearer; with both, Basic is used.
type ClientOptions struct {
	User, Password string
	Token          string
	HTTP           *http.Client // default: a client with a 60 s timeout
	UserAgent      string       // default "liaison-taxii-client"
}

// NewClient returns a client.
func NewClient(opts ClientOptions) *Client {
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "liaison-taxii-client"
	}
	return &Client{http: opts.HTTP, user: opts.User, password: opts.Password, token: opts.Token, userAgent: opts.UserAgent}
}

// Error is a failed TAXII request: the HTTP status and the server's error
// message resource, when it sent one. It unwraps to a *liaison.Error whose
// code follows the status, so liaison.ErrorCode works on it.
type Error struct {
	Method, URL string
	StatusCode  int
	Message     ErrorMessage // zero when the body was not an error message
	RetryAfter  time.Duration
}

func (e *Error) Error() string {
	s := fmt.Sprintf("taxii: %s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message.Title != "" {
		s += ": " + e.Message.Title
	}
	if e.Message.Description != "" {
		s += ": " + e.Message.Description
	}
	return s
}

// Unwrap maps the HTTP status to a liaison error code.
func (e *Error) Unwrap() error {
	code := liaison.EINTERNAL
	switch e.StatusCode {
	case http.StatusNotFound:
		code = liaison.ENOTFOUND
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusNotAcceptable, http.StatusUnsupportedMediaType:
		code = liaison.EINVALID
	case http.StatusUnauthorized, http.StatusTooManyRequests:
		code = liaison.EUNAUTHORIZED
	case http.StatusForbidden:
		code = liaison.EFORBIDDEN
	case http.StatusConflict:
		code = liaison.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		code = liaison.ETOOLARGE
	}
	msg := e.Message.Description
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return &liaison.Error{Code: code, Message: "remote TAXII server: " + msg}
}

// Filter selects objects. Zero fields do not filter.
type Filter struct {
	AddedAfter   time.Time
	Limit        int
	IDs          []string
	Types        []string
	Versions     []string // first, last, all or timestamps
	SpecVersions []string
}

func (f Filter) values(next string) url.Values {
	v := url.Values{}
	if !f.AddedAfter.IsZero() {
		v.Set(pAddedAfter, formatDateAdded(f.AddedAfter))
	}
	if f.Limit > 0 {
		v.Set(pLimit, strconv.Itoa(f.Limit))
	}
	if next != "" {
		v.Set(pNext, next)
	}
	set := func(k string, vals []string) {
		if len(vals) > 0 {
			v.Set(k, strings.Join(vals, ","))
		}
	}
	set(pID, f.IDs)
	set(pType, f.Types)
	set(pVersion, f.Versions)
	set(pSpecVersion, f.SpecVersions)
	return v
}

// PageInfo is what a paged response says besides its items.
type PageInfo struct {
	More           bool
	Next           string
	DateAddedFirst time.Time // from X-TAXII-Date-Added-First; zero if absent
	DateAddedLast  time.Time // from X-TAXII-Date-Added-Last; zero if absent
}

// Discover reads the discovery resource at discoveryURL (such as
// http://127.0.0.1:8080/taxii2/).
func (c *Client) Discover(ctx context.Context, discoveryURL string) (Discovery, error) {
	var d Discovery
	_, err := c.getJSON(ctx, discoveryURL, nil, &d)
	if err == nil {
		for i, r := range d.APIRoots {
			d.APIRoots[i] = resolve(discoveryURL, r)
		}
		if d.Default != "" {
			d.Default = resolve(discoveryURL, d.Default)
		}
	}
	return d, err
}

// APIRoot reads an API root's information.
func (c *Client) APIRoot(ctx context.Context, rootURL string) (APIRootInfo, error) {
	var a APIRootInfo
	_, err := c.getJSON(ctx, dir(rootURL), nil, &a)
	return a, err
}

// Collections lists the collections of an API root that the client may
// read or write.
func (c *Client) Collections(ctx context.Context, rootURL string) ([]CollectionInfo, error) {
	var cs Collections
	_, err := c.getJSON(ctx, dir(rootURL)+"collections/", nil, &cs)
	return cs.Collections, err
}

// Collection reads one collection.
func (c *Client) Collection(ctx context.Context, rootURL, id string) (CollectionInfo, error) {
	var ci CollectionInfo
	_, err := c.getJSON(ctx, c.collURL(rootURL, id), nil, &ci)
	return ci, err
}

// ObjectsPage reads one page of objects; next is "" for the first page.
func (c *Client) ObjectsPage(ctx context.Context, rootURL, collection string, f Filter, next string) (Envelope, PageInfo, error) {
	var env Envelope
	info, err := c.getJSON(ctx, c.collURL(rootURL, collection)+"objects/", f.values(next), &env)
	info.More, info.Next = env.More, env.Next
	return env, info, err
}

// Objects iterates over every object that matches f, following next (or,
// from servers that give no next, added_after with the last date added).
func (c *Client) Objects(ctx context.Context, rootURL, collection string, f Filter) iter.Seq2[json.RawMessage, error] {
	u := c.collURL(rootURL, collection) + "objects/"
	return pages(f, func(f Filter, next string) ([]json.RawMessage, PageInfo, error) {
		var env Envelope
		info, err := c.getJSON(ctx, u, f.values(next), &env)
		info.More, info.Next = env.More, env.Next
		return env.Objects, info, err
	})
}

// Object iterates over the versions of one object that match f (by
// default the latest).
func (c *Client) Object(ctx context.Context, rootURL, collection, id string, f Filter) iter.Seq2[json.RawMessage, error] {
	u := c.collURL(rootURL, collection) + "objects/" + url.PathEscape(id) + "/"
	f.IDs, f.Types = nil, nil
	return pages(f, func(f Filter, next string) ([]json.RawMessage, PageInfo, error) {
		var env Envelope
		info, err := c.getJSON(ctx, u, f.values(next), &env)
		info.More, info.Next = env.More, env.Next
		return env.Objects, info, err
	})
}

// Manifest iterates over the manifest records that match f.
func (c *Client) Manifest(ctx context.Context, rootURL, collection string, f Filter) iter.Seq2[ManifestRecord, error] {
	u := c.collURL(rootURL, collection) + "manifest/"
	return pages(f, func(f Filter, next string) ([]ManifestRecord, PageInfo, error) {
		var m Manifest
		info, err := c.getJSON(ctx, u, f.values(next), &m)
		info.More, info.Next = m.More, m.Next
		return m.Objects, info, err
	})
}

// Versions iterates over the versions of one object. Only AddedAfter,
// Limit and SpecVersions of f apply.
func (c *Client) Versions(ctx context.Context, rootURL, collection, id string, f Filter) iter.Seq2[string, error] {
	u := c.collURL(rootURL, collection) + "objects/" + url.PathEscape(id) + "/versions/"
	f.IDs, f.Types, f.Versions = nil, nil, nil
	return pages(f, func(f Filter, next string) ([]string, PageInfo, error) {
		var vs Versions
		info, err := c.getJSON(ctx, u, f.values(next), &vs)
		info.More, info.Next = vs.More, vs.Next
		return vs.Versions, info, err
	})
}

// pages drives a paged read: it follows next while the server says more,
// or advances added_after to the page's last date added when the server
// gives no next. It stops with an error if a page makes no progress.
func pages[T any](f Filter, fetch func(f Filter, next string) ([]T, PageInfo, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		next := ""
		for {
			items, info, err := fetch(f, next)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if !info.More {
				return
			}
			switch {
			case info.Next != "" && (info.Next != next || len(items) > 0):
				next = info.Next
			case info.Next == "" && !info.DateAddedLast.IsZero() && info.DateAddedLast.After(f.AddedAfter):
				f.AddedAfter = info.DateAddedLast
				next = ""
			default:
				yield(zero, liaison.Errorf(liaison.EINVALID, "remote TAXII server says more but gives no way to reach it (no next, no progress in X-TAXII-Date-Added-Last)"))
				return
			}
		}
	}
}

// AddObjects posts objects in one envelope and returns the status the
// server answered with (often already complete).
func (c *Client) AddObjects(ctx context.Context, rootURL, collection string, objects []json.RawMessage) (Status, error) {
	body, err := json.Marshal(Envelope{Objects: objects})
	if err != nil {
		return Status{}, liaison.Errorf(liaison.EINVALID, "an object is not valid JSON: %v", err)
	}
	return c.AddEnvelope(ctx, rootURL, collection, bytes.NewReader(body))
}

// AddEnvelope posts an envelope read from body.
func (c *Client) AddEnvelope(ctx context.Context, rootURL, collection string, body io.Reader) (Status, error) {
	var st Status
	u := c.collURL(rootURL, collection) + "objects/"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return st, liaison.Errorf(liaison.EINVALID, "bad URL %q: %v", u, err)
	}
	req.Header.Set("Content-Type", MediaType)
	_, err = c.do(req, &st)
	return st, err
}

// Status reads a status resource.
func (c *Client) Status(ctx context.Context, rootURL, id string) (Status, error) {
	var st Status
	_, err := c.getJSON(ctx, dir(rootURL)+"status/"+url.PathEscape(id)+"/", nil, &st)
	return st, err
}

// WaitStatus polls a status every interval until it is complete or ctx
// ends.
func (c *Client) WaitStatus(ctx context.Context, rootURL, id string, interval time.Duration) (Status, error) {
	for {
		st, err := c.Status(ctx, rootURL, id)
		if err != nil || st.Status == "complete" {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// DeleteObject deletes the versions of an object that match f's Versions
// and SpecVersions.
func (c *Client) DeleteObject(ctx context.Context, rootURL, collection, id string, f Filter) error {
	u := c.collURL(rootURL, collection) + "objects/" + url.PathEscape(id) + "/"
	q := Filter{Versions: f.Versions, SpecVersions: f.SpecVersions}.values("")
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
	if err != nil {
		return liaison.Errorf(liaison.EINVALID, "bad URL %q: %v", u, err)
	}
	_, err = c.do(req, nil)
	return err
}

func (c *Client) collURL(rootURL, id string) string {
	return dir(rootURL) + "collections/" + url.PathEscape(id) + "/"
}

func (c *Client) getJSON(ctx context.Context, u string, q url.Values, v any) (PageInfo, error) {
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return PageInfo{}, liaison.Errorf(liaison.EINVALID, "bad URL %q: %v", u, err)
	}
	return c.do(req, v)
}

// do sends req with credentials and TAXII headers, decodes a 2xx body into
// v (if v is not nil) and turns anything else into an *Error.
func (c *Client) do(req *http.Request, v any) (PageInfo, error) {
	req.Header.Set("Accept", MediaType)
	req.Header.Set("User-Agent", c.userAgent)
	switch {
	case c.user != "":
		req.SetBasicAuth(c.user, c.password)
	case c.token != "":
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return PageInfo{}, fmt.Errorf("taxii: %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	var info PageInfo
	if t, err := parseTimestamp(resp.Header.Get(headerDateAddedFirst)); err == nil {
		info.DateAddedFirst = t
	}
	if t, err := parseTimestamp(resp.Header.Get(headerDateAddedLast)); err == nil {
		info.DateAddedLast = t
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Method: req.Method, URL: req.URL.Redacted(), StatusCode: resp.StatusCode}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		_ = json.Unmarshal(body, &e.Message)
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return info, e
	}
	if v == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return info, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return info, fmt.Errorf("taxii: %s %s: decode response: %w", req.Method, req.URL.Redacted(), err)
	}
	return info, nil
}

// dir makes sure a URL ends with a slash, as TAXII URLs do.
func dir(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

// resolve makes ref absolute against base (TAXII allows relative API root
// URLs in discovery).
func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
}
