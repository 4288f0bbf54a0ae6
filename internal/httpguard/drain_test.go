package httpguard

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// refuse answers 413 without reading the body.
var refuse = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "too large", http.StatusRequestEntityTooLarge)
})

// TestDrainUnread sends bodies that the handler refuses unread, from a
// client that writes before it reads, and checks what DrainUnread does
// with them: reads them up to its bounds so that the client gets the
// answer, and past its bounds lets the connection close soon.
func TestDrainUnread(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name      string
		handler   http.Handler
		length    int64         // Content-Length; -1 for chunked
		send      int64         // bytes the client sends; -1 for without end
		pause     time.Duration // between 1 KiB chunks
		answered  bool          // the client writes it all and reads 413
		closedIn  time.Duration // else the server closes within this
		writeFail bool
	}{
		{"a refused body is read to its end", DrainUnread(refuse, 16*mib, 10*time.Second), 12 * mib, 12 * mib, 0, true, 0, false},
		{"chunked, too", DrainUnread(refuse, 16*mib, 10*time.Second), -1, 12 * mib, 0, true, 0, false},
		{"only the outermost drains, past the inner bound", DrainUnread(DrainUnread(refuse, mib, time.Millisecond), 16*mib, 10*time.Second), 12 * mib, 12 * mib, 0, true, 0, false},
		{"no more than maxBytes", DrainUnread(refuse, mib, time.Minute), -1, -1, 0, false, 5 * time.Second, true},
		{"a Content-Length over maxBytes is not waited for", DrainUnread(refuse, mib, time.Minute), 1 << 40, -1, 0, false, 5 * time.Second, true},
		{"no longer than maxWait", DrainUnread(refuse, 16*mib, 300*time.Millisecond), -1, -1, 20 * time.Millisecond, false, 5 * time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
			head := "POST / HTTP/1.1\r\nHost: x\r\n"
			if tc.length < 0 {
				head += "Transfer-Encoding: chunked\r\n\r\n"
			} else {
				head += fmt.Sprintf("Content-Length: %d\r\n\r\n", tc.length)
			}
			start := time.Now()
			bw := bufio.NewWriterSize(conn, 64<<10)
			bw.WriteString(head)
			chunk := strings.Repeat("x", 1<<10)
			var werr error
			for sent := int64(0); werr == nil && (tc.send < 0 || sent < tc.send); sent += int64(len(chunk)) {
				if tc.length < 0 {
					fmt.Fprintf(bw, "%x\r\n%s\r\n", len(chunk), chunk)
				} else {
					bw.WriteString(chunk)
				}
				if tc.pause > 0 {
					werr = bw.Flush()
					time.Sleep(tc.pause)
				}
				if time.Since(start) > 20*time.Second {
					t.Fatal("the server still reads after 20 s")
				}
				if bw.Buffered() == 0 || tc.pause > 0 {
					continue
				}
				if bw.Available() < 2<<10 {
					werr = bw.Flush()
				}
			}
			if werr == nil && tc.length < 0 {
				bw.WriteString("0\r\n\r\n")
			}
			if werr == nil {
				werr = bw.Flush()
			}
			took := time.Since(start)
			if tc.answered {
				if werr != nil {
					t.Fatalf("writing the body: %v", werr)
				}
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					t.Fatalf("reading the answer: %v", err)
				}
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 413 || !strings.Contains(string(b), "too large") {
					t.Fatalf("answer %d %q", resp.StatusCode, b)
				}
				return
			}
			if tc.writeFail && werr == nil {
				t.Errorf("the server read a body without end")
			}
			if werr == nil {
				// A trickle: the server stops reading and closes; the
				// answer came first.
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil || resp.StatusCode != 413 {
					t.Fatalf("answer %v %v", resp, err)
				}
				_, err = io.ReadAll(resp.Body)
				took = time.Since(start)
				_ = err
			}
			if took > tc.closedIn {
				t.Errorf("the connection closed after %v, want within %v", took, tc.closedIn)
			}
		})
	}
}
