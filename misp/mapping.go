package misp

import (
	"strconv"
	"strings"
)

// scoField is where one MISP attribute type lives in STIX Cyber-observable
// terms: the SCO type, the property path in a pattern, and how the value
// goes into the SCO.
type scoField struct {
	typ  string
	path string // pattern path after "typ:"
	hash string // for file hashes: the STIX hash algorithm name
	num  bool   // the value is a number (autonomous-system)
	prop string // SCO property when not a hash
}

// simpleTypes maps single-value MISP attribute types to an SCO property,
// after the misp-stix mapping (simplified: an ip-src/ip-dst is its address
// object, without the network-traffic around it).
var simpleTypes = map[string]scoField{
	"domain":                {typ: "domain-name", path: "value", prop: "value"},
	"hostname":              {typ: "domain-name", path: "value", prop: "value"},
	"url":                   {typ: "url", path: "value", prop: "value"},
	"link":                  {typ: "url", path: "value", prop: "value"},
	"uri":                   {typ: "url", path: "value", prop: "value"},
	"email":                 {typ: "email-addr", path: "value", prop: "value"},
	"email-src":             {typ: "email-addr", path: "value", prop: "value"},
	"email-dst":             {typ: "email-addr", path: "value", prop: "value"},
	"filename":              {typ: "file", path: "name", prop: "name"},
	"mutex":                 {typ: "mutex", path: "name", prop: "name"},
	"mac-address":           {typ: "mac-addr", path: "value", prop: "value"},
	"regkey":                {typ: "windows-registry-key", path: "key", prop: "key"},
	"AS":                    {typ: "autonomous-system", path: "number", prop: "number", num: true},
	"md5":                   {typ: "file", path: "hashes.MD5", hash: "MD5"},
	"sha1":                  {typ: "file", path: "hashes.'SHA-1'", hash: "SHA-1"},
	"sha256":                {typ: "file", path: "hashes.'SHA-256'", hash: "SHA-256"},
	"sha512":                {typ: "file", path: "hashes.'SHA-512'", hash: "SHA-512"},
	"ssdeep":                {typ: "file", path: "hashes.SSDEEP", hash: "SSDEEP"},
	"tlsh":                  {typ: "file", path: "hashes.TLSH", hash: "TLSH"},
	"x509-fingerprint-sha1": {typ: "x509-certificate", path: "hashes.'SHA-1'", hash: "SHA-1"},
}

// patternTypes are MISP attribute types whose value is itself a detection
// rule: with to_ids they become indicators of that pattern_type.
var patternTypes = map[string]string{
	"yara": "yara", "snort": "snort", "sigma": "sigma", "suricata": "suricata",
}

// sdoTypes are MISP attribute types that name an SDO.
var sdoTypes = map[string]string{
	"vulnerability": "vulnerability",
	"threat-actor":  "threat-actor",
	"campaign-name": "campaign",
}

// comparison is one pattern comparison and the SCO property it sets.
type comparison struct {
	f     scoField
	value string
}

// fieldsOf returns the SCO comparisons a MISP attribute gives: one for a
// simple type, two for "filename|hash" and an address for ip-src/ip-dst;
// none when the type has no SCO home.
func fieldsOf(a *Attribute) []comparison {
	t, v := a.Type, a.Value
	if strings.TrimSpace(v) == "" {
		return nil
	}
	if f, ok := simpleTypes[t]; ok {
		if f.num {
			n := strings.TrimPrefix(strings.TrimPrefix(v, "AS"), "as")
			if _, err := strconv.ParseUint(n, 10, 32); err != nil {
				return nil
			}
			v = n
		}
		return []comparison{{f, v}}
	}
	switch t {
	case "ip-src", "ip-dst":
		if strings.Contains(v, ":") {
			return []comparison{{scoField{typ: "ipv6-addr", path: "value", prop: "value"}, v}}
		}
		return []comparison{{scoField{typ: "ipv4-addr", path: "value", prop: "value"}, v}}
	}
	if name, hash, ok := strings.Cut(t, "|"); ok && name == "filename" {
		h, good := simpleTypes[hash]
		fileName, hv, split := strings.Cut(v, "|")
		if good && h.hash != "" && split && h.typ == "file" && fileName != "" && hv != "" {
			return []comparison{{simpleTypes["filename"], fileName}, {h, hv}}
		}
	}
	return nil
}

// patternOf writes the STIX pattern of comparisons: those on the same SCO
// type share one observation expression; different SCO types are ANDed
// observations.
func patternOf(cs []comparison) string {
	var order []string
	by := map[string][]string{}
	for _, c := range cs {
		lit := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(c.value) + "'"
		if c.f.num {
			lit = c.value
		}
		if _, ok := by[c.f.typ]; !ok {
			order = append(order, c.f.typ)
		}
		by[c.f.typ] = append(by[c.f.typ], c.f.typ+":"+c.f.path+" = "+lit)
	}
	var obs []string
	for _, t := range order {
		obs = append(obs, "["+strings.Join(by[t], " AND ")+"]")
	}
	return strings.Join(obs, " AND ")
}

// scoOf builds the SCO object for comparisons on one SCO type.
func scoOf(id string, cs []comparison) map[string]any {
	o := map[string]any{"type": cs[0].f.typ, "spec_version": "2.1", "id": id}
	for _, c := range cs {
		switch {
		case c.f.hash != "":
			h, _ := o["hashes"].(map[string]any)
			if h == nil {
				h = map[string]any{}
				o["hashes"] = h
			}
			h[c.f.hash] = c.value
		case c.f.num:
			n, _ := strconv.ParseUint(c.value, 10, 32)
			o[c.f.prop] = n
		default:
			o[c.f.prop] = c.value
		}
	}
	return o
}

// tlpIDs are the TLP 2.0 marking-definition ids by MISP tag.
var tlpIDs = map[string]string{
	"tlp:clear":        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	"tlp:white":        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	"tlp:green":        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	"tlp:amber":        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	"tlp:amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	"tlp:red":          "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// tlpRank orders TLP tags from the least to the most restrictive.
var tlpRank = map[string]int{"tlp:clear": 1, "tlp:white": 1, "tlp:green": 2, "tlp:amber": 3, "tlp:amber+strict": 4, "tlp:red": 5}

// tlpOf returns the most restrictive TLP tag among tags, and the other tags.
func tlpOf(tags []tag) (tlp string, rest []string) {
	for _, t := range tags {
		n := strings.ToLower(strings.TrimSpace(t.Name))
		if _, ok := tlpRank[n]; ok {
			if tlpRank[n] > tlpRank[tlp] {
				tlp = n
			}
			continue
		}
		if strings.TrimSpace(t.Name) != "" {
			rest = append(rest, t.Name)
		}
	}
	return tlp, rest
}

// relType makes a MISP relationship type a STIX one: lower case words
// joined by hyphens.
func relType(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "related-to"
	}
	return b.String()
}

// propName makes an object relation a property name: x_misp_ then letters,
// digits and underscores.
func propName(rel string) string {
	var b strings.Builder
	b.WriteString("x_misp_")
	for _, r := range strings.ToLower(rel) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
