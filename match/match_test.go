package match

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2019, 10, 20, 0, 0, 0, 0, time.UTC)

// od builds an observed-data with the deprecated objects map (keys "0",
// "1", …), seen count times between first and last (seconds after t0).
func od(id string, first, last, count int, objs ...string) string {
	var m []string
	for i, o := range objs {
		m = append(m, fmt.Sprintf("%q: %s", fmt.Sprint(i), o))
	}
	ts := func(s int) string { return t0.Add(time.Duration(s) * time.Second).Format("2006-01-02T15:04:05.000Z") }
	return fmt.Sprintf(`{"type": "observed-data", "id": "observed-data--%s", "first_observed": %q, "last_observed": %q, "number_observed": %d, "objects": {%s}}`,
		id, ts(first), ts(last), count, strings.Join(m, ", "))
}

// batch turns STIX objects into observations, failing the test on error.
func batch(t testing.TB, objs ...string) []Observation {
	t.Helper()
	raws := make([]json.RawMessage, len(objs))
	for i, o := range objs {
		raws[i] = json.RawMessage(o)
	}
	obs, err := FromObjects(raws, t0)
	if err != nil {
		t.Fatalf("FromObjects: %v", err)
	}
	return obs
}

type matchCase struct {
	name    string // section of STIX 2.1 the case comes from, and what it shows
	pattern string
	objs    []string // one observed-data each, or lone SCOs
	want    bool
}

func runCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		p, err := Compile(c.pattern)
		if err != nil {
			t.Errorf("%s: Compile(%s): %v", c.name, c.pattern, err)
			continue
		}
		b := batch(t, c.objs...)
		if _, got := p.Match(b); got != c.want {
			t.Errorf("%s: %s: got %v, want %v", c.name, c.pattern, got, c.want)
		}
		// The index must say the same.
		x := NewIndex(func() time.Time { return t0 })
		if err := x.Add(&Indicator{ID: "indicator--1", Pattern: p}); err != nil {
			t.Fatal(err)
		}
		hits := x.MatchBatch(b, func(string) bool { return true })
		if (len(hits) == 1) != c.want {
			t.Errorf("%s: %s: index hits %v, want match %v", c.name, c.pattern, hits, c.want)
		}
	}
}

const (
	ip1     = `{"type": "ipv4-addr", "value": "198.51.100.1"}`
	ip2     = `{"type": "ipv4-addr", "value": "203.0.113.33"}`
	net27   = `{"type": "ipv4-addr", "value": "198.51.100.0/27"}`
	ip6     = `{"type": "ipv6-addr", "value": "2001:db8:dead:beef::1"}`
	dom     = `{"type": "domain-name", "value": "example.com"}`
	fileDLL = `{"type": "file", "name": "foo.dll", "size": 4112, "hashes": {"SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f", "MD5": "cead3f77f6cda6ec00f57d76c9a6879f"}, "mime_type": "application/x-pdf", "magic_number_hex": "ffd8", "created": "2014-01-13T07:03:17Z"}`
	pe      = `{"type": "file", "name": "a.exe", "extensions": {"windows-pebinary-ext": {"pe_type": "exe", "sections": [{"name": ".text", "entropy": 6.5}, {"name": ".rsrc", "entropy": 7.8}]}}}`
	proc    = `{"type": "process", "name": "fooproc", "command_line": "C:\\x>-add GlobalSign.cer -c -s -r localMachine Root"}`
)

