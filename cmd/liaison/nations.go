package main

import "liaison"

// allies are the 32 member nations of the alliance, with their home time
// zones (the capital's).
var allies = []liaison.Organisation{
	{Code: "ALB", Name: "Albania", TimeZone: "Europe/Tirane"},
	{Code: "BEL", Name: "Belgium", TimeZone: "Europe/Brussels"},
	{Code: "BGR", Name: "Bulgaria", TimeZone: "Europe/Sofia"},
	{Code: "CAN", Name: "Canada", TimeZone: "America/Toronto"},
	{Code: "HRV", Name: "Croatia", TimeZone: "Europe/Zagreb"},
	{Code: "CZE", Name: "Czechia", TimeZone: "Europe/Prague"},
	{Code: "DNK", Name: "Denmark", TimeZone: "Europe/Copenhagen"},
	{Code: "EST", Name: "Estonia", TimeZone: "Europe/Tallinn"},
	{Code: "FIN", Name: "Finland", TimeZone: "Europe/Helsinki"},
	{Code: "FRA", Name: "France", TimeZone: "Europe/Paris"},
	{Code: "DEU", Name: "Germany", TimeZone: "Europe/Berlin"},
	{Code: "GRC", Name: "Greece", TimeZone: "Europe/Athens"},
	{Code: "HUN", Name: "Hungary", TimeZone: "Europe/Budapest"},
	{Code: "ISL", Name: "Iceland", TimeZone: "Atlantic/Reykjavik"},
	{Code: "ITA", Name: "Italy", TimeZone: "Europe/Rome"},
	{Code: "LVA", Name: "Latvia", TimeZone: "Europe/Riga"},
	{Code: "LTU", Name: "Lithuania", TimeZone: "Europe/Vilnius"},
	{Code: "LUX", Name: "Luxembourg", TimeZone: "Europe/Luxembourg"},
	{Code: "MNE", Name: "Montenegro", TimeZone: "Europe/Podgorica"},
	{Code: "NLD", Name: "Netherlands", TimeZone: "Europe/Amsterdam"},
	{Code: "MKD", Name: "North Macedonia", TimeZone: "Europe/Skopje"},
	{Code: "NOR", Name: "Norway", TimeZone: "Europe/Oslo"},
	{Code: "POL", Name: "Poland", TimeZone: "Europe/Warsaw"},
	{Code: "PRT", Name: "Portugal", TimeZone: "Europe/Lisbon"},
	{Code: "ROU", Name: "Romania", TimeZone: "Europe/Bucharest"},
	{Code: "SVK", Name: "Slovakia", TimeZone: "Europe/Bratislava"},
	{Code: "SVN", Name: "Slovenia", TimeZone: "Europe/Ljubljana"},
	{Code: "ESP", Name: "Spain", TimeZone: "Europe/Madrid"},
	{Code: "SWE", Name: "Sweden", TimeZone: "Europe/Stockholm"},
	{Code: "TUR", Name: "Türkiye", TimeZone: "Europe/Istanbul"},
	{Code: "GBR", Name: "United Kingdom", TimeZone: "Europe/London"},
	{Code: "USA", Name: "United States", TimeZone: "America/New_York"},
}

// ip4 are the Indo-Pacific partners.
var ip4 = []liaison.Organisation{
	{Code: "AUS", Name: "Australia", TimeZone: "Australia/Sydney"},
	{Code: "JPN", Name: "Japan", TimeZone: "Asia/Tokyo"},
	{Code: "KOR", Name: "Republic of Korea", TimeZone: "Asia/Seoul"},
	{Code: "NZL", Name: "New Zealand", TimeZone: "Pacific/Auckland"},
}

// natoBodies are the NATO bodies a liaison office works with.
var natoBodies = []liaison.Organisation{
	{Code: "NATO-HQ", Name: "NATO Headquarters", TimeZone: "Europe/Brussels"},
	{Code: "NATO-IS", Name: "NATO International Staff", TimeZone: "Europe/Brussels"},
	{Code: "NCIA", Name: "NATO Communications and Information Agency", TimeZone: "Europe/Brussels"},
}

// seedNations adds the allies, the IP4 partners and the NATO bodies that
// are not on the hub yet.
func seedNations(ctxStore func(liaison.Organisation) error) error {
	for _, set := range []struct {
		kind liaison.OrgKind
		orgs []liaison.Organisation
	}{{liaison.Ally, allies}, {liaison.Partner, ip4}, {liaison.NATOBody, natoBodies}} {
		for _, o := range set.orgs {
			o.Kind = set.kind
			if err := ctxStore(o); err != nil {
				return err
			}
		}
	}
	return nil
}
