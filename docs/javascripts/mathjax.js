// MathJax set-up for pymdownx.arithmatex (generic mode) and notebook output.
//
// MathJax skips an element whose class matches ignoreHtmlClass, together with
// everything inside it, unless an inner element matches processHtmlClass; the
// skip is inherited again below any element whose class matches
// ignoreHtmlClass. So: skip Material's own containers (classes "md-..."), and
// typeset the arithmatex spans of the Markdown pages and the whole rendered
// Markdown of notebook cells ($...$ in their paragraphs, lists and headings).
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: "md-\\S+",
    processHtmlClass: "arithmatex|jp-RenderedMarkdown",
  },
};

document$.subscribe(() => {
  MathJax.startup.output.clearCache();
  MathJax.typesetClear();
  MathJax.texReset();
  MathJax.typesetPromise();
});
