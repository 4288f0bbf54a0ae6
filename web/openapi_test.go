package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"liaison"
	"liaison/internal/httpguard"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// TestMain puts a validating transport in front of http.DefaultTransport,
// which http.DefaultClient and every client without a transport of its
// own use: every response to a request under /api/ that any test of this
// package receives is checked against openapi.json before the test sees
// it, and a response that does not match fails the request, and so the
// test, with the validator's reason. (Raw-socket tests, such as the
// oversize ones, bypass it.)
func TestMain(m *testing.M) {
	apiCheck = newAPIValidator(http.DefaultTransport)
	http.DefaultTransport = apiCheck
	os.Exit(m.Run())
}

var apiCheck *apiValidator

// apiValidator is an http.RoundTripper that validates API responses
// against the OpenAPI description.
type apiValidator struct {
	next    http.RoundTripper
	doc     *openapi3.T
	router  routers.Router
	loadErr error        // the description failed to load: every API request fails with it
	checked atomic.Int64 // responses validated
}

// loadOpenAPI loads and resolves the embedded description.
func loadOpenAPI() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPI)
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	return doc, nil
}

func newAPIValidator(next http.RoundTripper) *apiValidator {
	v := &apiValidator{next: next}
	if v.doc, v.loadErr = loadOpenAPI(); v.loadErr == nil {
		v.router, v.loadErr = gorillamux.NewRouter(v.doc)
	}
	return v
}

func (v *apiValidator) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, "/api/") {
		return v.next.RoundTrip(req)
	}
	if v.loadErr != nil {
		return nil, fmt.Errorf("openapi: %w", v.loadErr)
	}
	res, err := v.next.RoundTrip(req)
	if err != nil {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("openapi: read the response to %s %s: %w", req.Method, req.URL.Path, err)
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	if err := v.check(req, res, body); err != nil {
		return nil, fmt.Errorf("openapi: %s %s answered %d, which openapi.json does not allow: %w\nbody: %.2000s", req.Method, req.URL.Path, res.StatusCode, err, body)
	}
	v.checked.Add(1)
	return res, nil
}

// check validates one response: status, headers and body against the
// operation the description has for the request. A request the
// description has no operation for must get the API's own 404 for an
// unknown endpoint, or, if its method may change state, the refusals
// of the checks in front of every route (403 cross-site, 415 not JSON);
// all in the error form.
func (v *apiValidator) check(req *http.Request, res *http.Response, body []byte) error {
	route, params, err := v.router.FindRoute(req)
	if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
		refused := httpguard.Unsafe(req.Method) && (res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusUnsupportedMediaType)
		if res.StatusCode != http.StatusNotFound && !refused {
			return fmt.Errorf("no operation is described for it (%v), so it must be 404 (or 403, 415 for a write)", err)
		}
		return v.checkError(res, body)
	}
	if err != nil {
		return err
	}
	return openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
}

// checkError validates a body against the description's Error schema.
func (v *apiValidator) checkError(res *http.Response, body []byte) error {
	if mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return fmt.Errorf("Content-Type %q is not application/json", res.Header.Get("Content-Type"))
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return fmt.Errorf("the body is not JSON: %w", err)
	}
	return v.doc.Components.Schemas["Error"].Value.VisitJSON(value, openapi3.EnableJSONSchema2020())
}

// TestOpenAPIDescriptionIsValid validates openapi.json with the library's
// own validator, as OpenAPI 3.1.
func TestOpenAPIDescriptionIsValid(t *testing.T) {
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi.json is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableSchemaFormatValidation()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3.1 description: %v", err)
	}
}

// goPathParam matches a ServeMux wildcard: {name} or {name...}.
var goPathParam = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}`)

// TestOpenAPIDescribesEveryRoute compares the routes the server registers
// under /api/v1/ (its patterns list, filled by handle) with the
// operations of openapi.json: a route added without its description, or
// a description of a route that is gone, fails.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	o := newOffice(t)
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, pat := range o.web.patterns {
		method, path, ok := strings.Cut(pat, " ")
		if !ok {
			method, path = "", pat
		}
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		if method == "" {
			t.Errorf("route %q under /api/v1/ takes any method: register one pattern per method, each described in openapi.json", pat)
			continue
		}
		path = goPathParam.ReplaceAllString(strings.TrimSuffix(path, "{$}"), "{$1}")
		registered[method+" "+path] = true
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("the server registers %q, but openapi.json has no %s %s", pat, method, path)
		}
	}
	for _, path := range doc.Paths.Keys() {
		for method := range doc.Paths.Value(path).Operations() {
			if !registered[method+" "+path] {
				t.Errorf("openapi.json describes %s %s, which the server does not register", method, path)
			}
		}
	}
	if len(registered) < 20 {
		t.Errorf("only %d API routes found in %v", len(registered), o.web.patterns)
	}
}

// TestOpenAPIServed checks that the description is served as it is
// embedded, without credentials, and that the validating transport both
// passes good responses and fails bad ones, so the API tests mean what
// they say.
func TestOpenAPIServed(t *testing.T) {
	o := newOffice(t)
	before := apiCheck.checked.Load()
	res, err := http.Get(o.srv.URL + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, openAPI) || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %s, %d bytes; want 200, the embedded description", res.StatusCode, res.Header.Get("Content-Type"), len(got))
	}
	if apiCheck.checked.Load() == before {
		t.Fatal("the response was not validated: is the validating transport installed?")
	}

	// A server that breaks the description: each answer must fail.
	tests := []struct {
		name, path string
		status     int
		body       string
		want       string
	}{
		{"wrong type", "/api/v1/whoami", 200, `{"name":"a","org":"FRA","roles":"admin"}`, "roles"},
		{"undescribed field", "/api/v1/whoami", 200, `{"name":"a","org":"FRA","roles":[],"password":"x"}`, "password"},
		{"undescribed status", "/api/v1/whoami", 418, `{"error":{"code":"invalid","message":"x"}}`, "status"},
		{"error form", "/api/v1/proposals/1", 404, `{"message":"gone"}`, "error"},
		{"unknown endpoint that answers", "/api/v1/nowhere", 200, `{}`, "must be 404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer bad.Close()
			res, err := http.Get(bad.URL + tc.path)
			if err == nil {
				res.Body.Close()
				t.Fatalf("a response of %d %s passed validation", tc.status, tc.body)
			}
			if !strings.Contains(err.Error(), "openapi") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one from the validator naming %q", err, tc.want)
			}
		})
	}
}

// TestOpenAPIDirectoryReads sends the reads that the consultation and
// decision tests do not, so that their answers too meet the description
// (the validating transport checks each).
func TestOpenAPIDirectoryReads(t *testing.T) {
	o := newOffice(t)
	coll := liaison.Collection{Title: "Cyber", Description: "Indicators.", Topic: liaison.TopicCyber, Read: []string{"NATO"}, Write: []string{"USA"}, DefaultMarking: liaison.TLPAmberID}
	if err := o.store.CreateCollection(context.Background(), &coll); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user, path, key string
		want            int // items in the list
	}{
		{"jpn", "/api/v1/organisations", "organisations", 8},
		{"usa-reader", "/api/v1/collections", "collections", 1},
		{"nis", "/api/v1/whoami", "roles", 1},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got := o.call(tc.user, "GET", tc.path, nil, http.StatusOK)
			if l, ok := got[tc.key].([]any); !ok || len(l) != tc.want {
				t.Fatalf("%s as %s: %v, want %d %s", tc.path, tc.user, got, tc.want, tc.key)
			}
		})
	}
}
