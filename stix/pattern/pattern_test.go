package pattern

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// specExamples are the example patterns of STIX 2.1 part 9 (patterning).
var specExamples = []string{
	`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
	`[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`,
	`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']`,
	`[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
	`([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`,
	`[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']`,
	`[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`,
	`[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`,
	`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`,
	`[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']`,
	`[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.33/32']`,
	`[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS`,
	`[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']`,
	`[url:value = 'http://example.com/foo' OR url:value = 'http://example.com/bar']`,
	`[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']`,
	`[windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\CryptoLocker\\Files' OR windows-registry-key:key = 'HKEY_CURRENT_USER\\Software\\Microsoft\\CurrentVersion\\Run\\CryptoLocker_0388']`,
	`[(file:name = 'pdf.exe' OR file:size = '371712') AND file:created = t'2014-01-13T07:03:17Z']`,
	`[email-message:sender_ref.value = 'jdoe@example.com' AND email-message:subject = 'Conference Info']`,
	`[x-usb-device:usbdrive.serial_number = '575833314133343231313937']`,
	`[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS`,
	`[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']`,
	`([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:name = 'fooproc' OR process:name = 'procfoo']`,
	// Examples from the sections on operators, paths and qualifiers.
	`[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY [domain-name:value = 'example.com'] WITHIN 600 SECONDS`,
	`[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`,
	`[network-traffic:src_port = 37020 AND user-account:user_id = 'root'] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' OR [ipv4-addr:value = '192.168.122.83'] START t'2016-06-01T03:55:00.123Z' STOP t'2016-06-01T04:30:24.743Z'`,
	`[ipv4-addr:value ISSUPERSET '198.51.100.0/24']`,
	`[ipv4-addr:value NOT ISSUBSET '198.51.100.0/24']`,
	`[directory:path LIKE 'C:\\Windows\\%\\foo']`,
	`[network-traffic:dst_port IN (443, 6443, 8443)]`,
	`[network-traffic:dst_port NOT IN (22, 23)]`,
	`[file:name NOT = 'a.exe' AND file:size NOT > 1024]`,
	`[windows-registry-key:values[*].name = 'Foo' AND EXISTS windows-registry-key:values[*].data]`,
	`[network-traffic:extensions.'http-request-ext'.request_header.'Accept-Encoding' = 'gzip']`,
	`[email-message:to_refs[0].value = 'jdoe@example.com' AND email-message:to_refs[-1].value != 'x@example.com']`,
	`[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']`,
	`[file:size <= 1024 AND file:size >= -1 AND file:x_ratio < +0.5 AND file:x_ratio2 > -.25]`,
	`[x-custom:flag = true AND x-custom:other != false]`,
	`[file:name = 'it\'s'] REPEATS 2 TIMES`,
	`[file:name == 'a'] WITHIN 2.5 SECONDS`,
	"[file:name = 'a'] /* block */ AND // line\n [file:name = 'b']",
}

func TestSpecExamples(t *testing.T) {
	for _, src := range specExamples {
		p, err := Parse(src)
		if err != nil {
			t.Errorf("Parse(%s): %v", src, err)
			continue
		}
		// The canonical form parses to the same canonical form.
		s := p.String()
		q, err := Parse(s)
		if err != nil {
			t.Errorf("reparse of %s: %v", s, err)
			continue
		}
		if q.String() != s {
			t.Errorf("round trip: %s != %s", q.String(), s)
		}
	}
}

func TestTree(t *testing.T) {
	p, err := Parse(`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 OR file:name = 'a' AND file:size IN (1, 2)] AND [b:c = h'ff'] OR [d:e = t'2020-01-02T03:04:05.5Z'] FOLLOWEDBY [f:g = 1] REPEATS 2 TIMES`)
	if err != nil {
		t.Fatal(err)
	}
	top, ok := p.Expr.(*Combination)
	if !ok || top.Op != FollowedBy {
		t.Fatalf("top = %#v", p.Expr)
	}
	or, ok := top.Left.(*Combination)
	if !ok || or.Op != ObsOr {
		t.Fatalf("left = %s", top.Left)
	}
	and, ok := or.Left.(*Combination)
	if !ok || and.Op != ObsAnd {
		t.Fatalf("and = %s", or.Left)
	}
	obs := and.Left.(*Observation)
	be := obs.Comparison.(*BoolExpr)
	if be.Op != Or || be.Right.(*BoolExpr).Op != And {
		t.Fatalf("comparison = %s", be)
	}
	test := be.Left.(*Test)
	want := []Step{{Kind: Property, Name: "extensions"}, {Kind: Property, Name: "windows-pebinary-ext"}, {Kind: Property, Name: "sections"}, {Kind: AnyIndex}, {Kind: Property, Name: "entropy"}}
	if test.Path.ObjectType != "file" || len(test.Path.Steps) != len(want) || test.Op != Greater || test.Value.Kind != Float || test.Value.Float != 7 {
		t.Fatalf("test = %+v", test)
	}
	for i := range want {
		if test.Path.Steps[i] != want[i] {
			t.Errorf("step %d = %+v", i, test.Path.Steps[i])
		}
	}
	in := be.Right.(*BoolExpr).Right.(*Test)
	if in.Op != In || len(in.Set) != 2 || in.Set[1].Int != 2 {
		t.Errorf("in = %+v", in)
	}
	hexc := and.Right.(*Observation).Comparison.(*Test).Value
	if hexc.Kind != Hex || len(hexc.Bytes) != 1 || hexc.Bytes[0] != 0xff {
		t.Errorf("hex = %+v", hexc)
	}
	tsc := or.Right.(*Observation).Comparison.(*Test).Value
	if tsc.Kind != Timestamp || !tsc.Time.Equal(time.Date(2020, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Errorf("timestamp = %+v", tsc)
	}
	q := top.Right.(*Qualified)
	if q.Qualifier.(*Repeats).Times != 2 || q.Pos() != strings.Index(p.String(), "[f:g") {
		t.Errorf("qualified = %+v", q)
	}
}

// TestInvalid lists invalid patterns with the offset of the fault and a
// piece of the message.
func TestInvalid(t *testing.T) {
	tests := []struct {
		src  string
		off  int
		want string
	}{
		{`file:size = 1280`, 0, "expected [ or ("},
		{`[file:size = ]`, 13, "expected a constant"},
		{`[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]`, 19, "expected a constant"},
		{`[file.size = 1280]`, 5, "expected : after the object type"},
		{`[file:name MATCHES /.*\.dll/]`, 19, "unexpected character"},
		{`[a:b = 'x'] WITHIN ]`, 19, "expected a positive number of seconds"},
		{`[a:b = 'x'] WITHIN 5 HOURS`, 21, "expected SECONDS"},
		{`[a:b = 'x'] WITHIN -5 SECONDS`, 19, "positive number"},
		{`[a:b = 'x'] WITHIN 0 SECONDS`, 19, "positive number"},
		{`[a:b = 'x'] REPEATS 0 TIMES`, 20, "positive integer"},
		{`[a:b = 'x'] REPEATS 2.5 TIMES`, 20, "positive integer"},
		{`[network-traffic:dst_ref.value ISSUBSET ]`, 40, "expected a string constant after ISSUBSET"},
		{`[file:hashes.MD5 =? 'x']`, 18, "unexpected character '?'"},
		{`[x:detected = t'2457-73-22T32:81:84.1Z']`, 14, "not an RFC 3339 timestamp"},
		{`[artifact:payload_bin = b'====']`, 24, "not valid base64"},
		{`[artifact:payload_bin = b'abc']`, 24, "not valid base64"},
		{`[file:magic = h'fff']`, 14, "hex digits"},
		{`[foo:bar=1] within 2 seconds`, 12, "expected AND, OR, FOLLOWEDBY"},
		{`[a:b = 'x'] WITHIN 5 SECONDS WITHIN 6 SECONDS`, 29, "second WITHIN"},
		{`[a:b = 'x'] START t'2016-06-01T01:30:00Z' STOP t'2016-06-01T01:00:00Z'`, 47, "must be later"},
		{`[a:b = 'x'] START '2016-06-01T01:30:00Z' STOP t'2016-06-01T02:00:00Z'`, 18, "expected a timestamp"},
		{`[file:hashes.SHA-256 = 'x']`, 13, "contains a hyphen: quote it"},
		{`[file:name = 'x' AND]`, 20, "expected an object path"},
		{`[file:name = 'x'`, 16, "expected AND, OR or ]"},
		{`[file:name = 'x`, 13, "unterminated string"},
		{`[file:name = 'a\n']`, 15, "invalid escape"},
		{`[file:size = 01]`, 13, "leading zero"},
		{`[file:size = 1.]`, 15, "digit after the decimal point"},
		{`[file:size > true]`, 13, "cannot compare with a boolean"},
		{`[file:size IN (1, 2]`, 19, "expected , or )"},
		{`[file:name[x] = 1]`, 11, "expected a list index"},
		{`[file:name = 'a'] AND`, 21, "expected [ or ("},
		{`([file:name = 'a']`, 18, "expected AND, OR, FOLLOWEDBY, a qualifier or )"},
		{`[file:name = 'a'] /* open`, 18, "unterminated comment"},
		{`[file:AND = 'a']`, 6, "keyword"},
		{`[file:name LIKE 5]`, 16, "expected a string constant after LIKE"},
		{`[EXISTS file:name = 'a']`, 18, "expected AND, OR or ]"},
		{"[file:name = 'a']\n  [x:y = 1]", 20, "line 2 column 3"},
		{``, 0, "expected [ or ("},
		{strings.Repeat("(", 300) + "[a:b=1]" + strings.Repeat(")", 300), 256, "nesting deeper"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want *Error", tt.src, err)
			continue
		}
		if pe.Offset != tt.off || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q):\n  got  %v (offset %d)\n  want offset %d, %q", tt.src, err, pe.Offset, tt.off, tt.want)
		}
		if pe.Line == 1 && pe.Column != pe.Offset+1 && strings.IndexFunc(tt.src, func(r rune) bool { return r > 127 }) < 0 {
			t.Errorf("Parse(%q): column %d for offset %d", tt.src, pe.Column, pe.Offset)
		}
	}
}

func TestColumnCountsCharacters(t *testing.T) {
	_, err := Parse("[file:name = 'é'] ?")
	var pe *Error
	if !errors.As(err, &pe) || pe.Offset != 19 || pe.Column != 19 {
		t.Fatalf("err = %+v", err)
	}
}

// FuzzPattern: Parse never panics; a parsed pattern prints to a canonical
// form that parses back to itself.
func FuzzPattern(f *testing.F) {
	for _, s := range specExamples {
		f.Add(s)
	}
	f.Add(`[a:b = b''] WITHIN .5 SECONDS`)
	f.Add(`[a:'x\\y'[-1] NOT LIKE 'q']`)
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Parse(src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(src) || pe.Column < 1 || pe.Line < 1 {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		s := p.String()
		q, err := Parse(s)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", s, src, err)
		}
		if q.String() != s {
			t.Fatalf("canonical form not stable: %q -> %q", s, q.String())
		}
	})
}

func TestParseTimestamp(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"2016-06-01T00:00:00Z", true},
		{"2016-06-01T01:30:00.123Z", true},
		{"2016-02-30T00:00:00Z", false},
		{"2016-06-01T00:00:00+01:00", false},
		{"2016-06-01 00:00:00Z", false},
		{"", false},
	} {
		if _, ok := ParseTimestamp(tt.in); ok != tt.ok {
			t.Errorf("ParseTimestamp(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
	}
}
