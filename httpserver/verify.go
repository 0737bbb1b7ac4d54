package httpserver

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/keysmith/keysmith/keystore"
)

// codeInvalid answers every key that does not work, whatever the reason, so
// the answer tells an attacker nothing about why.
const codeInvalid = "API_KEY_INVALID"

type verifyRequest struct {
	Key *string `json:"key"`
}

type verifyResponse struct {
	Valid bool         `json:"valid"`
	Key   keystore.Key `json:"key"`
}

// verify answers POST /v1/verify {"key": "..."}: 200 with the key's record
// when it works now, 401 API_KEY_INVALID when it does not (revoked, expired,
// unknown and malformed alike), 400 for a body that is not such JSON.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	c, _ := keystore.CallerFromContext(r.Context())
	var req verifyRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Key == nil || dec.Decode(&struct{}{}) != io.EOF {
		writeError(w, http.StatusBadRequest, keystore.EValidation, `want a JSON body {"key": "<the key to check>"}`)
		return
	}
	v, err := s.store.Verify(r.Context(), c, *req.Key)
	switch code := keystore.ErrorCode(err); {
	case code == keystore.EForbidden:
		writeError(w, http.StatusForbidden, code, keystore.ErrorMessage(err))
	case err != nil:
		s.log.ErrorContext(r.Context(), "verify", "err", err)
		writeError(w, http.StatusInternalServerError, keystore.EInternal, keystore.ErrorMessage(err))
	case !v.Valid:
		// No error="invalid_token": that would say the management key was
		// refused, and it was not.
		w.Header().Set("WWW-Authenticate", `Bearer realm="keysmith"`)
		writeError(w, http.StatusUnauthorized, codeInvalid, "the key is not valid")
	default:
		writeJSON(w, http.StatusOK, verifyResponse{Valid: true, Key: v.Key})
	}
}
