package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// This file holds a small strict JSON scanner. It validates a whole value in
// one pass and splits objects into members without building a tree, so an
// object is read once and never re-marshalled. It is stricter than
// encoding/json where strictness protects the hub: keys match exactly (not
// case-insensitively) and a key may not appear twice in one object, because
// two parsers that pick different duplicates would see different markings.

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

// syntaxError is a JSON syntax fault at a byte offset of the scanned value.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("byte %d: %s", e.off, e.msg) }

func synErr(off int, format string, args ...any) error {
	return &syntaxError{off: off, msg: fmt.Sprintf(format, args...)}
}

// member is one key and raw value of a JSON object.
type member struct {
	key string
	val []byte
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// validValue reports whether b holds exactly one valid JSON value, with
// optional surrounding white space.
func validValue(b []byte) error {
	i := skipSpace(b, 0)
	end, err := scanValue(b, i, 0)
	if err != nil {
		return err
	}
	if j := skipSpace(b, end); j != len(b) {
		return synErr(j, "unexpected data after the value")
	}
	return nil
}

// scanValue validates the value starting at b[i] and returns the index just
// past it.
func scanValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, synErr(i, "unexpected end of input")
	}
	switch c := b[i]; {
	case c == '{':
		return scanObject(b, i, depth+1, nil)
	case c == '[':
		return scanArray(b, i, depth+1, nil)
	case c == '"':
		return scanString(b, i)
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	default:
		return i, synErr(i, "invalid character %q looking for a value", c)
	}
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), nil
	}
	return i, synErr(i, "invalid literal, want %s", lit)
}

func scanNumber(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return i, synErr(start, "truncated number")
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, synErr(i, "invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, synErr(i, "invalid number: digit expected after the decimal point")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, synErr(i, "invalid number: digit expected in the exponent")
		}
	}
	return i, nil
}

// scanString validates the string starting at b[i] (a quote) and returns
// the index past its closing quote. UTF-8 validity is checked by callers
// once for the whole input.
func scanString(b []byte, i int) (int, error) {
	start := i
	i++
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(b) {
				return i, synErr(start, "unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return i, synErr(i, "truncated \\u escape")
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return i, synErr(i, "invalid \\u escape")
					}
				}
				i += 6
			default:
				return i, synErr(i, "invalid escape \\%c in string", b[i+1])
			}
		case c < 0x20:
			return i, synErr(i, "control character in string")
		default:
			i++
		}
	}
	return i, synErr(start, "unterminated string")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// scanObject validates the object at b[i]. When members is non-nil, each
// member is appended to it. Duplicate keys are an error at every depth.
func scanObject(b []byte, i, depth int, members *[]member) (int, error) {
	if depth > maxDepth {
		return i, synErr(i, "nesting deeper than %d", maxDepth)
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	var small [24][]byte
	keys := small[:0]
	for {
		if i >= len(b) {
			return i, synErr(i, "unexpected end of input in object")
		}
		if b[i] != '"' {
			return i, synErr(i, "invalid character %q looking for an object key", b[i])
		}
		ks := i
		end, err := scanString(b, i)
		if err != nil {
			return end, err
		}
		key := b[ks+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			key = []byte(unquote(b[ks:end]))
		}
		for _, k := range keys {
			if bytes.Equal(k, key) {
				return ks, synErr(ks, "duplicate key %q", key)
			}
		}
		keys = append(keys, key)
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, synErr(i, "expected ':' after object key")
		}
		i = skipSpace(b, i+1)
		vs := i
		i, err = scanValue(b, i, depth)
		if err != nil {
			return i, err
		}
		if members != nil {
			*members = append(*members, member{key: string(key), val: b[vs:i]})
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, synErr(i, "unexpected end of input in object")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, synErr(i, "invalid character %q after object member", b[i])
		}
	}
}

// scanArray validates the array at b[i]. When elems is non-nil, each
// element's raw bytes are appended to it.
func scanArray(b []byte, i, depth int, elems *[][]byte) (int, error) {
	if depth > maxDepth {
		return i, synErr(i, "nesting deeper than %d", maxDepth)
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		vs := i
		var err error
		i, err = scanValue(b, i, depth)
		if err != nil {
			return i, err
		}
		if elems != nil {
			*elems = append(*elems, b[vs:i])
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, synErr(i, "unexpected end of input in array")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, synErr(i, "invalid character %q after array element", b[i])
		}
	}
}

// objectMembers splits an already validated object into its members.
func objectMembers(raw []byte) []member {
	var ms []member
	_, _ = scanObject(raw, 0, 0, &ms)
	return ms
}

// arrayElems splits an already validated array into its elements.
func arrayElems(raw []byte) [][]byte {
	var es [][]byte
	_, _ = scanArray(raw, 0, 0, &es)
	return es
}

// unquote returns the text of a validated JSON string.
func unquote(raw []byte) string {
	in := raw[1 : len(raw)-1]
	if bytes.IndexByte(in, '\\') < 0 {
		return string(in)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(in)
	}
	return s
}

// kind names the JSON kind of a raw value for error messages.
func kind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// parseInt reads a validated JSON number as an integer.
func parseInt(raw []byte) (int64, bool) {
	n, err := strconv.ParseInt(string(raw), 10, 64)
	return n, err == nil
}

// parseFloat reads a validated JSON number.
func parseFloat(raw []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(raw), 64)
	return f, err == nil
}

// Members validates raw as one JSON object, keys never twice, and calls
// fn with each of its members in order. It reads the object once and
// builds no tree, for readers that want a few members of many objects
// (the search documents).
func Members(raw []byte, fn func(key string, val []byte)) error {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return synErr(i, "not a JSON object")
	}
	var ms []member
	end, err := scanObject(raw, i, 0, &ms)
	if err != nil {
		return err
	}
	if j := skipSpace(raw, end); j != len(raw) {
		return synErr(j, "unexpected data after the object")
	}
	for _, m := range ms {
		fn(m.key, m.val)
	}
	return nil
}

// Elements calls fn with each element of val, a validated JSON value
// (one of Members' values), and says whether val is an array.
func Elements(val []byte, fn func(elem []byte)) bool {
	if len(val) == 0 || val[0] != '[' {
		return false
	}
	for _, e := range arrayElems(val) {
		fn(e)
	}
	return true
}

// String returns the text of val, a validated JSON value, and whether it
// is a string. Text that is not UTF-8 is mended as encoding/json mends it.
func String(val []byte) (string, bool) {
	if len(val) < 2 || val[0] != '"' {
		return "", false
	}
	in := val[1 : len(val)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in), true
	}
	var s string
	if err := json.Unmarshal(val, &s); err != nil {
		return "", false
	}
	return s, true
}
