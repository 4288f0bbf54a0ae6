package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"liaison"
)

// Reader streams the objects of a STIX bundle or a TAXII envelope
// ({"objects":[…], "more":…, "next":…}) one at a time. It holds one object
// in memory at a time, whatever the size of the input. It checks the
// structure around the objects; Decode checks each object.
type Reader struct {
	dec      *json.Decoder
	state    int // 0 before the top-level object, 1 in its members, 2 in "objects", 3 done
	index    int
	count    int
	err      error
	warnings []string
	seen     map[string]bool
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{dec: json.NewDecoder(r), index: -1, seen: map[string]bool{}}
}

// Index returns the index of the object Next returned last, from 0.
func (r *Reader) Index() int { return r.index }

// Warnings returns what the Reader accepted but the hub frowns upon, such
// as a bundle-level spec_version (STIX 2.0 only).
func (r *Reader) Warnings() []string { return r.warnings }

// Next returns the next object's raw bytes, a fresh slice the caller may
// keep, or io.EOF after the last one. A structural fault (not JSON,
// truncated, "objects" not a list, an item not an object, a top-level
// "type" other than "bundle") is a *liaison.Error with code EINVALID that
// names the byte offset; after an error Next returns the same error.
func (r *Reader) Next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	raw, err := r.next()
	if err != nil {
		r.err = err
		return nil, err
	}
	return raw, nil
}

func (r *Reader) fail(format string, args ...any) error {
	return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: %s", r.dec.InputOffset(), fmt.Sprintf(format, args...))
}

// wrap turns a decoder error into an EINVALID error naming the offset.
func (r *Reader) wrap(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: not valid JSON: %s", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: truncated: the input ends inside the bundle", r.dec.InputOffset())
	}
	var le *liaison.Error
	if errors.As(err, &le) {
		return err
	}
	return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: %v", r.dec.InputOffset(), err)
}

func (r *Reader) next() ([]byte, error) {
	for {
		switch r.state {
		case 0:
			t, err := r.dec.Token()
			if err == io.EOF {
				return nil, liaison.Errorf(liaison.EINVALID, "bundle: byte 0: the input is empty, want a bundle or envelope object")
			}
			if err != nil {
				return nil, r.wrap(err)
			}
			if d, ok := t.(json.Delim); !ok || d != '{' {
				return nil, r.fail("want a bundle or envelope object, found %v", describeToken(t))
			}
			r.state = 1
		case 1:
			if !r.dec.More() {
				if _, err := r.dec.Token(); err != nil { // the closing brace
					return nil, r.wrap(err)
				}
				if _, err := r.dec.Token(); err != io.EOF {
					if err != nil {
						return nil, r.wrap(err)
					}
					return nil, r.fail("unexpected data after the bundle")
				}
				r.state = 3
				return nil, io.EOF
			}
			t, err := r.dec.Token()
			if err != nil {
				return nil, r.wrap(err)
			}
			key, _ := t.(string)
			if r.seen[key] {
				return nil, r.fail("duplicate key %q", key)
			}
			r.seen[key] = true
			if err := r.member(key); err != nil {
				return nil, err
			}
		case 2:
			if !r.dec.More() {
				if _, err := r.dec.Token(); err != nil { // the closing bracket
					return nil, r.wrap(err)
				}
				r.state = 1
				continue
			}
			var raw json.RawMessage
			if err := r.dec.Decode(&raw); err != nil {
				return nil, r.wrap(err)
			}
			r.index = r.count
			r.count++
			if raw[0] != '{' {
				return nil, r.fail("objects item %d is %s, not an object", r.index, kind(raw))
			}
			return raw, nil
		default:
			return nil, io.EOF
		}
	}
}

// member handles one top-level key: objects starts streaming, the rest is
// checked and skipped.
func (r *Reader) member(key string) error {
	if key == "objects" {
		t, err := r.dec.Token()
		if err != nil {
			return r.wrap(err)
		}
		if d, ok := t.(json.Delim); !ok || d != '[' {
			return r.fail("\"objects\" must be a list, found %s", describeToken(t))
		}
		r.state = 2
		return nil
	}
	var v json.RawMessage
	if err := r.dec.Decode(&v); err != nil {
		return r.wrap(err)
	}
	switch key {
	case "type":
		if !bytes.Equal(v, []byte(`"bundle"`)) {
			return r.fail("top-level \"type\" is %s, want \"bundle\"", clip(v))
		}
	case "id":
		var s string
		if json.Unmarshal(v, &s) != nil {
			return r.fail("bundle \"id\" must be a string")
		}
		if t, _, ok := SplitID(s); !ok || t != "bundle" {
			return r.fail("bundle \"id\" %q is not bundle--UUID", s)
		}
	case "spec_version":
		r.warnings = append(r.warnings, fmt.Sprintf("bundle-level \"spec_version\" %s is not part of STIX 2.1 and was ignored", clip(v)))
	case "more":
		if string(v) != "true" && string(v) != "false" {
			return r.fail("envelope \"more\" must be a boolean")
		}
	}
	return nil
}

func describeToken(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	}
	return "a number"
}