// TestComparisonOperators: section 9.6.1, one case or more for each
// operator, most from the table's own examples.
func TestComparisonOperators(t *testing.T) {
	o := func(objs ...string) []string { return []string{od("1", 0, 0, 1, objs...)} }
	runCases(t, []matchCase{
		{"9.6.1 = (example file:name = 'foo.dll')", `[file:name = 'foo.dll']`, o(fileDLL), true},
		{"9.6.1 = is exact", `[file:name = 'FOO.dll']`, o(fileDLL), false},
		{"9.6.1 != (example file:size != 4112)", `[file:size != 4112]`, o(fileDLL), false},
		{"9.6.1 != other value", `[file:size != 4113]`, o(fileDLL), true},
		{"9.6.1 != incompatible types is true", `[file:size != '4112']`, o(fileDLL), true},
		{"9.6.1 = incompatible types is false", `[file:size = '4112']`, o(fileDLL), false},
		{"9.6 != absent path is false", `[file:nothing != 'x']`, o(fileDLL), false},
		{"9.6.1 > (example file:size > 256)", `[file:size > 256]`, o(fileDLL), true},
		{"9.6.1 <", `[file:size < 1024]`, o(fileDLL), false},
		{"9.6.1 <=", `[file:size <= 4112]`, o(fileDLL), true},
		{"9.6.1 >=", `[file:size >= 4113]`, o(fileDLL), false},
		{"9.6.1 > lexical", `[file:name > 'foo.a']`, o(fileDLL), true},
		{"9.6.1 > string with integer is false", `[file:name > 1]`, o(fileDLL), false},
		{"9.6.1 IN (example process:name IN (…))", `[process:name IN ('proccy', 'fooproc', 'badproc')]`, o(proc), true},
		{"9.6.1 IN, no member", `[process:name IN ('proccy', 'proximus')]`, o(proc), false},
		{"9.6.1 NOT IN", `[process:name NOT IN ('proccy', 'proximus')]`, o(proc), true},
		{"9.6.1 IN ()", `[process:name IN ()]`, o(proc), false},
		{"9.6.1 LIKE (example directory:path)", `[directory:path LIKE 'C:\\Windows\\%\\foo']`, o(`{"type": "directory", "path": "C:\\Windows\\System32\\foo"}`), true},
		{"9.6.1 LIKE _ is one character", `[file:name LIKE 'foo_dll']`, o(fileDLL), true},
		{"9.6.1 LIKE _ is not two", `[file:name LIKE 'fo_dll']`, o(fileDLL), false},
		{"9.6.1 LIKE is anchored", `[file:name LIKE 'foo']`, o(fileDLL), false},
		{"9.6.1 LIKE % at both ends", `[file:name LIKE '%o.d%']`, o(fileDLL), true},
		{"9.6.1 LIKE NFC-normalises", "[file:name LIKE 'caf\u00e9%']", o(`{"type": "file", "name": "cafe\u0301.txt"}`), true},
		{"9.6.1 MATCHES (example directory:path)", `[directory:path MATCHES '^C:\\\\Windows\\w+$']`, o(`{"type": "directory", "path": "C:\\Windows\\System32"}`), false},
		{"9.6.1 MATCHES searches", `[file:name MATCHES 'o\\.d']`, o(fileDLL), true},
		{"9.6.1 MATCHES DOTALL", `[file:name MATCHES '^a.b$']`, o(`{"type": "file", "name": "a\nb"}`), true},
		{"9.6.1 MATCHES NFC-normalises the value", "[file:name MATCHES '^caf\u00e9']", o(`{"type": "file", "name": "cafe\u0301"}`), true},
		{"9.6.1 MATCHES on an integer is false", `[file:size MATCHES '4']`, o(fileDLL), false},
		{"9.6.1 ISSUBSET (example 198.51.100.0/27 in /24)", `[ipv4-addr:value ISSUBSET '198.51.100.0/24']`, o(net27), true},
		{"9.6.1 ISSUBSET address", `[ipv4-addr:value ISSUBSET '198.51.100.0/24']`, o(ip1), true},
		{"9.6.1 ISSUBSET outside", `[ipv4-addr:value ISSUBSET '198.51.100.0/24']`, o(ip2), false},
		{"9.6.1 ISSUBSET identical is true", `[ipv4-addr:value ISSUBSET '198.51.100.0/27']`, o(net27), true},
		{"9.6.1 NOT ISSUBSET", `[ipv4-addr:value NOT ISSUBSET '198.51.100.0/24']`, o(ip2), true},
		{"9.6.1 ISSUPERSET (example /24 contains /27)", `[ipv4-addr:value ISSUPERSET '198.51.100.0/28']`, o(net27), true},
		{"9.6.1 ISSUPERSET of a wider block", `[ipv4-addr:value ISSUPERSET '198.51.100.0/24']`, o(net27), false},
		{"9.6.1 ISSUPERSET identical address", `[ipv4-addr:value ISSUPERSET '198.51.100.1']`, o(ip1), true},
		{"9.8 ISSUBSET IPv6 (example /64)", `[ipv6-addr:value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']`, o(ip6), true},
		{"9.6.1 ISSUBSET across families is false", `[ipv6-addr:value ISSUBSET '198.51.100.0/24']`, o(ip6), false},
		{"9.6.1 EXISTS (example windows-registry-key:values)", `[EXISTS windows-registry-key:values]`, o(`{"type": "windows-registry-key", "key": "hkey", "values": []}`), true},
		{"9.6.1 EXISTS absent", `[EXISTS windows-registry-key:values]`, o(`{"type": "windows-registry-key", "key": "hkey"}`), false},
		{"9.6.1 NOT =", `[file:name NOT = 'a.exe']`, o(fileDLL), true},
		{"9.6.1 NOT on an absent path is false", `[file:x NOT = 'a.exe']`, o(fileDLL), false},
		{"9.5 comparison on another type is false even with !=", `[ipv4-addr:value != 'x']`, o(fileDLL), false},
		{"9.6 boolean", `[x-thing:flag = true]`, o(`{"type": "x-thing", "flag": true}`), true},
		{"9.6 boolean !=", `[x-thing:flag != true]`, o(`{"type": "x-thing", "flag": true}`), false},
		{"9.6 JSON null is absent", `[x-thing:flag != true]`, o(`{"type": "x-thing", "flag": null}`), false},
		{"9.2 timestamp constant", `[file:created = t'2014-01-13T07:03:17.000Z']`, o(fileDLL), true},
		{"9.2 timestamp ordering", `[file:created < t'2014-01-13T07:03:18Z']`, o(fileDLL), true},
		{"9.2 timestamp against a non-timestamp string", `[file:name = t'2014-01-13T07:03:17Z']`, o(fileDLL), false},
	})
}

