package report

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><text>hi</text></svg>`)
	d := Document{
		Title:   "hessrnn <report>",
		Command: "hessrnn report out --flag 'x'",
		Meta:    []KV{{"SIMD", "avx512"}},
		Sections: []Section{{
			Heading:    "Summary",
			Paragraphs: []string{"BPTT finds flatter minima & generalises better."},
			Tables:     []Table{{Caption: "Final", Header: []string{"rule", "gap"}, Rows: [][]string{{"BPTT", "0.01 ± 0.002"}, {"<script>", "x"}}}},
			Figures:    []Figure{{Caption: "Fig. 3", SVG: svg, Files: []string{"fig3.png", "fig3.svg"}}, {Caption: "png", PNG: []byte("\x89PNG")}, {Caption: "none"}},
		}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{
		"<title>hessrnn &lt;report&gt;</title>",
		"hessrnn report out --flag &#39;x&#39;",
		"flatter minima &amp; generalises",
		"<td>&lt;script&gt;</td>",
		"data:image/svg&#43;xml;base64," + base64.StdEncoding.EncodeToString(svg),
		"data:image/png;base64,",
		`<a href="fig3.png">fig3.png</a>`,
		"<dt>SIMD</dt><dd>avx512</dd>",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(s, "ZgotmplZ") {
		t.Error("template sanitised a data URI")
	}
	if strings.Count(s, "<figure>") != 2 {
		t.Errorf("%d figures, want 2 (the empty one is skipped)", strings.Count(s, "<figure>"))
	}
	if strings.Contains(s, "http://") && !strings.Contains(s, "base64") {
		t.Error("external reference")
	}
}

func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "report.html")
	if err := WriteFile(p, Document{Title: "t"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || !bytes.Contains(b, []byte("<title>t</title>")) {
		t.Errorf("file %q %v", b, err)
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Errorf("temporary files left: %d entries", len(ents))
	}
}
