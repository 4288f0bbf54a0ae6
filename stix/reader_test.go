package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"liaison"
)

// readAll drains a Reader.
func readAll(r *Reader) ([][]byte, error) {
	var out [][]byte
	for {
		raw, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, raw)
	}
}

func TestReader(t *testing.T) {
	a, b := validObjects["tool"], validObjects["malware"]
	tests := []struct {
		name    string
		in      string
		n       int
		err     string // substring of the error, "" for none
		warning bool
	}{
		{"bundle", `{"type":"bundle","id":"bundle--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","objects":[` + a + `,` + b + `]}`, 2, "", false},
		{"envelope", `{"more":true,"next":"abc","objects":[` + a + "]}\n", 1, "", false},
		{"objects first", " \n{\"objects\":[" + a + `],"type":"bundle","id":"bundle--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`, 1, "", false},
		{"empty objects", `{"type":"bundle","id":"bundle--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","objects":[]}`, 0, "", false},
		{"no objects", `{"type":"bundle","id":"bundle--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`, 0, "", false},
		{"empty envelope", `{}`, 0, "", false},
		{"spec_version", `{"type":"bundle","id":"bundle--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","spec_version":"2.0","objects":[` + a + `]}`, 1, "", true},
		{"strings with brackets", `{"objects":[{"type":"x-a","id":"x-a--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","n":"}]\"{["}]}`, 1, "", false},
		{"empty input", ``, 0, "byte 0", false},
		{"not json", `hello`, 0, "byte 0", false},
		{"array top", `[` + a + `]`, 0, "byte 0", false},
		{"truncated", `{"type":"bundle","objects":[` + a[:40], 0, "truncated", false},
		{"truncated after object", `{"type":"bundle","objects":[` + a, 1, "truncated", false},
		{"objects not list", `{"objects":{}}`, 0, `byte 11: expected a list as the value of "objects"`, false},
		{"item not object", `{"objects":[` + a + `,42]}`, 1, "objects item 1 is not an object", false},
		{"wrong type", `{"type":"report","objects":[]}`, 0, `byte 8: top-level "type" is "report"`, false},
		{"type after objects", `{"objects":[` + a + `],"type":"x"}`, 1, `top-level "type"`, false},
		{"bad id", `{"type":"bundle","id":"bundle--x","objects":[]}`, 0, "bundle--UUID", false},
		{"duplicate objects", `{"objects":[],"objects":[]}`, 0, "duplicate key", false},
		{"trailing", `{"objects":[]} {}`, 0, "after the bundle", false},
		{"unbalanced", `{"objects":[{"a":[}]}`, 0, "unbalanced", false},
		{"bad member value", `{"x":tru,"objects":[]}`, 0, "not valid JSON", false},
		{"missing comma", `{"objects":[` + a + ` ` + b + `]}`, 1, "expected , or ]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time exercises every buffer refill.
			r := NewReader(iotest.OneByteReader(strings.NewReader(tt.in)))
			got, err := readAll(r)
			if len(got) != tt.n {
				t.Errorf("read %d objects, want %d", len(got), tt.n)
			}
			if tt.err == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tt.err != "" {
				var le *liaison.Error
				if !errors.As(err, &le) || le.Code != liaison.EINVALID || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want EINVALID containing %q", err, tt.err)
				}
				if _, again := r.Next(); again != err {
					t.Errorf("error not sticky: %v", again)
				}
			}
			if (len(r.Warnings()) > 0) != tt.warning {
				t.Errorf("warnings %q", r.Warnings())
			}
			for i, raw := range got {
				if !json.Valid(raw) {
					t.Errorf("object %d not JSON: %s", i, raw)
				}
			}
		})
	}
}

func TestReaderKeepsBytesAndIndex(t *testing.T) {
	a := "{ \"type\" : \"tool\",\n \"id\":\"tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\" }"
	r := NewReader(strings.NewReader(`{"objects":[` + a + `,` + a + `]}`))
	first, _ := r.Next()
	if string(first) != a || r.Index() != 0 {
		t.Fatalf("first = %q, index %d", first, r.Index())
	}
	second, _ := r.Next()
	if string(second) != a || r.Index() != 1 {
		t.Fatalf("second = %q", second)
	}
	first[0] = 'x' // fresh slices: changing one leaves the other
	if second[0] != '{' {
		t.Error("slices share memory")
	}
}

