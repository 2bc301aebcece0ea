package config

import (
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// zeroIsDefault maps the settings whose zero value means "the task's
// default" (Resolve fills them in) to their allowed range. Written
// explicitly, 0 would silently become the default, so Set and Parse reject
// it with the range, as for any other out-of-range value.
var zeroIsDefault = map[string]string{
	"model.n":           "range [2, 4096]",
	"model.rec_scale":   "range (0, 10]",
	"train.iterations":  "range [1, 100000000]",
	"train.decay_every": "range [1, 100000000]",
	"train.trunc_k":     "range [1, T] (T: the task's time steps)",
	"hessian.every":     "range [1, 100000000]",
}

// explicitZero returns the error for an explicit 0 at path, or nil when
// path may be 0 or v is not zero.
func explicitZero(path string, v reflect.Value) error {
	allowed, ok := zeroIsDefault[path]
	if !ok || !v.IsZero() {
		return nil
	}
	return &FieldError{Field: path, Value: v.Interface(), Allowed: allowed + "; leave the key out for the task's default"}
}

// explicitZeros checks the keys a TOML file defines.
func explicitZeros(md toml.MetaData, r Run) []error {
	var errs []error
	for _, path := range Fields() {
		if _, ok := zeroIsDefault[path]; !ok || !md.IsDefined(strings.Split(path, ".")...) {
			continue
		}
		idx, _, _ := lookupType(path)
		if err := explicitZero(path, reflect.ValueOf(r).FieldByIndex(idx)); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
