package match

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Object is one decoded STIX Cyber-observable Object: its JSON members as
// encoding/json decodes them into any, except that numbers are int64
// (integers that fit) or float64. DecodeObject makes one. Values of type
// json.Number or int are accepted too, for callers who build objects by
// hand; anything else is a value of no comparable type.
type Object map[string]any

// DecodeObject decodes one JSON object into an Object. The error says
// where the JSON is malformed.
func DecodeObject(raw []byte) (Object, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object: null")
	}
	if d.More() {
		return nil, fmt.Errorf("not a JSON object: data after the object at byte %d", d.InputOffset())
	}
	for k, v := range m {
		m[k] = normalize(v)
	}
	return Object(m), nil
}

// normalize turns json.Number into int64 or float64, recursively.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		return number(x)
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}

// number reads a JSON number as int64 when it is an integer that fits,
// and as float64 otherwise.
func number(n json.Number) any {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s // out of range: keep the text, comparable with nothing numeric
	}
	return f
}

// Type returns the object's "type" property, or "" when it has none.
func (o Object) Type() string {
	s, _ := o["type"].(string)
	return s
}

// ID returns the object's "id" property, or "" when it has none.
func (o Object) ID() string {
	s, _ := o["id"].(string)
	return s
}
