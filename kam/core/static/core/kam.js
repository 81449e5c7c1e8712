// The search palette: Ctrl-K (or Cmd-K, or "/") opens it from anywhere; Enter opens the first hit.
(function () {
  "use strict";
  function palette() { return document.getElementById("kam-search"); }
  document.addEventListener("keydown", function (event) {
    var modal = palette();
    if (!modal || !window.bootstrap) { return; }
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
    if (((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") || (event.key === "/" && !typing)) {
      event.preventDefault();
      window.bootstrap.Modal.getOrCreateInstance(modal).show();
    }
  });
  document.addEventListener("shown.bs.modal", function (event) {
    if (event.target.id === "kam-search") { document.getElementById("kam-search-input").focus(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.target.id !== "kam-search-input") { return; }
    var first = document.querySelector("#kam-search-results a[href]");
    if (first) { event.preventDefault(); window.location.assign(first.getAttribute("href")); }
  });
})();
