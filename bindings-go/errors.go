package tokenwell

// #include <tokenwell.h>
import "C"

// Code is the stable error code of DESIGN §4.
type Code string

// The error codes. Branch on these (or use errors.Is with the Err* sentinels), never on messages.
const (
	CodeConfig          Code = "config"
	CodeOAuth           Code = "oauth"
	CodeHTTP            Code = "http"
	CodeNetwork         Code = "network"
	CodeTimeout         Code = "timeout"
	CodeInvalidResponse Code = "invalid_response"
	CodeCache           Code = "cache"
	CodeInternal        Code = "internal"
)

// Error is every error tokenwell returns (besides the context's own errors from Token). Its
// message names what to fix and never contains a secret or a token.
type Error struct {
	Code    Code
	Message string
	// Key is the configuration key at fault, for CodeConfig.
	Key string
	// Status is the HTTP status, for CodeOAuth and CodeHTTP (0 otherwise).
	Status int
	// OAuthError, ErrorDescription and ErrorURI are the server's RFC 6749 §5.2 fields, for CodeOAuth.
	OAuthError       string
	ErrorDescription string
	ErrorURI         string
	// Body is the start of the answer (512 characters at most), for CodeHTTP.
	Body string

	sentinel bool
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is(err, tokenwell.ErrOAuth) true for every error of that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.sentinel && t.Code == e.Code
}

func sentinel(c Code) *Error {
	return &Error{Code: c, Message: "tokenwell: " + string(c) + " error", sentinel: true}
}

// Sentinels for errors.Is: errors.Is(err, tokenwell.ErrOAuth) holds for every oauth error.
var (
	ErrConfig          = sentinel(CodeConfig)
	ErrOAuth           = sentinel(CodeOAuth)
	ErrHTTP            = sentinel(CodeHTTP)
	ErrNetwork         = sentinel(CodeNetwork)
	ErrTimeout         = sentinel(CodeTimeout)
	ErrInvalidResponse = sentinel(CodeInvalidResponse)
	ErrCache           = sentinel(CodeCache)
	ErrInternal        = sentinel(CodeInternal)
)

func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// takeError converts and frees a tw_error.
func takeError(e *C.tw_error) error {
	defer C.tw_error_free(e)
	return &Error{
		Code:             Code(C.GoString(C.tw_code_name(C.int(C.tw_error_code(e))))),
		Message:          goString(C.tw_error_message(e)),
		Key:              goString(C.tw_error_key(e)),
		Status:           int(C.tw_error_status(e)),
		OAuthError:       goString(C.tw_error_oauth_error(e)),
		ErrorDescription: goString(C.tw_error_description(e)),
		ErrorURI:         goString(C.tw_error_uri(e)),
		Body:             goString(C.tw_error_body(e)),
	}
}
