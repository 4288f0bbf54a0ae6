package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"liaison"
)

// FuzzDecode: Decode never panics, fails only with EINVALID, and accepts
// only valid JSON whose raw bytes it keeps unchanged.
func FuzzDecode(f *testing.F) {
	for _, raw := range validObjects {
		f.Add([]byte(raw))
	}
	f.Add([]byte(hubMarkingObj(`"extension_type":"property-extension","classification":"NATO SECRET"`)))
	f.Add([]byte(`{"type":"tool","name":"\u0000"}`))
	// ACS 3.0: access rules, further sharing, a control set.
	f.Add([]byte(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--0d7e2d3a-6a7e-4e8b-9a55-3f1c2b7d9e01","created":"2026-01-01T00:00:00.000Z","extensions":{"` + liaison.ACSExtensionID + `":{"extension_type":"property-extension","access_privilege":[{"privilege_action":"DSPLY","privilege_scope":{"permitted_nationalities":["FRA","JPN"],"shareability":["ALL"]},"rule_effect":"permit"},{"privilege_action":"TENOT","privilege_scope":{"permitted_organizations":["USA.DHS"]},"rule_effect":"deny"}],"further_sharing":[{"sharing_scope":["ALL"],"rule_effect":"permit"}],"control_set":{"classification":"U"}}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		in := bytes.Clone(raw)
		c, err := Decode(0, raw)
		if !bytes.Equal(in, raw) {
			t.Fatal("Decode changed its input")
		}
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("error code %q: %v", liaison.ErrorCode(err), err)
			}
			return
		}
		if !json.Valid(raw) {
			t.Fatalf("accepted invalid JSON %q", raw)
		}
		if !bytes.Equal(c.Raw, raw) {
			t.Fatal("Raw differs from the input")
		}
		if _, _, ok := SplitID(c.ID); !ok {
			t.Fatalf("accepted id %q", c.ID)
		}
	})
}

// FuzzReader: the Reader never panics, returns only JSON objects (or
// objects Decode then rejects), and fails only with EINVALID.
func FuzzReader(f *testing.F) {
	f.Add([]byte(`{"type":"bundle","id":"bundle--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","objects":[` + validObjects["tool"] + `,` + validObjects["file"] + `]}`))
	f.Add([]byte(`{"objects":[],"more":false}`))
	f.Add([]byte(`{"objects":[{"a":"]}"}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		for i := 0; ; i++ {
			raw, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if liaison.ErrorCode(err) != liaison.EINVALID && liaison.ErrorCode(err) != liaison.ETOOLARGE {
					t.Fatalf("error code %q: %v", liaison.ErrorCode(err), err)
				}
				return
			}
			if len(raw) == 0 || raw[0] != '{' || raw[len(raw)-1] != '}' || r.Index() != i {
				t.Fatalf("object %d = %q", r.Index(), raw)
			}
			if _, err := Decode(r.Index(), raw); err == nil && !json.Valid(raw) {
				t.Fatalf("invalid JSON decoded: %q", raw)
			}
		}
	})
}
