module tokenwell.local/bench

go 1.23.0

require (
	github.com/tokenwell/tokenwell/bindings-go v0.0.0
	golang.org/x/oauth2 v0.30.0
)

replace github.com/tokenwell/tokenwell/bindings-go => ../../bindings-go
