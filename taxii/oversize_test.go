package taxii_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"liaison/internal/httpguard/guardtest"
	"liaison/taxii"
)

// oversize is a body a little over the default max_content_length.
const oversize = taxii.DefaultMaxContentLength + 1<<20

// TestOversizedBodyGetsTheError sends bodies over max_content_length from
// a client that writes the whole body before it reads anything. The
// server must read and discard the rest, within bounds, so that the client
// receives the TAXII error instead of a reset connection.
func TestOversizedBodyGetsTheError(t *testing.T) {
	w := newWorld(t, worldOptions{})
	u := w.users["fra-analyst"]
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(u.Name+":"+u.Password))
	path := strings.TrimPrefix(w.objectsURL("shared"), w.srv.URL)
	taxiiHeaders := []string{"Accept: " + taxii.MediaType, "Content-Type: " + taxii.MediaType}
	tests := []struct {
		name    string
		headers []string
		chunked bool
		size    int64
		status  int
		want    string // in the error's description
	}{
		{"Content-Length over the limit", append([]string{auth}, taxiiHeaders...), false, oversize, 413, "max_content_length"},
		// The server reads up to the limit; what is left must be more
		// than the sockets' buffers hold for the test to fail without
		// the fix.
		{"chunked, over the limit", append([]string{auth}, taxiiHeaders...), true, oversize + 15<<20, 413, "max_content_length"},
		{"no credentials", taxiiHeaders, false, oversize, 401, "authentication required"},
		{"cross-site", append([]string{auth, "Origin: http://evil.example"}, taxiiHeaders...), false, oversize, 403, "cross-site"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body, werr, err := guardtest.Post(w.srv.Listener.Addr().String(), path, tc.headers, tc.size, tc.chunked)
			if err != nil {
				t.Fatalf("%v (writing the body: %v)", err, werr)
			}
			if werr != nil {
				t.Errorf("writing the body failed: %v", werr)
			}
			var e taxii.ErrorMessage
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("%d, body %q is not an error message: %v", resp.StatusCode, body, err)
			}
			if resp.StatusCode != tc.status || string(e.HTTPStatus) != fmt.Sprint(tc.status) || !strings.Contains(e.Description, tc.want) {
				t.Errorf("%d %+v, want %d naming %q", resp.StatusCode, e, tc.status, tc.want)
			}
		})
	}
}

// pyPost posts a body of the given size with Python's http.client, which
// sends the whole body before it reads the response, and prints the
// status and the response body.
const pyPost = `
import base64, http.client, sys
host, port, path, user, password, size = sys.argv[1:7]
size = int(size)
start = b'{"objects":['
body = start + b' ' * (size - len(start))
conn = http.client.HTTPConnection(host, int(port), timeout=60)
auth = base64.b64encode((user + ":" + password).encode()).decode()
conn.request("POST", path, body=body, headers={
    "Accept": "application/taxii+json;version=2.1",
    "Content-Type": "application/taxii+json;version=2.1",
    "Authorization": "Basic " + auth})
r = conn.getresponse()
print(r.status)
print(r.read().decode())
`

// TestOversizedBodyPythonClient is the same check with the client that
// found the fault: Python's http.client.
func TestOversizedBodyPythonClient(t *testing.T) {
	if err := exec.Command("python3", "-c", "import http.client").Run(); err != nil {
		t.Skipf("python3 with http.client is not available (%v): the raw TCP test covers the same ground", err)
	}
	w := newWorld(t, worldOptions{})
	u, _ := url.Parse(w.srv.URL)
	host, port, _ := net.SplitHostPort(u.Host)
	user := w.users["fra-analyst"]
	path := strings.TrimPrefix(w.objectsURL("shared"), w.srv.URL)
	out, err := exec.Command("python3", "-c", pyPost, host, port, path, user.Name, user.Password, fmt.Sprint(oversize)).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	status, body, _ := strings.Cut(string(out), "\n")
	var e taxii.ErrorMessage
	if err := json.Unmarshal([]byte(body), &e); err != nil || status != "413" || e.HTTPStatus != "413" || !strings.Contains(e.Description, "max_content_length") {
		t.Errorf("python3 got %s %s (%v), want 413 naming max_content_length", status, body, err)
	}
}
