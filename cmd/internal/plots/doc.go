// Package plots draws hessrnn's figures with gonum/plot, styled like the
// paper's: one fixed colour per learning rule, overlaid histograms of a
// per-run quantity (Fig. 2 A–C), scatter plots with a least-squares line and
// the correlation in the title (Fig. 2 D–F, Fig. 12), mean ± std bands along
// training (Fig. 3, 4, 5, 9, 11) and strip plots of a per-run quantity by
// rule (Fig. 7, 8, 10). Figures are saved as PNG and SVG, and can be
// rendered to SVG bytes for embedding in the HTML report.
package plots
