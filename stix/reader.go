package stix

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"liaison"
)

// Reader streams the objects of a STIX bundle or a TAXII envelope
// ({"objects":[…], "more":…, "next":…}) one at a time. It holds about one
// object in memory at a time, whatever the size of the input. It checks
// the structure around the objects and finds where each object ends;
// Decode checks each object itself, so a malformed object is one rejection
// rather than the end of the stream.
type Reader struct {
	src      io.Reader
	buf      []byte
	r, w     int   // unread data is buf[r:w]
	base     int64 // input offset of buf[0]
	eof      bool
	readErr  error
	state    int // 0 before the top-level object, 1 in its members, 2 in "objects", 3 done
	index    int
	count    int
	err      error
	warnings []string
	seen     map[string]bool
	stack    []byte
}

// maxObject bounds one object (and any other top-level value), so hostile
// input cannot make the Reader hold unbounded memory.
const maxObject = 256 << 20

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{src: r, buf: make([]byte, 0, 64<<10), index: -1, seen: map[string]bool{}}
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

// offset is the input offset of unread position i of the buffer.
func (r *Reader) offset(i int) int64 { return r.base + int64(i) }

func (r *Reader) failAt(i int, format string, args ...any) error {
	return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: %s", r.offset(i), fmt.Sprintf(format, args...))
}

// fill reads more input, keeping buf[r:w]. It reports false at the end of
// the input.
func (r *Reader) fill() (bool, error) {
	if r.eof {
		return false, r.readErr
	}
	if r.r > 0 && r.r == r.w {
		r.base += int64(r.r)
		r.r, r.w = 0, 0
		r.buf = r.buf[:0]
	}
	if r.w == cap(r.buf) {
		if r.r > cap(r.buf)/2 {
			n := copy(r.buf[:cap(r.buf)], r.buf[r.r:r.w])
			r.base += int64(r.r)
			r.r, r.w = 0, n
		} else {
			if r.w-r.r > maxObject {
				return false, liaison.Errorf(liaison.ETOOLARGE, "bundle: byte %d: a value is larger than %d bytes", r.offset(r.r), maxObject)
			}
			nb := make([]byte, r.w-r.r, 2*cap(r.buf))
			copy(nb, r.buf[r.r:r.w])
			r.base += int64(r.r)
			r.r, r.w = 0, len(nb)
			r.buf = nb
		}
	}
	for {
		n, err := r.src.Read(r.buf[r.w:cap(r.buf)])
		r.w += n
		r.buf = r.buf[:r.w]
		if err != nil {
			r.eof = true
			if !errors.Is(err, io.EOF) {
				r.readErr = fmt.Errorf("stix: read bundle: %w", err)
				return n > 0, r.readErr
			}
			return n > 0, nil
		}
		if n > 0 {
			return true, nil
		}
	}
}

// peek skips white space and returns the next byte, or io.EOF.
func (r *Reader) peek() (byte, error) {
	for {
		for r.r < r.w {
			if c := r.buf[r.r]; !isSpace(c) {
				return c, nil
			}
			r.r++
		}
		more, err := r.fill()
		if err != nil {
			return 0, err
		}
		if !more {
			return 0, io.EOF
		}
	}
}

// truncated is the error for input that ends inside the bundle.
func (r *Reader) truncated() error {
	return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: truncated: the input ends inside the bundle", r.offset(r.w))
}

// expectByte skips white space and consumes c.
func (r *Reader) expectByte(c byte, what string) error {
	got, err := r.peek()
	if errors.Is(err, io.EOF) {
		return r.truncated()
	}
	if err != nil {
		return err
	}
	if got != c {
		return r.failAt(r.r, "expected %s, found %q", what, got)
	}
	r.r++
	return nil
}

// value reads one whole JSON value and returns a fresh copy of its bytes
// and its input offset. Objects and arrays are delimited by tracking
// strings and brackets; their contents are checked later by the caller.
func (r *Reader) value() ([]byte, int64, error) {
	c, err := r.peek()
	if errors.Is(err, io.EOF) {
		return nil, 0, r.truncated()
	}
	if err != nil {
		return nil, 0, err
	}
	start := r.offset(r.r)
	i := 0 // scanned length of the value, relative to r.r
	inString, escaped := false, false
	r.stack = r.stack[:0]
	scalar := c != '{' && c != '[' && c != '"'
	for {
		for ; r.r+i < r.w; i++ {
			b := r.buf[r.r+i]
			if scalar {
				if isSpace(b) || b == ',' || b == '}' || b == ']' {
					if i == 0 {
						return nil, 0, r.failAt(r.r, "expected a value, found %q", b)
					}
					return r.take(i, start)
				}
				continue
			}
			if inString {
				switch {
				case escaped:
					escaped = false
				case b == '\\':
					escaped = true
				case b == '"':
					inString = false
					if len(r.stack) == 0 {
						return r.take(i+1, start)
					}
				}
				continue
			}
			switch b {
			case '"':
				inString = true
			case '{', '[':
				if len(r.stack) >= maxDepth {
					return nil, 0, r.failAt(r.r+i, "nesting deeper than %d", maxDepth)
				}
				r.stack = append(r.stack, b)
			case '}', ']':
				open := byte('{')
				if b == ']' {
					open = '['
				}
				if len(r.stack) == 0 || r.stack[len(r.stack)-1] != open {
					return nil, 0, r.failAt(r.r+i, "unbalanced %q", b)
				}
				r.stack = r.stack[:len(r.stack)-1]
				if len(r.stack) == 0 {
					return r.take(i+1, start)
				}
			}
		}
		more, err := r.fill()
		if err != nil {
			return nil, 0, err
		}
		if !more {
			if scalar && i > 0 {
				return r.take(i, start)
			}
			return nil, 0, r.truncated()
		}
	}
}

