package misp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// An event is decoded member by member, and its Attribute and Object
// lists element by element, so that the JSON decoder never buffers the
// whole event: json.Decoder.Decode reads a value's bytes entirely before
// decoding it, which for a 100,000-attribute event is its whole 18 MB
// again beside the decoded attributes. The members other than the two
// lists are small; they are gathered and decoded together into Event, so
// every property keeps the struct's own decoding (flexInt and the rest).

// kindErr is a value of the wrong kind inside an event: the event is
// refused, and reading goes on.
type kindErr struct{ msg string }

func (e *kindErr) Error() string { return e.msg }

// tokenKind names a JSON token's kind as json.UnmarshalTypeError does.
func tokenKind(t json.Token) string {
	switch t.(type) {
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	case json.Delim:
		if t == json.Delim('[') {
			return "array"
		}
	}
	return "object"
}

// skipRest skips the rest of a value whose first token was t.
func skipRest(d *json.Decoder, t json.Token) error {
	if t != json.Delim('[') && t != json.Delim('{') {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := d.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
	return nil
}

// decodeEvent reads one event's value. A syntax error is returned as
// it is; a value of the wrong kind as a *kindErr once the whole event has
// been read.
func decodeEvent(d *json.Decoder) (*Event, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, nil // null: no event
	}
	if t != json.Delim('{') {
		if err := skipRest(d, t); err != nil {
			return nil, err
		}
		return nil, &kindErr{fmt.Sprintf("a value: a JSON %s is not accepted there", tokenKind(t))}
	}
	var kind error
	note := func(err error) {
		if kind == nil {
			kind = err
		}
	}
	head := map[string]json.RawMessage{}
	var attrs []Attribute
	var objs []Object
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return nil, err
		}
		key, _ := k.(string)
		switch key {
		case "Attribute":
			err = decodeList(d, key, &attrs, note)
		case "Object":
			err = decodeList(d, key, &objs, note)
		default:
			var raw json.RawMessage
			err = d.Decode(&raw)
			head[key] = raw
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	ev := &Event{}
	b, err := json.Marshal(head)
	if err != nil {
		return nil, fmt.Errorf("read MISP: %w", err)
	}
	if err := json.Unmarshal(b, ev); err != nil {
		// b is JSON we wrote: any error is a value of the wrong kind.
		note(&kindErr{kindError(err)})
	}
	ev.Attribute, ev.Object = attrs, objs
	return ev, kind
}

// decodeList reads the list member key of an event into out, an element
// at a time. null is an empty list.
func decodeList[T any](d *json.Decoder, key string, out *[]T, note func(error)) error {
	t, err := d.Token()
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if t != json.Delim('[') {
		note(&kindErr{fmt.Sprintf("property %s: a JSON %s is not accepted there", key, tokenKind(t))})
		return skipRest(d, t)
	}
	for d.More() {
		var v T
		err := d.Decode(&v)
		var te *json.UnmarshalTypeError
		var syn *json.SyntaxError
		switch {
		case err == nil:
		case errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return err
		case errors.As(err, &te):
			te.Field = key + "." + te.Field
			note(&kindErr{kindError(te)})
		default:
			note(&kindErr{kindError(err)}) // a property's own decoding refused it
		}
		*out = append(*out, v)
	}
	_, err = d.Token()
	return err
}

// decodeDoc reads {"Event": {…}} and skips its other members.
func decodeDoc(d *json.Decoder) (*Event, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	if t != json.Delim('{') {
		if err := skipRest(d, t); err != nil {
			return nil, err
		}
		return nil, &kindErr{fmt.Sprintf("a value: a JSON %s is not accepted there", tokenKind(t))}
	}
	var ev *Event
	var kind error
	for d.More() {
		k, err := d.Token()
		if err != nil {
			return nil, err
		}
		if k == "Event" {
			e, err := decodeEvent(d)
			var ke *kindErr
			if err != nil && !errors.As(err, &ke) {
				return nil, err
			}
			ev, kind = e, err
			if ev == nil && kind != nil {
				ev = &Event{} // present, but not an object
			}
			continue
		}
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return nil, err
		}
	}
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	return ev, kind
}
