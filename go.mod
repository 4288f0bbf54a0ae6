module liaison

go 1.26.8
