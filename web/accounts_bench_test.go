package web

import (
	"context"
	"io"
	"net/http"
	"testing"

	"liaison"
)

// BenchmarkAccountPages serves the users, account, collections and
// planner-with-holidays pages to an admin over real HTTP:
//
//	go test ./web/ -run '^$' -bench AccountPages
func BenchmarkAccountPages(b *testing.B) {
	o := newOffice(b)
	ctx := context.Background()
	admin := liaison.Principal{Name: "admin", Org: "NATO-IS", Roles: []liaison.Role{liaison.RoleAdmin}}
	if err := o.store.CreateUser(ctx, &admin, ""); err != nil {
		b.Fatal(err)
	}
	_, token, err := o.store.CreateToken(ctx, "admin")
	if err != nil {
		b.Fatal(err)
	}
	c := liaison.Collection{Title: "Cyber threats", Topic: "cyber", Read: []string{"NATO", "IP4"}, Write: []string{"NATO"}, DefaultMarking: liaison.TLPGreenID}
	if err := o.store.CreateCollection(ctx, &c); err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/users", "/users/kor", "/account", "/collections", "/collections/" + c.ID,
		"/planner?participants=NATO-IS,USA,JPN,AUS&duration=60&from=2026-03-02&to=2026-03-07&holidays=JPN+2026-03-03"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest("GET", o.srv.URL+path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", path, res.StatusCode)
				}
			}
		})
	}
}
