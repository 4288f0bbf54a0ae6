// Package taxii is the office's TAXII 2.1 server and client.
//
// The server (NewServer) is an http.Handler mounted at /taxii2/. With the
// default API root name "api1" it serves:
//
//	GET    /taxii2/                                             discovery
//	GET    /taxii2/api1/                                        API root information
//	GET    /taxii2/api1/status/{status-id}/                     status of an add request
//	GET    /taxii2/api1/collections/                            collections
//	GET    /taxii2/api1/collections/{id}/                       one collection
//	GET    /taxii2/api1/collections/{id}/manifest/              object manifests
//	GET    /taxii2/api1/collections/{id}/objects/               objects
//	POST   /taxii2/api1/collections/{id}/objects/               add objects (202 + status)
//	GET    /taxii2/api1/collections/{id}/objects/{object-id}/   one object
//	DELETE /taxii2/api1/collections/{id}/objects/{object-id}/   delete an object
//	GET    /taxii2/api1/collections/{id}/objects/{object-id}/versions/  its versions
//
// Every request authenticates (HTTP Basic with a password or an API token,
// or Bearer with a token) and must accept application/taxii+json
// (version=2.1 or unversioned); POST bodies must be sent as that type and
// be at most max_content_length bytes. Responses are
// application/taxii+json;version=2.1, errors are TAXII error message
// resources, and a hidden collection or object is the same 404 as a
// missing one.
//
// Filters: added_after, limit, next, match[id], match[type],
// match[version] (first, last, all or timestamps; default last) and
// match[spec_version], with comma-separated values, on the endpoints where
// TAXII 2.1 defines them; a filter an endpoint does not define is refused
// with 400. A page holds at most Config.MaxPageSize objects (default 1000)
// whatever limit asks for; "more" and "next" continue it, and the
// X-TAXII-Date-Added-First and -Last headers (RFC 3339 with microseconds)
// let a client page with added_after instead. Paging never misses or
// repeats an object while writes go on, because date_added is unique and
// strictly increasing within a collection. An empty result is the empty
// envelope {}.
//
// The client (NewClient) reads discovery, API roots, collections,
// objects, manifests and versions with automatic paging, adds objects and
// polls their status. Federation uses it.
package taxii
