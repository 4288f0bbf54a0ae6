// Package guardtest holds a test client for httpguard's users: one that
// sends a whole request body before it reads anything, as Python's
// http.client and many scripts do.
package guardtest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Post sends a POST to path on addr over a bare TCP connection: the
// request line, the headers ("Name: value"), then size bytes of body (an
// opening brace and JSON white space), all before reading; chunked sends
// it without a Content-Length. It then reads the response. It returns the
// response, its whole body, and the error that writing the request met,
// if any; a client that was reset fails to read and Post returns that
// error as err.
func Post(addr, path string, headers []string, size int64, chunked bool) (resp *http.Response, body []byte, writeErr, err error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	bw := bufio.NewWriterSize(conn, 256<<10)
	fmt.Fprintf(bw, "POST %s HTTP/1.1\r\nHost: %s\r\n", path, addr)
	for _, h := range headers {
		fmt.Fprintf(bw, "%s\r\n", h)
	}
	if chunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
	} else {
		fmt.Fprintf(bw, "Content-Length: %d\r\n\r\n", size)
	}
	chunk := "{" + strings.Repeat(" ", 256<<10-1)
	for left := size; left > 0 && writeErr == nil; left -= int64(len(chunk)) {
		part := chunk[:min(left, int64(len(chunk)))]
		if chunked {
			fmt.Fprintf(bw, "%x\r\n", len(part))
		}
		_, writeErr = bw.WriteString(part)
		if chunked && writeErr == nil {
			_, writeErr = bw.WriteString("\r\n")
		}
		chunk = " " + chunk[1:]
	}
	if chunked && writeErr == nil {
		_, writeErr = bw.WriteString("0\r\n\r\n")
	}
	if writeErr == nil {
		writeErr = bw.Flush()
	}
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, writeErr, fmt.Errorf("read the response: %w", err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return resp, body, writeErr, fmt.Errorf("read the response body: %w", err)
	}
	return resp, body, writeErr, nil
}
