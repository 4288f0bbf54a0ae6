package stix

import (
	"bufio"
	"io"

	"liaison"
)

// BundleWriter streams one STIX 2.1 bundle,
// {"type":"bundle","id":"bundle--<uuid v4>","objects":[…]}, writing each
// object's raw bytes exactly as given.
type BundleWriter struct {
	w      *bufio.Writer
	id     string
	n      int
	closed bool
	err    error
}

// NewBundleWriter returns a BundleWriter on w with a fresh bundle id.
func NewBundleWriter(w io.Writer) *BundleWriter {
	return &BundleWriter{w: bufio.NewWriterSize(w, 64<<10), id: "bundle--" + NewUUID()}
}

// Write appends one object. raw must be one JSON object; it is written
// byte for byte. Write fails with EINVALID for anything else, so a bad
// object cannot corrupt the bundle.
func (b *BundleWriter) Write(raw []byte) error {
	if b.err != nil {
		return b.err
	}
	if b.closed {
		return liaison.Errorf(liaison.EINVALID, "bundle writer: write after close")
	}
	if !isJSONObject(raw) || validValue(raw) != nil {
		return liaison.Errorf(liaison.EINVALID, "bundle writer: object %d is not one JSON object", b.n)
	}
	if b.n == 0 {
		_, b.err = b.w.WriteString(`{"type":"bundle","id":"` + b.id + `","objects":[` + "\n")
	} else {
		_, b.err = b.w.WriteString(",\n")
	}
	if b.err == nil {
		_, b.err = b.w.Write(raw)
	}
	b.n++
	return b.err
}

// Flush writes what is buffered to the underlying writer, for streaming
// responses.
func (b *BundleWriter) Flush() error {
	if b.err != nil {
		return b.err
	}
	b.err = b.w.Flush()
	return b.err
}

// Close writes the end of the bundle and flushes. A bundle with no objects
// is written without an "objects" property, since STIX forbids empty
// lists. Close does not close the underlying writer.
func (b *BundleWriter) Close() error {
	if b.closed {
		return b.err
	}
	b.closed = true
	if b.err != nil {
		return b.err
	}
	if b.n == 0 {
		_, b.err = b.w.WriteString(`{"type":"bundle","id":"` + b.id + `"}` + "\n")
	} else {
		_, b.err = b.w.WriteString("\n]}\n")
	}
	if b.err == nil {
		b.err = b.w.Flush()
	}
	return b.err
}

// ID returns the bundle's id.
func (b *BundleWriter) ID() string { return b.id }

// Count returns how many objects were written.
func (b *BundleWriter) Count() int { return b.n }
