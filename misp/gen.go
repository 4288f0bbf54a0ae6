package misp

import (
	"bufio"
	"fmt"
	"io"
)

// Generate writes one MISP event of n attributes for benchmarks: a mix of
// indicators (ip-dst, sha256 for IDS), observables (domains), attributes
// with no STIX home (text), file objects of three attributes each, and one
// attribute in a hundred of distribution 0. The event's own distribution
// is 1 (this community), so an import needs --distribution 1=….
func Generate(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprint(bw, `{"Event":{"uuid":"9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d","info":"generated event","date":"2026-01-01","timestamp":"1767225600","published":true,"distribution":"1","Orgc":{"name":"CERT-GEN"},"Tag":[{"name":"tlp:green"}],"Attribute":[`)
	objects := n / 10 / 3 // a tenth of the attributes in objects
	flat := n - objects*3
	for i := range flat {
		if i > 0 {
			bw.WriteByte(',')
		}
		dist := "5"
		if i%100 == 99 {
			dist = "0"
		}
		var typ, val, ids string
		switch i % 10 {
		case 0, 1, 2, 3:
			typ, val, ids = "ip-dst", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "true"
		case 4:
			typ, val, ids = "sha256", fmt.Sprintf("%064x", i), "true"
		case 5, 6, 7:
			typ, val, ids = "domain", fmt.Sprintf("host-%d.example", i), "false"
		default:
			typ, val, ids = "text", fmt.Sprintf("note %d", i), "false"
		}
		fmt.Fprintf(bw, `{"uuid":"00000000-0000-4000-8000-%012x","type":%q,"category":"Network activity","value":%q,"to_ids":%s,"timestamp":"1767225600","distribution":%q}`, i, typ, val, ids, dist)
	}
	bw.WriteString(`],"Object":[`)
	for j := range objects {
		if j > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, `{"uuid":"00000000-0000-4000-9000-%012x","name":"file","meta-category":"file","timestamp":"1767225600","distribution":"5","Attribute":[`+
			`{"uuid":"00000000-0000-4000-a000-%012x","type":"filename","object_relation":"filename","value":"f%d.exe","to_ids":false},`+
			`{"uuid":"00000000-0000-4000-b000-%012x","type":"md5","object_relation":"md5","value":"%032x","to_ids":false},`+
			`{"uuid":"00000000-0000-4000-c000-%012x","type":"size-in-bytes","object_relation":"size-in-bytes","value":"%d","to_ids":false}]}`,
			j, j, j, j, j, j, 1000+j)
	}
	bw.WriteString(`]}}`)
	return bw.Flush()
}
