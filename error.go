package liaison

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes. They are stable: clients and tests match on them.
const (
	ENOTFOUND     = "not_found"    // missing, or hidden from the caller: the two look the same
	EINVALID      = "invalid"      // the input is malformed or breaks a rule
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // authenticated, but the action is not allowed
	ECONFLICT     = "conflict"     // the thing exists already, or the state forbids the change
	ETOOLARGE     = "too_large"    // the request exceeds a size limit
	EINTERNAL     = "internal"     // a fault of ours; the detail goes to the log only
)

// Error is the one error type of the domain. Code is stable and maps to an
// HTTP status in HTTPStatus; Message is safe to show to the caller; Op names
// the operation that failed; Err is the wrapped cause, never shown to callers.
type Error struct {
	Code    string
	Message string
	Op      string
	Err     error
}

func (e *Error) Error() string {
	s := e.Message
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Err != nil {
		if s == "" {
			return e.Err.Error()
		}
		return s + ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns the uniform not-found error for a thing of the given kind.
// The message never depends on whether the thing exists but is hidden.
func NotFound(kind, id string) *Error {
	return &Error{Code: ENOTFOUND, Message: fmt.Sprintf("%s %q not found", kind, id)}
}

// Internal wraps err as an internal error raised in op. Callers see only
// "internal error"; the log sees everything.
func Internal(op string, err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Op: op, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL
// for any other non-nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message that is safe to show to a caller: the
// *Error's message, or "internal error" for internal and unknown errors.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "internal error"
}

// HTTPStatus maps an error code to its HTTP status. It is the one place
// where that mapping lives.
func HTTPStatus(code string) int {
	switch code {
	case ENOTFOUND:
		return http.StatusNotFound
	case EINVALID:
		return http.StatusBadRequest
	case EUNAUTHORIZED:
		return http.StatusUnauthorized
	case EFORBIDDEN:
		return http.StatusForbidden
	case ECONFLICT:
		return http.StatusConflict
	case ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case "":
		return http.StatusOK
	}
	return http.StatusInternalServerError
}