func (r *Reader) take(n int, start int64) ([]byte, int64, error) {
	out := make([]byte, n)
	copy(out, r.buf[r.r:r.r+n])
	r.r += n
	return out, start, nil
}

func (r *Reader) next() ([]byte, error) {
	for {
		switch r.state {
		case 0:
			c, err := r.peek()
			if errors.Is(err, io.EOF) {
				return nil, liaison.Errorf(liaison.EINVALID, "bundle: byte 0: the input is empty, want a bundle or envelope object")
			}
			if err != nil {
				return nil, err
			}
			if c != '{' {
				return nil, r.failAt(r.r, "want a bundle or envelope object, found %q", c)
			}
			r.r++
			r.state = 1
			c, err = r.peek()
			if err == nil && c == '}' {
				r.r++
				return nil, r.end()
			}
			if err := r.member(); err != nil {
				return nil, err
			}
		case 1:
			c, err := r.peek()
			if errors.Is(err, io.EOF) {
				return nil, r.truncated()
			}
			if err != nil {
				return nil, err
			}
			switch c {
			case '}':
				r.r++
				return nil, r.end()
			case ',':
				r.r++
				if err := r.member(); err != nil {
					return nil, err
				}
			default:
				return nil, r.failAt(r.r, "expected , or } after a bundle member, found %q", c)
			}
		case 2:
			c, err := r.peek()
			if errors.Is(err, io.EOF) {
				return nil, r.truncated()
			}
			if err != nil {
				return nil, err
			}
			switch {
			case c == ']':
				r.r++
				r.state = 1
				continue
			case r.count > 0 && c == ',':
				r.r++
			case r.count > 0:
				return nil, r.failAt(r.r, "expected , or ] after objects item %d, found %q", r.count-1, c)
			}
			if c, err = r.peek(); err == nil && c != '{' {
				return nil, r.failAt(r.r, "objects item %d is not an object", r.count)
			}
			raw, _, err := r.value()
			if err != nil {
				return nil, err
			}
			r.index = r.count
			r.count++
			return raw, nil
		default:
			return nil, io.EOF
		}
	}
}

// end checks that nothing but white space follows the bundle.
func (r *Reader) end() error {
	r.state = 3
	_, err := r.peek()
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	if err != nil {
		return err
	}
	return r.failAt(r.r, "unexpected data after the bundle")
}

// member reads one top-level key and its value: "objects" starts
// streaming, the rest is checked and dropped.
func (r *Reader) member() error {
	keyRaw, at, err := r.value()
	if err != nil {
		return err
	}
	if keyRaw[0] != '"' || validValue(keyRaw) != nil {
		return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: expected a member name", at)
	}
	key := unquote(keyRaw)
	if r.seen[key] {
		return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: duplicate key %q", at, key)
	}
	r.seen[key] = true
	if err := r.expectByte(':', "':' after "+string(keyRaw)); err != nil {
		return err
	}
	if key == "objects" {
		if err := r.expectByte('[', `a list as the value of "objects"`); err != nil {
			return err
		}
		r.state = 2
		if c, err := r.peek(); err == nil && c == ']' {
			r.r++
			r.state = 1
		}
		return nil
	}
	v, at, err := r.value()
	if err != nil {
		return err
	}
	if err := validValue(v); err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: not valid JSON: %s", at+int64(se.off), se.msg)
		}
		return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: not valid JSON", at)
	}
	fail := func(format string, args ...any) error {
		return liaison.Errorf(liaison.EINVALID, "bundle: byte %d: %s", at, fmt.Sprintf(format, args...))
	}
	switch key {
	case "type":
		if !bytes.Equal(v, []byte(`"bundle"`)) {
			return fail("top-level \"type\" is %s, want \"bundle\"", clip(v))
		}
	case "id":
		if v[0] != '"' {
			return fail("bundle \"id\" must be a string")
		}
		if t, _, ok := SplitID(unquote(v)); !ok || t != "bundle" {
			return fail("bundle \"id\" %s is not bundle--UUID", clip(v))
		}
	case "spec_version":
		r.warnings = append(r.warnings, fmt.Sprintf("bundle-level \"spec_version\" %s is not part of STIX 2.1 and was ignored", clip(v)))
	case "more":
		if string(v) != "true" && string(v) != "false" {
			return fail("envelope \"more\" must be a boolean")
		}
	}
	return nil
}
