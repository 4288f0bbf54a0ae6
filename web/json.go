package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"liaison"
	"liaison/auth"
)

// MaxJSONBody bounds a JSON API request body.
const MaxJSONBody = 1 << 20

// writeJSON writes v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// apiError is the JSON body of every API error.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError maps err to its status and a safe message. Internal errors
// are logged with their detail; the caller sees only "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := liaison.ErrorCode(err)
	status := auth.Status(err)
	switch {
	case status == http.StatusTooManyRequests:
		s.auth.SetHeaders(w, err)
		code = "rate_limited"
	case code == liaison.EINTERNAL:
		s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case code == liaison.EUNAUTHORIZED:
		w.Header().Set("WWW-Authenticate", `Basic realm="liaison", Bearer realm="liaison"`)
	}
	var body apiError
	body.Error.Code = code
	body.Error.Message = liaison.ErrorMessage(err)
	writeJSON(w, status, body)
}

// decodeJSON reads a JSON request body into v, strictly: unknown fields,
// trailing data, a wrong type or an oversized body are EINVALID or
// ETOOLARGE errors that say what and where. (guard has checked that the
// body is declared as JSON.)
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeBody(w, r, v, false, MaxJSONBody)
}

// decodeOptionalJSON is decodeJSON for a body that may be left out: an
// empty body leaves v as it is.
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeBody(w, r, v, true, MaxJSONBody)
}

// decodeBody decodes a body of at most limit bytes into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool, limit int64) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return jsonError(err, nil, nil)
	}
	if optional && len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, raw, reflect.TypeOf(v))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return liaison.Errorf(liaison.EINVALID, "request body has data after the JSON value")
	}
	return nil
}

// jsonError says in words what is wrong with a request body that did not
// decode into a value of type t: the field, by its JSON path such as
// actions[0].due, and the form it wants, such as "a date and time such
// as 2026-03-02T09:00:00Z". Never a Go type or time layout.
func jsonError(err error, raw []byte, t reflect.Type) error {
	var syn *json.SyntaxError
	var big *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return liaison.Errorf(liaison.EINVALID, "request body is empty: want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return liaison.Errorf(liaison.EINVALID, "request body ends in the middle of its JSON value")
	case errors.As(err, &big):
		return liaison.Errorf(liaison.ETOOLARGE, "request body exceeds %d bytes", big.Limit)
	case errors.As(err, &syn):
		return liaison.Errorf(liaison.EINVALID, "request body is not valid JSON at byte %d: %v", syn.Offset, syn)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return liaison.Errorf(liaison.EINVALID, "request body: %s is not a field of this request", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	if t != nil {
		if path, want, got, ok := badField(raw, t, ""); ok {
			if path == "" {
				return liaison.Errorf(liaison.EINVALID, "request body: want %s, not %s", wantForm(want), got)
			}
			return liaison.Errorf(liaison.EINVALID, "%s: want %s, not %s", path, wantForm(want), got)
		}
	}
	return liaison.Errorf(liaison.EINVALID, "request body does not match this request's fields")
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// badField finds the first value in raw that does not decode into its
// place in t, and returns its path, the type wanted there and what was
// given, in words.
func badField(raw []byte, t reflect.Type, path string) (at string, want reflect.Type, got string, ok bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return "", nil, "", false
	}
	custom := reflect.PointerTo(t).Implements(unmarshalerType)
	switch {
	case !custom && t.Kind() == reflect.Struct:
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return path, t, given(raw), true
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if f.Anonymous && name == "" {
				if p, w, g, ok := badField(raw, f.Type, path); ok {
					return p, w, g, true
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			for k, v := range m {
				if strings.EqualFold(k, name) {
					if p, w, g, ok := badField(v, f.Type, join(path, k)); ok {
						return p, w, g, true
					}
				}
			}
		}
		return "", nil, "", false
	case !custom && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return path, t, given(raw), true
		}
		for i, item := range items {
			if p, w, g, ok := badField(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, w, g, true
			}
		}
		return "", nil, "", false
	case !custom && t.Kind() == reflect.Map:
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return path, t, given(raw), true
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if p, w, g, ok := badField(m[k], t.Elem(), join(path, k)); ok {
				return p, w, g, true
			}
		}
		return "", nil, "", false
	}
	if json.Unmarshal(raw, reflect.New(t).Interface()) != nil {
		return path, t, given(raw), true
	}
	return "", nil, "", false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// given describes a JSON value briefly: a short string or number as it
// was sent, otherwise its kind.
func given(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "true or false"
	}
	if len(raw) > 40 {
		if raw[0] == '"' {
			return "a long string"
		}
		return "a long number"
	}
	return string(raw)
}

// wantForm names in words the form a value of type t takes in JSON.
func wantForm(t reflect.Type) string {
	if t == timeType {
		return "a date and time such as 2026-03-02T09:00:00Z"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list of " + plural(wantForm(t.Elem()))
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a value of another form"
}

// plural turns "a string" into "strings", "an object" into "objects",
// and "a date and time such as …" into "dates and times such as …".
func plural(form string) string {
	switch {
	case strings.HasPrefix(form, "a date and time"):
		return "dates and times" + strings.TrimPrefix(form, "a date and time")
	case form == "true or false":
		return "true or false values"
	case strings.HasPrefix(form, "a list of "):
		return "lists of " + strings.TrimPrefix(form, "a list of ")
	case strings.HasPrefix(form, "an "):
		return strings.TrimPrefix(form, "an ") + "s"
	case strings.HasPrefix(form, "a "):
		return strings.TrimPrefix(form, "a ") + "s"
	}
	return form
}