// TestReaderLarge streams a bundle much larger than the buffer.
func TestReaderLarge(t *testing.T) {
	var buf bytes.Buffer
	bw := NewBundleWriter(&buf)
	big := obj("tool", `"name":"`+strings.Repeat("x", 300<<10)+`"`)
	for i := 0; i < 500; i++ {
		raw := validObjects["tool"]
		if i%100 == 0 {
			raw = big
		}
		if err := bw.Write([]byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf)
	got, err := readAll(r)
	if err != nil || len(got) != 500 {
		t.Fatalf("read %d, %v", len(got), err)
	}
	if string(got[100]) != big {
		t.Error("big object changed")
	}
}

func TestBundleWriter(t *testing.T) {
	var buf bytes.Buffer
	w := NewBundleWriter(&buf)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var empty map[string]any
	if err := json.Unmarshal(buf.Bytes(), &empty); err != nil || empty["type"] != "bundle" || empty["objects"] != nil {
		t.Fatalf("empty bundle %s: %v", buf.Bytes(), err)
	}
	if _, _, ok := SplitID(empty["id"].(string)); !ok {
		t.Errorf("bundle id %v", empty["id"])
	}

	buf.Reset()
	w = NewBundleWriter(&buf)
	objs := []string{validObjects["tool"], " {\"type\":\"x-a\" ,\"id\":\"x-a--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\"}"}
	for _, o := range objs {
		if err := w.Write([]byte(o)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write([]byte(`{"a":`)); err == nil || liaison.ErrorCode(err) != liaison.EINVALID {
		t.Errorf("bad object accepted: %v", err)
	}
	if err := w.Write([]byte(`[1]`)); err == nil {
		t.Error("array accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]byte(objs[0])); err == nil {
		t.Error("write after close accepted")
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("bundle not JSON: %s", buf.Bytes())
	}
	got, err := readAll(NewReader(&buf))
	if err != nil || len(got) != 2 {
		t.Fatalf("read back %d, %v", len(got), err)
	}
	for i := range objs {
		if string(got[i]) != strings.TrimSpace(objs[i]) && string(got[i]) != objs[i] {
			t.Errorf("object %d = %q, want %q", i, got[i], objs[i])
		}
	}
}

// TestMixedBundle streams a bundle of valid and invalid objects: the valid
// ones decode and each invalid one is rejected naming its fault.
func TestMixedBundle(t *testing.T) {
	bad := map[int]string{
		1: `object 1 (indicator--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061): property "valid_from": "yesterday" is not an RFC 3339 timestamp`,
		3: `object 3 (relationship--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061): property "target_ref": is required`,
		4: `object 4: is not valid JSON`,
		6: `object 6 (malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061): property "is_family": is required`,
	}
	objs := []string{
		validObjects["tool"],
		obj("indicator", `"pattern":"[a:b=1]","pattern_type":"stix","valid_from":"yesterday"`),
		validObjects["ipv4-addr"],
		obj("relationship", `"relationship_type":"uses","source_ref":"`+idMal+`"`),
		`{"type":"tool","name":01}`,
		validObjects["marking-tlp1"],
		obj("malware", `"name":"x"`),
		validObjects["custom"],
	}
	in := `{"type":"bundle","id":"bundle--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","objects":[` + strings.Join(objs, ",") + `]}`
	r := NewReader(strings.NewReader(in))
	n := 0
	for {
		raw, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = Decode(r.Index(), raw)
		want, isBad := bad[r.Index()]
		switch {
		case isBad && err == nil:
			t.Errorf("object %d accepted", r.Index())
		case isBad && !strings.Contains(err.Error(), want):
			t.Errorf("object %d: %v, want %q", r.Index(), err, want)
		case !isBad && err != nil:
			t.Errorf("object %d rejected: %v", r.Index(), err)
		}
		n++
	}
	if n != len(objs) {
		t.Errorf("read %d objects", n)
	}
}
