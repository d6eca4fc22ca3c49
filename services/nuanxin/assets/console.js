/* 暖心 console: the only script of our own. Pages work without it; it adds a JavaScript error collector
   (read by the browser tests and shown to nobody), the "select all" box of bulk steps and the print button. */
(function () {
  "use strict";
  var errors = [];
  window.__nuanxinErrors = errors;
  window.addEventListener("error", function (e) {
    errors.push(String((e && e.message) || e));
  });
  window.addEventListener("unhandledrejection", function (e) {
    errors.push(String(e && e.reason));
  });
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box || !box.matches || !box.matches("input[data-check-all]")) return;
    var form = box.form || document;
    form.querySelectorAll("input[name='" + box.getAttribute("data-check-all") + "']").forEach(function (b) {
      b.checked = box.checked;
    });
  });
  // The navigation folds behind a menu button on narrow screens (the CSS hides it only once the
  // header is marked foldable, so a page without this script keeps its links visible).
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("header.top button.menu");
    var nav = document.getElementById("main-nav");
    if (!button || !nav) return;
    button.hidden = false;
    button.closest("header").classList.add("foldable");
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
    });
  });
  // The print button of printable pages (the family's access log).
  document.addEventListener("click", function (e) {
    if (e.target && e.target.matches && e.target.matches("[data-print]")) window.print();
  });
})();
