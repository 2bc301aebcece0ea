package config

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Fields returns the dotted path of every setting of a Run, in declaration
// order ("task", "model.n", "train.lr", ...). These are the keys of a TOML
// file, of `--set key=value` and of a sweep grid.
func Fields() []string {
	var out []string
	walkFields(reflect.TypeOf(Run{}), "", func(path string, _ reflect.StructField) {
		out = append(out, path)
	})
	return out
}

// FieldKind returns the Go kind name of a field ("string", "int", "uint64",
// "float64" or "bool"), or "" when path names no field.
func FieldKind(path string) string {
	_, f, ok := lookupType(path)
	if !ok {
		return ""
	}
	return f.Type.Kind().String()
}

func walkFields(t reflect.Type, prefix string, fn func(path string, f reflect.StructField)) {
	for i := range t.NumField() {
		f := t.Field(i)
		name := tomlName(f)
		if name == "" {
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		if f.Type.Kind() == reflect.Struct {
			walkFields(f.Type, p, fn)
			continue
		}
		fn(p, f)
	}
}

func tomlName(f reflect.StructField) string {
	tag := f.Tag.Get("toml")
	if tag == "-" || !f.IsExported() {
		return ""
	}
	if i := strings.IndexByte(tag, ','); i >= 0 {
		tag = tag[:i]
	}
	if tag == "" {
		return strings.ToLower(f.Name)
	}
	return tag
}

// lookupType finds the struct field for path; it returns the index path.
func lookupType(path string) ([]int, reflect.StructField, bool) {
	t := reflect.TypeOf(Run{})
	var idx []int
	parts := strings.Split(path, ".")
	for n, part := range parts {
		found := false
		for i := range t.NumField() {
			f := t.Field(i)
			if tomlName(f) != part {
				continue
			}
			idx = append(idx, i)
			if n == len(parts)-1 {
				if f.Type.Kind() == reflect.Struct {
					return nil, reflect.StructField{}, false
				}
				return idx, f, true
			}
			if f.Type.Kind() != reflect.Struct {
				return nil, reflect.StructField{}, false
			}
			t = f.Type
			found = true
			break
		}
		if !found {
			return nil, reflect.StructField{}, false
		}
	}
	return nil, reflect.StructField{}, false
}

// UnknownKeyError reports a setting that does not exist.
type UnknownKeyError struct {
	Key     string
	Allowed []string // the keys allowed at that level
}

// Error implements error: the key and the keys allowed at its level.
func (e *UnknownKeyError) Error() string {
	msg := fmt.Sprintf("unknown key %q", e.Key)
	if s := suggest(e.Key, Fields()); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	if len(e.Allowed) > 0 {
		msg += "; allowed: " + strings.Join(e.Allowed, ", ")
	}
	return msg
}

// allowedAt lists the keys allowed beside key (same table).
func allowedAt(key string) []string {
	prefix := ""
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		prefix = key[:i+1]
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range Fields() {
		if !strings.HasPrefix(f, prefix) {
			continue
		}
		rest := f[len(prefix):]
		if j := strings.IndexByte(rest, '.'); j >= 0 {
			rest = rest[:j]
		}
		if !seen[rest] {
			seen[rest] = true
			out = append(out, rest)
		}
	}
	if prefix == "" || len(out) == 0 {
		// Top level, or an unknown table: list every top-level name.
		out = out[:0]
		seen = map[string]bool{}
		for _, f := range Fields() {
			top := f
			if j := strings.IndexByte(f, '.'); j >= 0 {
				top = f[:j]
			}
			if !seen[top] {
				seen[top] = true
				out = append(out, top)
			}
		}
		if prefix != "" {
			return out
		}
	}
	return out
}

// suggest returns the field closest to key in edit distance, if close. A
// key without a table ("lr") is also compared with each field's last path
// element, so that it finds "train.lr" rather than a short top-level name.
func suggest(key string, fields []string) string {
	best, bestD := "", 4
	for _, f := range fields {
		d := editDistance(key, f)
		if !strings.Contains(key, ".") {
			if i := strings.LastIndexByte(f, '.'); i >= 0 {
				d = min(d, editDistance(key, f[i+1:]))
			}
		}
		if d < bestD {
			best, bestD = f, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Set sets the field at the dotted path to value. value is a string (parsed
// by the field's type, as from a flag) or a TOML value (string, int64,
// float64, bool). Integers are accepted for float fields; a float is
// accepted for an integer field only when it is a whole number.
func (r *Run) Set(path string, value any) error {
	idx, f, ok := lookupType(path)
	if !ok {
		return &UnknownKeyError{Key: path, Allowed: allowedAt(path)}
	}
	v := reflect.ValueOf(r).Elem().FieldByIndex(idx)
	if err := assign(v, value); err != nil {
		return fmt.Errorf("%s = %v: %v (want %s)", path, quoteIfString(value), err, kindWord(f.Type.Kind()))
	}
	return explicitZero(path, v)
}

// Get returns the value of the field at the dotted path.
func (r Run) Get(path string) (any, error) {
	idx, _, ok := lookupType(path)
	if !ok {
		return nil, &UnknownKeyError{Key: path, Allowed: allowedAt(path)}
	}
	return reflect.ValueOf(r).FieldByIndex(idx).Interface(), nil
}

// SetString parses "key=value" and sets it.
func (r *Run) SetString(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("--set %q: want key=value, e.g. train.lr=0.01", kv)
	}
	return r.Set(strings.TrimSpace(k), strings.TrimSpace(v))
}

func quoteIfString(v any) any {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return v
}

func kindWord(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int:
		return "an integer"
	case reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return k.String()
}

func assign(v reflect.Value, value any) error {
	switch v.Kind() {
	case reflect.String:
		s, ok := value.(string)
		if !ok {
			return fmt.Errorf("not a string")
		}
		v.SetString(s)
	case reflect.Bool:
		switch x := value.(type) {
		case bool:
			v.SetBool(x)
		case string:
			b, err := strconv.ParseBool(x)
			if err != nil {
				return fmt.Errorf("not a boolean")
			}
			v.SetBool(b)
		default:
			return fmt.Errorf("not a boolean")
		}
	case reflect.Float64:
		switch x := value.(type) {
		case float64:
			v.SetFloat(x)
		case int64:
			v.SetFloat(float64(x))
		case int:
			v.SetFloat(float64(x))
		case string:
			f, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return fmt.Errorf("not a number")
			}
			v.SetFloat(f)
		default:
			return fmt.Errorf("not a number")
		}
	case reflect.Int, reflect.Uint64:
		var n int64
		switch x := value.(type) {
		case int64:
			n = x
		case int:
			n = int64(x)
		case uint64:
			if x > math.MaxInt64 {
				return fmt.Errorf("too large")
			}
			n = int64(x)
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return fmt.Errorf("not a whole number")
			}
			n = int64(x)
		case string:
			if v.Kind() == reflect.Uint64 {
				u, err := strconv.ParseUint(x, 10, 64)
				if err != nil {
					return fmt.Errorf("not a non-negative integer")
				}
				v.SetUint(u)
				return nil
			}
			i, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return fmt.Errorf("not an integer")
			}
			n = i
		default:
			return fmt.Errorf("not an integer")
		}
		if v.Kind() == reflect.Uint64 {
			if n < 0 {
				return fmt.Errorf("negative")
			}
			v.SetUint(uint64(n))
		} else {
			if n < math.MinInt32 || n > math.MaxInt32 {
				return fmt.Errorf("out of range")
			}
			v.SetInt(n)
		}
	default:
		return fmt.Errorf("unsupported field type %s", v.Kind())
	}
	return nil
}

// sortedKeys returns the keys of m in sorted order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
