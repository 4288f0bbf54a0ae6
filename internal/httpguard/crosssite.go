// Package httpguard holds the request checks that every HTTP face of the
// office (TAXII, the JSON API, the pages) makes before its routes run:
// refusing writes that a browser sends from another site's page, and
// reading a refused request body to its end so that the client, still
// sending it, receives the refusal rather than a reset connection.
package httpguard

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Unsafe reports whether a request with this method may change state:
// anything but GET, HEAD, OPTIONS and TRACE.
func Unsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// CrossSite says why r, when its method may change state, was sent by a
// browser from a page that is not this server's, or returns "" when it was
// not. A browser that holds a user's HTTP Basic credentials sends them
// with a form that any site can make it submit; these requests are the
// ones to refuse, before the credentials are even looked at.
//
// The evidence, in order: the Origin header, which every current browser
// sends on such requests; without it, Sec-Fetch-Site; without both, the
// Referer. A request with none of them (curl, scripts, TAXII clients) is
// not a browser's cross-site request and passes. A request's own origin
// is its Host; trusted adds other host[:port] values under which the
// server is reached (such as a proxy's public name). The scheme is not
// compared, as the server behind a TLS proxy cannot see it.
func CrossSite(r *http.Request, trusted ...string) string {
	if !Unsafe(r.Method) {
		return ""
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if !ownURL(origin, r.Host, trusted) {
			return "its Origin, " + quote(origin) + ", is not this server"
		}
		return ""
	}
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "":
	case "same-origin", "none":
		return ""
	default:
		return "it was sent from another site (Sec-Fetch-Site: " + quote(site) + ")"
	}
	if ref := r.Header.Get("Referer"); ref != "" && !ownURL(ref, r.Host, trusted) {
		return "its Referer is not a page of this server"
	}
	return ""
}

// ownURL reports whether the http(s) URL s is on host or a trusted host.
// "null" and anything unparsable are not.
func ownURL(s, host string, trusted []string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	got := canonicalHost(u.Host, u.Scheme)
	for _, h := range append([]string{host}, trusted...) {
		if h != "" && got == canonicalHost(h, u.Scheme) {
			return true
		}
	}
	return false
}

// canonicalHost lower-cases a host[:port] and drops the default port of
// scheme, which browsers leave out of Origin and clients out of Host.
func canonicalHost(h, scheme string) string {
	h = strings.ToLower(h)
	if host, port, err := net.SplitHostPort(h); err == nil {
		if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
			if strings.Contains(host, ":") {
				return "[" + host + "]"
			}
			return host
		}
	}
	return h
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return strconv.Quote(s)
}