// TestConstantsAndTypes: sections 9.2 (integer and float), 9.6.2 (string
// order), 9.6.3 and 9.6.4 (binary).
func TestConstantsAndTypes(t *testing.T) {
	o := func(objs ...string) []string { return []string{od("1", 0, 0, 1, objs...)} }
	art := `{"type": "artifact", "mime_type": "application/octet-stream", "payload_bin": "dGhpcyBpcyBhIHRlc3Q="}`
	f := func(v string) []string { return o(`{"type": "x-n", "v": ` + v + `}`) }
	s := func(v string) []string { return o(`{"type": "x-s", "v": "` + v + `"}`) }
	runCases(t, []matchCase{
		{"9.2 integer 1 is not float 1.5", `[x-n:v = 1]`, f("1.5"), false},
		{"9.2 integer 1 equals float 1.0", `[x-n:v = 1]`, f("1.0"), true},
		{"9.2 float constant and integer property", `[x-n:v = 2.0]`, f("2"), true},
		{"9.2 integer < float", `[x-n:v < 1.5]`, f("1"), true},
		{"9.2 large integers are exact", `[x-n:v = 9007199254740993]`, f("9007199254740993"), true},
		{"9.2 large integers are exact, off by one", `[x-n:v = 9007199254740993]`, f("9007199254740992"), false},
		{"9.2 negative", `[x-n:v > -2]`, f("-1"), true},
		{"9.6.2 'o' < 'oz'", `[x-s:v < 'oz']`, s("o"), true},
		{"9.6.2 'oz' < 'o\u0300'", "[x-s:v < 'o\u0300']", s("oz"), true},
		{"9.6.2 'o\u0300' < 'z'", `[x-s:v < 'z']`, s("o\u0300"), true},
		{"9.6.2 'z' < '\u00f2'", "[x-s:v < '\u00f2']", s("z"), true},
		{"9.6.2 no normalisation for =", "[x-s:v = '\u00f2']", s("o\u0300"), false},
		{"9.6.2 the longer string is greater", `[x-s:v > 'ab']`, s("abc"), true},
		{"9.6.4 payload_bin = base64 text is false", `[artifact:payload_bin = 'dGhpcyBpcyBhIHRlc3Q=']`, o(art), false},
		{"9.6.4 payload_bin = 'this is a test'", `[artifact:payload_bin = 'this is a test']`, o(art), true},
		{"9.6.4 payload_bin = b'…'", `[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']`, o(art), true},
		{"9.6.4 payload_bin = h'…'", `[artifact:payload_bin = h'7468697320697320612074657374']`, o(art), true},
		{"9.6.4 string beyond U+00FF never equals octets", "[artifact:payload_bin = '\u0100']", o(art), false},
		{"9.6.4 … and != is then true", "[artifact:payload_bin != '\u0100']", o(art), true},
		{"9.6.3 octets compare unsigned", `[artifact:payload_bin < h'ff']`, o(art), true},
		{"9.6.3 longer is greater", `[artifact:payload_bin > b'dGhpcw==']`, o(art), true},
		{"9.8 magic_number_hex = h'ffd8'", `[file:mime_type = 'application/x-pdf' AND file:magic_number_hex = h'ffd8']`, o(fileDLL), true},
		{"9.2 hex constant against a string property", `[x-s:v = h'6162']`, s("ab"), true},
		{"9.8 MATCHES over octets (pcap header)", `[artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`,
			o(`{"type": "artifact", "mime_type": "application/vnd.tcpdump.pcap", "payload_bin": "1MOyoQIABAAAAAAA"}`), true},
		{"9.6.1 LIKE over octets", `[artifact:payload_bin LIKE 'this%']`, o(art), true},
		{"9.3 address equality: /32 names the address", `[ipv4-addr:value = '198.51.100.1/32']`, o(ip1), true},
		{"9.3 address equality: other spelling of IPv6", `[ipv6-addr:value = '2001:0db8:dead:beef:0000:0000:0000:0001']`, o(ip6), true},
		{"9.6.2 address equality is only for ipv4-addr and ipv6-addr", `[x-s:v = '198.51.100.1/32']`, s("198.51.100.1"), false},
		{"9.6.2 IN with addresses", `[ipv4-addr:value IN ('10.0.0.1', '198.51.100.1/32')]`, o(ip1), true},
	})
}

