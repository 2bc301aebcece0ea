package report

import (
	"encoding/base64"
	"html/template"
	"io"
	"os"
	"path/filepath"

	"github.com/hessrnn/hessrnn/cmd/internal/results"
)

// Document is the content of a report.
type Document struct {
	Title string
	// Command is the exact command line that produced the report.
	Command string
	// Meta lists facts shown under the title (versions, SIMD level, date).
	Meta     []KV
	Sections []Section
}

// KV is a labelled value.
type KV struct{ Key, Value string }

// Section is a heading with paragraphs, tables and figures, in that order.
type Section struct {
	Heading    string
	Paragraphs []string
	Tables     []Table
	Figures    []Figure
}

// Table is a captioned table of strings.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]string
}

// Figure is an embedded image.
type Figure struct {
	Caption string
	// SVG is the figure as SVG (preferred) ...
	SVG []byte
	// ... or PNG, when SVG is empty.
	PNG []byte
	// Files are links shown under the figure (e.g. "fig3.png").
	Files []string
}

type figView struct {
	Caption string
	Src     template.URL
	Files   []string
}

type secView struct {
	Heading    string
	Paragraphs []string
	Tables     []Table
	Figures    []figView
}

var tmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
pre.cmd { background: #f5f5f5; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.3em; }
figure { display: inline-block; margin: 0.5em 1em 1em 0; vertical-align: top; }
figure img { width: 480px; max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #444; max-width: 480px; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.1em 1em; font-size: 0.9em; color: #444; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<dl class="meta">{{range .Meta}}<dt>{{.Key}}</dt><dd>{{.Value}}</dd>{{end}}</dl>
<p>Produced by:</p>
<pre class="cmd">{{.Command}}</pre>
{{range .Sections}}
<section>
<h2>{{.Heading}}</h2>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}
{{range .Tables}}<table>{{if .Caption}}<caption>{{.Caption}}</caption>{{end}}
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}
{{range .Figures}}<figure><img src="{{.Src}}" alt="{{.Caption}}"><figcaption>{{.Caption}}{{if .Files}} [{{range $i, $f := .Files}}{{if $i}}, {{end}}<a href="{{$f}}">{{$f}}</a>{{end}}]{{end}}</figcaption></figure>
{{end}}
</section>
{{end}}
</body>
</html>
`))

// Write renders d as HTML to w.
func Write(w io.Writer, d Document) error {
	var secs []secView
	for _, s := range d.Sections {
		v := secView{Heading: s.Heading, Paragraphs: s.Paragraphs, Tables: s.Tables}
		for _, f := range s.Figures {
			var src string
			switch {
			case len(f.SVG) > 0:
				src = "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(f.SVG)
			case len(f.PNG) > 0:
				src = "data:image/png;base64," + base64.StdEncoding.EncodeToString(f.PNG)
			default:
				continue
			}
			v.Figures = append(v.Figures, figView{Caption: f.Caption, Src: template.URL(src), Files: f.Files})
		}
		secs = append(secs, v)
	}
	return tmpl.Execute(w, struct {
		Title, Command string
		Meta           []KV
		Sections       []secView
	}{d.Title, d.Command, d.Meta, secs})
}

// WriteFile renders d to path atomically.
func WriteFile(path string, d Document) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".report-*.html")
	if err != nil {
		return err
	}
	name := f.Name()
	if err := Write(f, d); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return err
	}
	b, err := os.ReadFile(name)
	os.Remove(name)
	if err != nil {
		return err
	}
	return results.WriteFileAtomic(path, b)
}
