package misp

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"liaison"
)

// Read reads MISP events from r and hands each to fn, with its index: a
// single {"Event": {...}}, a list of them, or a restSearch answer
// {"response": [...]}. An event whose values have the wrong kinds is
// handed as an error of its own (the others still come); broken JSON ends
// the reading.
func Read(r io.Reader, fn func(index int, ev *Event, err error) error) error {
	d := json.NewDecoder(bufio.NewReaderSize(r, 1<<16))
	tok, err := d.Token()
	if err != nil {
		return syntaxf(d, err)
	}
	index := 0
	one := func() error {
		start := d.InputOffset()
		ev, err := decodeDoc(d)
		var ke *kindErr
		switch {
		case errors.As(err, &ke):
			err = liaison.Errorf(liaison.EINVALID, "MISP event %d (from byte %d): %s", index, start, ke.msg)
		case err != nil:
			return syntaxf(d, err)
		case ev == nil:
			err = liaison.Errorf(liaison.EINVALID, "MISP event %d (from byte %d): no \"Event\" member", index, start)
		}
		e := fn(index, ev, err)
		index++
		return e
	}
	list := func() error {
		for d.More() {
			if err := one(); err != nil {
				return err
			}
		}
		if _, err := d.Token(); err != nil {
			return syntaxf(d, err)
		}
		return nil
	}
	switch tok {
	case json.Delim('['):
		return list()
	case json.Delim('{'):
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return syntaxf(d, err)
			}
			switch k {
			case "Event":
				start := d.InputOffset()
				ev, err := decodeEvent(d)
				var ke *kindErr
				switch {
				case errors.As(err, &ke):
					err = liaison.Errorf(liaison.EINVALID, "MISP event %d (from byte %d): %s", index, start, ke.msg)
				case err != nil:
					return syntaxf(d, err)
				}
				if ev == nil {
					ev = &Event{}
				}
				if e := fn(index, ev, err); e != nil {
					return e
				}
				index++
			case "response":
				t, err := d.Token()
				if err != nil {
					return syntaxf(d, err)
				}
				if t != json.Delim('[') {
					return liaison.Errorf(liaison.EINVALID, "MISP: \"response\" must be a list of events")
				}
				if err := list(); err != nil {
					return err
				}
			default:
				var skip json.RawMessage
				if err := d.Decode(&skip); err != nil {
					return syntaxf(d, err)
				}
			}
		}
		if index == 0 {
			return liaison.Errorf(liaison.EINVALID, "MISP: no \"Event\" found: want {\"Event\": {…}}, a list of them, or {\"response\": […]}")
		}
		return nil
	}
	return liaison.Errorf(liaison.EINVALID, "MISP: want {\"Event\": {…}} or a list of events, not %v", tok)
}

func syntaxf(d *json.Decoder, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return liaison.Errorf(liaison.EINVALID, "MISP: byte %d: broken JSON: %s", syn.Offset, syn.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return liaison.Errorf(liaison.EINVALID, "MISP: the input ends in the middle of the value that starts at byte %d", d.InputOffset())
	}
	return fmt.Errorf("read MISP: %w", err)
}

// kindError says in words which property has a value of the wrong kind.
func kindError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "a value"
		} else {
			field = "property " + strings.TrimPrefix(field, "Event.")
		}
		return fmt.Sprintf("%s: a JSON %s is not accepted there", field, te.Value)
	}
	return err.Error()
}

// Convert reads MISP events from r and writes their STIX objects to emit.
// Refused events are counted in the stats with their reasons; the error is
// for input that cannot be read at all, or emit's.
func Convert(r io.Reader, opt Options, emit func(raw []byte) error) (Stats, error) {
	c := NewConverter(opt, emit)
	err := c.ReadAll(r)
	return c.Stats, err
}

// ReadAll converts every event read from r.
func (c *Converter) ReadAll(r io.Reader) error {
	return Read(r, func(i int, ev *Event, err error) error {
		if err != nil {
			c.Stats.Refused++
			c.Stats.Problems = append(c.Stats.Problems, liaison.ErrorMessage(err))
			return nil
		}
		return c.Event(i, ev)
	})
}

// Bundle converts MISP events from r into one STIX 2.1 bundle on w, as a
// stream.
func Bundle(r io.Reader, opt Options, w io.Writer) (Stats, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
	if _, err := fmt.Fprintf(bw, `{"type":"bundle","id":"bundle--%x-%x-%x-%x-%x","objects":[`, u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]); err != nil {
		return Stats{}, err
	}
	first := true
	st, err := Convert(r, opt, func(raw []byte) error {
		if !first {
			if err := bw.WriteByte(','); err != nil {
				return err
			}
		}
		first = false
		_, err := bw.Write(raw)
		return err
	})
	if err != nil {
		return st, err
	}
	if _, err := bw.WriteString("]}\n"); err != nil {
		return st, err
	}
	return st, bw.Flush()
}
