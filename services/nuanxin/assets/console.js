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
  // The print button of printable pages (the family's access log).
  document.addEventListener("click", function (e) {
    if (e.target && e.target.matches && e.target.matches("[data-print]")) window.print();
  });
})();