// TestObjectPaths: section 9.7: lists, dictionaries, references.
func TestObjectPaths(t *testing.T) {
	o := func(objs ...string) []string { return []string{od("1", 0, 0, 1, objs...)} }
	nt := `{"type": "network-traffic", "src_ref": "1", "dst_ref": "2", "protocols": ["ipv4", "tcp"], "dst_port": 443}`
	email := `{"type": "email-message", "is_multipart": true, "from_ref": "1", "to_refs": ["1", "2"], "body_multipart": [{"body": "hi"}, {"body_raw_ref": "3"}]}`
	from := `{"type": "email-addr", "value": "jdoe@example.com"}`
	to := `{"type": "email-addr", "value": "x@example.com"}`
	att := `{"type": "file", "name": "Final Report 2019.exe"}`
	runCases(t, []matchCase{
		{"9.7.1 basic property", `[network-traffic:dst_port = 443]`, o(nt, ip1, ip2), true},
		{"9.7.2 list index [0]", `[network-traffic:protocols[0] = 'ipv4']`, o(nt, ip1, ip2), true},
		{"9.7.2 list index [1]", `[network-traffic:protocols[1] = 'ipv4']`, o(nt, ip1, ip2), false},
		{"9.7.2 index out of range is false", `[network-traffic:protocols[5] != 'x']`, o(nt, ip1, ip2), false},
		{"9.7.2 negative index counts from the end", `[network-traffic:protocols[-1] = 'tcp']`, o(nt, ip1, ip2), true},
		{"9.7.2 [*] is any item", `[network-traffic:protocols[*] = 'tcp']`, o(nt, ip1, ip2), true},
		{"9.7.2 [*] != is some item differs", `[network-traffic:protocols[*] != 'tcp']`, o(nt, ip1, ip2), true},
		{"9.7.2 [*] NOT = is no item equal", `[network-traffic:protocols[*] NOT = 'tcp']`, o(nt, ip1, ip2), false},
		{"9.7.2 a list without an index is not a string", `[network-traffic:protocols = 'tcp']`, o(nt, ip1, ip2), false},
		{"9.7.2 [*] over sections (9.8 entropy example)", `[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`, o(pe), true},
		{"9.7.2 [*] over sections, none", `[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.9]`, o(pe), false},
		{"9.7.3 dictionary key (hashes)", `[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`, o(fileDLL), true},
		{"9.7.3 hashes are compared exactly", `[file:hashes.MD5 = 'CEAD3F77F6CDA6EC00F57D76C9A6879F']`, o(fileDLL), false},
		{"9.7.4 reference (network-traffic:src_ref.value)", `[network-traffic:src_ref.value = '198.51.100.1']`, o(nt, ip1, ip2), true},
		{"9.7.4 reference, type of the referenced object (9.8)", `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']`, o(nt, ip1, ip2), true},
		{"9.7.4 dangling reference is absent", `[network-traffic:src_ref.value != 'x']`, o(nt), false},
		{"9.7.4 list of references [0]", `[email-message:to_refs[0].value = 'jdoe@example.com']`, o(email, from, to, att), true},
		{"9.7.4 list of references [*]", `[email-message:to_refs[*].value = 'x@example.com']`, o(email, from, to, att), true},
		{"9.8 MATCHES through references (email example)", `[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`, o(email, from, to, att), true},
		{"9.7.4 a reference is only followed past it", `[network-traffic:src_ref = '1']`, o(nt, ip1, ip2), true},
		{"9.7.4 a non-reference string is not followed", `[network-traffic:protocols[0].value = 'x']`, o(nt, ip1, ip2), false},
	})
}

// TestObjectRefs: section 9.7.4 with object_refs: only the listed SCOs
// may be followed.
func TestObjectRefs(t *testing.T) {
	nt := `{"type": "network-traffic", "id": "network-traffic--1", "src_ref": "ipv4-addr--1", "dst_ref": "ipv4-addr--2", "protocols": ["tcp"]}`
	a := `{"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.1"}`
	b := `{"type": "ipv4-addr", "id": "ipv4-addr--2", "value": "203.0.113.33"}`
	odr := func(refs ...string) string {
		q, _ := json.Marshal(refs)
		return `{"type": "observed-data", "id": "observed-data--r", "first_observed": "2019-10-20T00:00:00Z", "last_observed": "2019-10-20T00:00:00Z", "number_observed": 1, "object_refs": ` + string(q) + `}`
	}
	runCases(t, []matchCase{
		{"9.7.4 object_refs resolved in the batch", `[network-traffic:src_ref.value = '198.51.100.1']`, []string{nt, a, b, odr("network-traffic--1", "ipv4-addr--1", "ipv4-addr--2")}, true},
		{"9.7.4 an unlisted SCO is not found", `[network-traffic:dst_ref.value = '203.0.113.33']`, []string{nt, a, b, odr("network-traffic--1", "ipv4-addr--1")}, false},
		{"9.7.4 the listed one is", `[network-traffic:src_ref.value = '198.51.100.1']`, []string{nt, a, b, odr("network-traffic--1", "ipv4-addr--1")}, true},
		{"lone SCO is its own observation", `[ipv4-addr:value = '203.0.113.33']`, []string{nt, a, b, odr("network-traffic--1", "ipv4-addr--1")}, true},
		{"lone SCO follows references in the batch", `[network-traffic:dst_ref.value = '203.0.113.33']`, []string{nt, a, b}, true},
	})
}

