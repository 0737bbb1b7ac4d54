package keystore

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the contract in SPEC.md: clients match on them.
const (
	EValidation    = "VALIDATION_FAILED"
	ENotFound      = "NOT_FOUND"
	ELimit         = "LIMIT_REACHED"
	EConfirmation  = "CONFIRMATION_REQUIRED"
	EAlreadyRotate = "ALREADY_ROTATED"
	ENotActive     = "KEY_NOT_ACTIVE"
	EUnauthorized  = "UNAUTHORIZED"
	EForbidden     = "FORBIDDEN"
	EInternal      = "INTERNAL"
)

// FieldError names one argument at fault and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a failure the caller can act on. Anything that is not an *Error is
// an internal failure whose details are for the operator's log, never the
// caller.
type Error struct {
	Code    string
	Message string
	Details []FieldError
}

func (e *Error) Error() string {
	return e.Code + ": " + e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a VALIDATION_FAILED error for the given field problems.
// Its message repeats them, so a client that shows only the message still
// tells the user which field to fix.
func Invalid(details ...FieldError) *Error {
	msg := "invalid input"
	for i, d := range details {
		sep := ", "
		if i == 0 {
			sep = ": "
		}
		msg += sep + d.Field + ": " + d.Message
	}
	return &Error{Code: EValidation, Message: msg, Details: details}
}

// ErrorCode returns the code of err: "" for nil, INTERNAL for an error that
// is not an *Error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the message of err for the caller. An error that is
// not an *Error gets a generic message so that no internal detail leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorDetails returns the field problems of err, if any.
func ErrorDetails(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}
