package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

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
	return decodeBody(w, r, v, false)
}

// decodeOptionalJSON is decodeJSON for a body that may be left out: an
// empty body leaves v as it is.
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeBody(w, r, v, true)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if optional && err == io.EOF {
			return nil
		}
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return liaison.Errorf(liaison.EINVALID, "request body has data after the JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return liaison.Errorf(liaison.EINVALID, "request body is empty: want a JSON object")
	case errors.As(err, &big):
		return liaison.Errorf(liaison.ETOOLARGE, "request body exceeds %d bytes", big.Limit)
	case errors.As(err, &syn):
		return liaison.Errorf(liaison.EINVALID, "request body is not valid JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		return liaison.Errorf(liaison.EINVALID, "request body: field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return liaison.Errorf(liaison.EINVALID, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return liaison.Errorf(liaison.EINVALID, "request body: %v", fmt.Sprint(err))
}