// TestObservationExpressions: section 9.5 and its examples.
func TestObservationExpressions(t *testing.T) {
	// The observed-data of section 9.5: two network-traffic objects, each
	// with one of the addresses.
	split := od("1", 0, 51, 1,
		`{"type": "network-traffic", "src_ref": "1"}`, `{"type": "ipv4-addr", "value": "203.0.113.10"}`,
		`{"type": "network-traffic", "dst_ref": "3"}`, `{"type": "ipv4-addr", "value": "198.51.100.58"}`)
	joined := od("2", 0, 51, 1,
		`{"type": "network-traffic", "src_ref": "1", "dst_ref": "2"}`, `{"type": "ipv4-addr", "value": "203.0.113.10"}`, `{"type": "ipv4-addr", "value": "198.51.100.58"}`)
	runCases(t, []matchCase{
		{"9.5 comparisons start from one SCO (the spec's non-match)", `[network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:dst_ref.value = '198.51.100.58']`, []string{split}, false},
		{"9.5 … and the match when one SCO has both", `[network-traffic:src_ref.value = '203.0.113.10' AND network-traffic:dst_ref.value = '198.51.100.58']`, []string{joined}, true},
		{"9.5 AND across types needs one object of both types", `[ipv4-addr:value = '203.0.113.10' AND network-traffic:src_ref.value = '203.0.113.10']`, []string{joined}, false},
		{"9.5 OR across types (type-a or type-b)", `[(domain-name:value = 'x' AND domain-name:value = 'x') OR (ipv4-addr:value = '198.51.100.1' AND ipv4-addr:value != 'y')]`, []string{od("3", 0, 0, 1, ip1)}, true},
		{"9.5 AND binds tighter than OR", `[file:name = 'x' AND file:size = 1 OR file:name = 'foo.dll']`, []string{od("4", 0, 0, 1, fileDLL)}, true},
		{"9.5 parentheses", `[file:name = 'x' AND (file:size = 1 OR file:name = 'foo.dll')]`, []string{od("4", 0, 0, 1, fileDLL)}, false},
		{"9.8 file hash or md5, AND another file in another observation", `[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
			[]string{od("4", 0, 0, 1, fileDLL)}, false},
		{"9.8 … matched by two observations", `[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
			[]string{od("4", 0, 0, 1, fileDLL), od("5", 0, 0, 1, fileDLL)}, true},
		{"9.8 … or by one observed-data with number_observed 2", `[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:name = 'foo.dll']`,
			[]string{od("4", 0, 0, 2, fileDLL)}, true},
		{"9.8 three user accounts", `[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']`,
			[]string{od("6", 0, 0, 1, `{"type": "user-account", "account_type": "unix", "user_id": "1007", "account_login": "Peter"}`),
				od("7", 0, 0, 1, `{"type": "user-account", "account_type": "unix", "user_id": "1008", "account_login": "Paul"}`),
				od("8", 0, 0, 1, `{"type": "user-account", "account_type": "unix", "user_id": "1009", "account_login": "Mary"}`)}, true},
		{"9.8 file and key, or a process", `([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']`,
			[]string{od("9", 0, 0, 1, proc)}, true},
		{"9.8 file and key, or a process: file alone", `([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']`,
			[]string{od("9", 0, 0, 1, fileDLL)}, false},
	})
}

// TestQualifiersAndOperators: sections 9.5.1 and 9.5.2. Times are seconds
// after t0: od(id, first, last, number_observed, …).
func TestQualifiersAndOperators(t *testing.T) {
	a := func(id string, first, last, n int) string { return od(id, first, last, n, `{"type": "x-a", "v": 1}`) }
	b := func(id string, first, last, n int) string { return od(id, first, last, n, `{"type": "x-b", "v": 1}`) }
	runCases(t, []matchCase{
		{"9.5.2 FOLLOWEDBY in order", `[x-a:v = 1] FOLLOWEDBY [x-b:v = 1]`, []string{a("1", 0, 10, 1), b("2", 20, 30, 1)}, true},
		{"9.5.2 FOLLOWEDBY out of order", `[x-a:v = 1] FOLLOWEDBY [x-b:v = 1]`, []string{a("1", 20, 30, 1), b("2", 0, 10, 1)}, false},
		{"9.5.2 FOLLOWEDBY at the same instant (>=)", `[x-a:v = 1] FOLLOWEDBY [x-b:v = 1]`, []string{a("1", 0, 10, 1), b("2", 10, 30, 1)}, true},
		{"9.5.2 FOLLOWEDBY overlapping windows is not certain", `[x-a:v = 1] FOLLOWEDBY [x-b:v = 1]`, []string{a("1", 0, 10, 1), b("2", 5, 30, 1)}, false},
		{"9.5.2 FOLLOWEDBY needs different observations", `[x-a:v = 1] FOLLOWEDBY [x-a:v = 1]`, []string{a("1", 0, 0, 1)}, false},
		{"9.5.2 FOLLOWEDBY twice the same instant", `[x-a:v = 1] FOLLOWEDBY [x-a:v = 1]`, []string{a("1", 0, 0, 2)}, true},
		{"9.5.2 AND needs different observations", `[x-a:v = 1] AND [x-a:v = 1]`, []string{a("1", 0, 0, 1)}, false},
		{"9.5.2 AND in any order", `[x-a:v = 1] AND [x-b:v = 1]`, []string{b("1", 0, 0, 1), a("2", 50, 50, 1)}, true},
		{"9.5.2 OR", `[x-a:v = 2] OR [x-b:v = 1]`, []string{b("1", 0, 0, 1)}, true},
		{"9.5.1 REPEATS: 5 observed-data", `[x-a:v = 1] REPEATS 5 TIMES`, []string{a("1", 0, 0, 1), a("2", 1, 1, 1), a("3", 2, 2, 1), a("4", 3, 3, 1), a("5", 4, 4, 1)}, true},
		{"9.5.1 REPEATS: 4 are not 5", `[x-a:v = 1] REPEATS 5 TIMES`, []string{a("1", 0, 0, 1), a("2", 1, 1, 1), a("3", 2, 2, 1), a("4", 3, 3, 1)}, false},
		{"9.5.1 REPEATS: number_observed counts", `[x-a:v = 1] REPEATS 5 TIMES`, []string{a("1", 0, 100, 5)}, true},
		{"9.5.1 REPEATS: number_observed 4 plus one", `[x-a:v = 1] REPEATS 5 TIMES`, []string{a("1", 0, 100, 4), a("2", 0, 100, 1)}, true},
		{"9.5.1 [b] FOLLOWEDBY [c] REPEATS 5 TIMES: b then five c", `[x-b:v = 1] FOLLOWEDBY [x-a:v = 1] REPEATS 5 TIMES`, []string{b("0", 0, 0, 1), a("1", 10, 20, 5)}, true},
		{"9.5.1 … c before b do not count", `[x-b:v = 1] FOLLOWEDBY [x-a:v = 1] REPEATS 5 TIMES`, []string{a("1", 0, 0, 5), b("0", 10, 10, 1)}, false},
		{"9.5.2 ([a] FOLLOWEDBY [c]) REPEATS 2 TIMES: two pairs", `([x-b:v = 1] FOLLOWEDBY [x-a:v = 1]) REPEATS 2 TIMES`, []string{b("1", 0, 0, 1), a("2", 1, 1, 1), b("3", 2, 2, 1), a("4", 3, 3, 1)}, true},
		{"9.5.2 … one pair is not two", `([x-b:v = 1] FOLLOWEDBY [x-a:v = 1]) REPEATS 2 TIMES`, []string{b("1", 0, 0, 1), a("2", 1, 1, 1), a("4", 3, 3, 1)}, false},
		{"9.5.1 WITHIN (120 s example)", `([x-a:v = 1] AND [x-b:v = 1]) WITHIN 120 SECONDS`, []string{a("1", 0, 0, 1), b("2", 100, 100, 1)}, true},
		{"9.5.1 WITHIN, too far", `([x-a:v = 1] AND [x-b:v = 1]) WITHIN 120 SECONDS`, []string{a("1", 0, 0, 1), b("2", 121, 121, 1)}, false},
		{"9.5.1 WITHIN: equal to the window is too late", `([x-a:v = 1] AND [x-b:v = 1]) WITHIN 120 SECONDS`, []string{a("1", 0, 0, 1), b("2", 120, 120, 1)}, false},
		{"9.5.1 WITHIN a fraction", `([x-a:v = 1] AND [x-b:v = 1]) WITHIN 0.5 SECONDS`, []string{a("1", 0, 0, 1), b("2", 0, 0, 1)}, true},
		{"9.5.1 WITHIN counts observed-data windows", `([x-a:v = 1] AND [x-b:v = 1]) WITHIN 120 SECONDS`, []string{a("1", 0, 200, 1), b("2", 100, 100, 1)}, false},
		{"9.5.1 WITHIN over one observation holds", `[x-a:v = 1] WITHIN 1 SECONDS`, []string{a("1", 0, 200, 1)}, true},
		{"9.8 beaconing: REPEATS 5 TIMES WITHIN 1800 SECONDS", `[x-a:v = 1] REPEATS 5 TIMES WITHIN 1800 SECONDS`, []string{a("1", 0, 0, 1), a("2", 400, 400, 1), a("3", 800, 800, 1), a("4", 1200, 1200, 1), a("5", 1600, 1600, 1)}, true},
		{"9.8 beaconing, spread too wide", `[x-a:v = 1] REPEATS 5 TIMES WITHIN 1800 SECONDS`, []string{a("1", 0, 0, 1), a("2", 400, 400, 1), a("3", 800, 800, 1), a("4", 1200, 1200, 1), a("5", 2000, 2000, 1)}, false},
		{"9.8 beaconing, six with five inside", `[x-a:v = 1] REPEATS 5 TIMES WITHIN 1800 SECONDS`, []string{a("1", 0, 0, 1), a("2", 400, 400, 1), a("3", 800, 800, 1), a("4", 1200, 1200, 1), a("5", 1600, 1600, 1), a("6", 3000, 3000, 1)}, true},
		{"9.5.1 START/STOP inside", `[x-a:v = 1] START t'2019-10-20T00:00:00Z' STOP t'2019-10-20T00:01:00Z'`, []string{a("1", 0, 59, 1)}, true},
		{"9.5.1 START/STOP: STOP is exclusive", `[x-a:v = 1] START t'2019-10-20T00:00:00Z' STOP t'2019-10-20T00:01:00Z'`, []string{a("1", 0, 60, 1)}, false},
		{"9.5.1 START/STOP: before START", `[x-a:v = 1] START t'2019-10-20T00:00:01Z' STOP t'2019-10-20T00:01:00Z'`, []string{a("1", 0, 10, 1)}, false},
		{"9.5.1 qualifier on one side (START/STOP OR)", `[x-a:v = 1] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z' OR [x-b:v = 1]`, []string{b("1", 0, 0, 1)}, true},
		{"9.5 ([a] AND [b] REPEATS 2 TIMES) WITHIN: one a, two b", `([x-a:v = 1] AND [x-b:v = 1] REPEATS 2 TIMES) WITHIN 300 SECONDS`, []string{a("1", 0, 0, 1), b("2", 10, 10, 1), b("3", 20, 20, 1)}, true},
		{"9.5 ([a] AND [b]) REPEATS 2 TIMES: two a, two b", `([x-a:v = 1] AND [x-b:v = 1]) REPEATS 2 TIMES`, []string{a("1", 0, 0, 1), b("2", 10, 10, 1), b("3", 20, 20, 1)}, false},
		{"9.8 MD5 FOLLOWEDBY registry key WITHIN 300 SECONDS", `([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`,
			[]string{od("1", 0, 0, 1, `{"type": "file", "hashes": {"MD5": "79054025255fb1a26e4bc422aef54eb4"}}`), od("2", 299, 299, 1, `{"type": "windows-registry-key", "key": "HKEY_LOCAL_MACHINE\\foo\\bar"}`)}, true},
		{"9.8 two processes FOLLOWEDBY WITHIN 300 SECONDS", `[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS`,
			[]string{od("1", 0, 0, 1, proc), od("2", 10, 10, 1, `{"type": "process", "command_line": "C:\\x>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher"}`)}, true},
		{"REPEATS with a huge count is refused by the batch's size", `[x-a:v = 1] REPEATS 999999999999 TIMES`, []string{a("1", 0, 0, 1000000)}, false},
		{"REPEATS with a large count met by number_observed", `[x-a:v = 1] REPEATS 1000000 TIMES`, []string{a("1", 0, 0, 1000000)}, true},
	})
}

// TestSpecExamplesCompile: every example of section 9.8 compiles.
func TestSpecExamplesCompile(t *testing.T) {
	for _, src := range []string{
		`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
		`[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`,
		`[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`,
		`[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']`,
		`[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']`,
		`[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']`,
		`[x-usb-device:usbdrive.serial_number = '575833314133343231313937']`,
		`[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']`,
		`[directory:path MATCHES '^C:\\\\Windows\\w+$']`,
	} {
		if _, err := Compile(src); err != nil {
			t.Errorf("Compile(%s): %v", src, err)
		}
	}
}

// TestCompileRefuses: patterns the matcher cannot run as meant, with the
// place and the reason in the message.
func TestCompileRefuses(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{`[file:name MATCHES '(a)\\1']`, `pattern byte 1 (file:name): MATCHES regular expression '(a)\\1' cannot run on Go's RE2 engine: it uses the backreference "\\1"`},
		{`[file:name MATCHES 'foo(?=bar)']`, "lookahead assertion"},
		{`[file:name MATCHES 'foo(?!bar)']`, "negative lookahead"},
		{`[file:name MATCHES '(?<=a)b']`, "lookbehind"},
		{`[file:name MATCHES '(?<!a)b']`, "negative lookbehind"},
		{`[file:name MATCHES '(?>a+)b']`, "atomic group"},
		{`[file:name MATCHES 'a++']`, "possessive quantifier"},
		{`[file:name MATCHES '(a|b(?R))']`, "recursion"},
		{`[file:name MATCHES '(a)(?1)']`, "subroutine call"},
		{`[file:name MATCHES '(?(1)a|b)']`, "conditional group"},
		{`[file:name MATCHES '(?<n>a)\\k<n>']`, "named backreference"},
		{`[file:name MATCHES 'a\\Z']`, `\Z anchor`},
		{`[file:name MATCHES '\\Ga']`, `\G anchor`},
		{`[file:name MATCHES 'a\\v']`, `\v`},
		{`[file:name MATCHES '(*UTF8)a']`, "PCRE verb"},
		{`[file:name MATCHES 'a{1001}']`, "at most 1000"},
		{`[file:name MATCHES '(?x) a b']`, "extended mode"},
		{`[file:name MATCHES 'a(?#note)']`, "inline comment"},
		{`[file:name MATCHES '[a']`, "RE2 cannot compile it: missing closing ]"},
		{`[file:size = 1] AND [file:name MATCHES '\\e']`, `pattern byte 21 (file:name)`},
		{`[ipv4-addr:value ISSUBSET 'example.com']`, "ISSUBSET needs an IPv4 or IPv6 address or CIDR block"},
		{`[file:size IN (1, 'a')]`, "IN mixes a integer (1) and a string ('a')"},
		{`[file:name = 'a'`, "pattern column 17"},
	} {
		_, err := Compile(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Compile(%s) = %v, want %q", tt.src, err, tt.want)
		}
	}
	// What RE2 runs as PCRE does is taken.
	for _, src := range []string{
		`[file:name MATCHES '(?i)^foo\\.(dll|exe)$']`, `[file:name MATCHES '\\d{2,1000}']`, `[file:name MATCHES '(?P<x>a)(?<y>b)\\Qa.b\\E\\\\v']`,
		`[file:name MATCHES '\\x{263a}\\p{Greek}[[:alpha:]]\\Aa\\z']`, `[file:name MATCHES 'a\\(*b']`,
	} {
		if _, err := Compile(src); err != nil {
			t.Errorf("Compile(%s): %v", src, err)
		}
	}
}

func TestFromObjectsErrors(t *testing.T) {
	for _, tt := range []struct{ obj, want string }{
		{`{"type": "observed-data", "id": "observed-data--1", "first_observed": "x", "last_observed": "2019-10-20T00:00:00Z"}`, `object 0 (observed-data--1): property "first_observed": "x" is not a STIX timestamp`},
		{`{"type": "observed-data", "id": "observed-data--1", "last_observed": "2019-10-20T00:00:00Z"}`, `property "first_observed": is required`},
		{`{"type": "observed-data", "id": "observed-data--1", "first_observed": "2019-10-20T00:00:01Z", "last_observed": "2019-10-20T00:00:00Z"}`, `"last_observed": is before first_observed`},
		{`{"type": "observed-data", "id": "observed-data--1", "first_observed": "2019-10-20T00:00:00Z", "last_observed": "2019-10-20T00:00:00Z", "number_observed": 0}`, `"number_observed": must be an integer of at least 1`},
		{`{"type": "observed-data", "id": "observed-data--1", "first_observed": "2019-10-20T00:00:00Z", "last_observed": "2019-10-20T00:00:00Z", "object_refs": "x"}`, `"object_refs": must be a list`},
		{`{"type": "observed-data", "id": "observed-data--1", "first_observed": "2019-10-20T00:00:00Z", "last_observed": "2019-10-20T00:00:00Z", "objects": {"0": 1}}`, `member "0" is not an object`},
		{`[1, 2]`, `object 0: not a JSON object`},
	} {
		_, err := FromObjects([]json.RawMessage{json.RawMessage(tt.obj)}, t0)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromObjects(%s) = %v, want %q", tt.obj, err, tt.want)
		}
	}
}

func TestFromBundle(t *testing.T) {
	raw := `{"type": "bundle", "id": "bundle--1", "objects": [
		{"type": "indicator", "id": "indicator--1"},
		{"type": "ipv4-addr", "id": "ipv4-addr--1", "value": "198.51.100.1"},
		{"type": "domain-name", "id": "domain-name--1", "value": "example.com", "resolves_to_refs": ["ipv4-addr--1"]},
		{"type": "observed-data", "id": "observed-data--1", "first_observed": "2019-10-20T00:00:00Z", "last_observed": "2019-10-20T00:05:00Z", "number_observed": 3, "object_refs": ["domain-name--1", "ipv4-addr--1"]}]}`
	obs, err := FromBundle([]byte(raw), t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 1 || obs[0].ID != "observed-data--1" || obs[0].Count != 3 || len(obs[0].Objects) != 2 || !obs[0].Last.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("observations = %+v", obs)
	}
	p, _ := Compile(`[domain-name:value = 'example.com' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']`)
	if got, ok := p.Match(obs); !ok || len(got) != 1 || got[0] != 0 {
		t.Fatalf("Match = %v %v", got, ok)
	}
}

func TestParseIndicator(t *testing.T) {
	ind, err := ParseIndicator([]byte(`{"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "created": "2016-04-29T14:09:00.000Z", "modified": "2016-04-29T14:09:00.000Z",
		"pattern": "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if ind.ID != "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" || ind.ValidUntil.Year() != 2027 || ind.Pattern == nil {
		t.Fatalf("indicator = %+v", ind)
	}
	for _, tt := range []struct{ obj, want string }{
		{`{"type": "indicator", "id": "indicator--1", "modified": "2016-04-29T14:09:00.000Z", "pattern": "x", "pattern_type": "sigma", "valid_from": "2016-01-01T00:00:00Z"}`, `indicator indicator--1: property "pattern_type": is "sigma": only stix patterns are matched`},
		{`{"type": "indicator", "id": "indicator--1", "modified": "2016-04-29T14:09:00.000Z", "pattern": "[file:name MATCHES '(?=a)']", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"}`, `property "pattern": pattern byte 1 (file:name): MATCHES`},
		{`{"type": "indicator", "id": "indicator--1", "pattern": "[a:b = 1]", "pattern_type": "stix", "valid_from": "2016-01-01T00:00:00Z"}`, `property "modified": is required`},
		{`{"type": "malware", "id": "malware--1"}`, `not indicator`},
	} {
		_, err := ParseIndicator([]byte(tt.obj))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseIndicator(%s) = %v, want %q", tt.obj, err, tt.want)
		}
	}
}

// TestGlobAgreesWithRegexp: the LIKE fast path without _ says what the
// regular expression says.
func TestGlobAgreesWithRegexp(t *testing.T) {
	likes := []string{"", "%", "%%", "a", "a%", "%a", "%a%", "a%b", "a%b%c", "%ab%ba%", "ab%ab", "%.evil1.example", "a%a%a"}
	subjects := []string{"", "a", "b", "ab", "ba", "aba", "abab", "abcab", "aab", "abba", "x.evil1.example", ".evil1.example", "aaa", "aa", "acbc", "é"}
	for _, l := range likes {
		re, err := likeCompile(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range subjects {
			if got, want := globMatch(strings.Split(l, "%"), s), re.MatchString(s); got != want {
				t.Errorf("LIKE %q on %q: glob %v, regexp %v", l, s, got, want)
			}
		}
	}
}
