package tokenwell

// How the package links libtokenwell (bindings-c). By default it links the static library built
// in this repository (`make libtokenwell`, target/release/libtokenwell.a), so a Go binary carries
// the engine and needs no shared library at run time; CGO_LDFLAGS=-L<dir> points it at another
// build. With `-tags tokenwell_dynamic` it links the installed shared library through pkg-config
// (`make install PREFIX=…`, then PKG_CONFIG_PATH=<prefix>/lib/pkgconfig).

// #cgo CFLAGS: -I${SRCDIR}/../bindings-c/include
// #cgo !tokenwell_dynamic LDFLAGS: -L${SRCDIR}/../target/release -l:libtokenwell.a -lpthread -ldl -lm -lgcc_s
// #cgo tokenwell_dynamic pkg-config: tokenwell
import "C"
