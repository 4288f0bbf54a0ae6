package httpguard

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCrossSite(t *testing.T) {
	tests := []struct {
		name, method, host string
		headers            map[string]string
		trusted            []string
		cross              bool
	}{
		{"curl", "POST", "office.example:8080", nil, nil, false},
		{"GET from anywhere", "GET", "office.example", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, nil, false},
		{"HEAD", "HEAD", "office.example", map[string]string{"Sec-Fetch-Site": "cross-site"}, nil, false},
		{"own Origin", "POST", "office.example:8080", map[string]string{"Origin": "http://office.example:8080"}, nil, false},
		{"own Origin over https", "POST", "office.example", map[string]string{"Origin": "https://office.example"}, nil, false},
		{"own Origin with the default port", "POST", "office.example", map[string]string{"Origin": "https://office.example:443"}, nil, false},
		{"own Host with the default port", "POST", "office.example:80", map[string]string{"Origin": "http://office.example"}, nil, false},
		{"own IPv6 Origin", "POST", "[::1]:8080", map[string]string{"Origin": "http://[::1]:8080"}, nil, false},
		{"own Origin, other case", "POST", "Office.Example", map[string]string{"Origin": "http://office.EXAMPLE"}, nil, false},
		{"trusted Origin", "POST", "10.0.0.5:8080", map[string]string{"Origin": "https://liaison.example.org"}, []string{"liaison.example.org"}, false},
		{"other Origin", "POST", "office.example", map[string]string{"Origin": "http://evil.example"}, nil, true},
		{"Origin on another port", "DELETE", "office.example:8080", map[string]string{"Origin": "http://office.example:8081"}, nil, true},
		{"Origin a subdomain", "PUT", "office.example", map[string]string{"Origin": "http://x.office.example"}, nil, true},
		{"Origin null", "POST", "office.example", map[string]string{"Origin": "null"}, nil, true},
		{"Origin of another scheme", "POST", "office.example", map[string]string{"Origin": "file://office.example"}, nil, true},
		{"Origin over Sec-Fetch-Site", "POST", "office.example", map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "same-origin"}, nil, true},
		{"Sec-Fetch-Site cross-site", "POST", "office.example", map[string]string{"Sec-Fetch-Site": "cross-site"}, nil, true},
		{"Sec-Fetch-Site same-site", "PATCH", "office.example", map[string]string{"Sec-Fetch-Site": "same-site"}, nil, true},
		{"Sec-Fetch-Site same-origin", "POST", "office.example", map[string]string{"Sec-Fetch-Site": "same-origin"}, nil, false},
		{"Sec-Fetch-Site none", "POST", "office.example", map[string]string{"Sec-Fetch-Site": "none"}, nil, false},
		{"other Referer", "POST", "office.example", map[string]string{"Referer": "https://evil.example/x"}, nil, true},
		{"own Referer", "POST", "office.example", map[string]string{"Referer": "http://office.example/consultations"}, nil, false},
		{"Sec-Fetch-Site decides before Referer", "POST", "office.example", map[string]string{"Sec-Fetch-Site": "same-origin", "Referer": "https://evil.example/x"}, nil, false},
		{"malformed Referer", "POST", "office.example", map[string]string{"Referer": "::"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/api/v1/x", strings.NewReader(""))
			r.Host = tc.host
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			why := CrossSite(r, tc.trusted...)
			if (why != "") != tc.cross {
				t.Errorf("CrossSite = %q, want cross-site %v", why, tc.cross)
			}
		})
	}
}
