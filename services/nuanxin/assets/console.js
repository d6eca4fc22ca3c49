/* 暖心 console: the only script of our own. Pages work without it; it adds a JavaScript error collector
   (read by the browser tests and shown to nobody), the "select all" box of bulk steps, the print button
   and the live countdown to an offer's deadline. */
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
  // Anything the Content-Security-Policy blocked (an inline script or style, a foreign source), and
  // what a library reports through the console.
  document.addEventListener("securitypolicyviolation", function (e) {
    errors.push("CSP " + e.violatedDirective + ": " + (e.blockedURI || "inline"));
  });
  var consoleError = console.error;
  console.error = function () {
    errors.push(Array.prototype.map.call(arguments, String).join(" "));
    return consoleError.apply(console, arguments);
  };
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box || !box.matches || !box.matches("input[data-check-all]")) return;
    // The boxes belong to the form by their form attribute (they sit in the table, outside it).
    var name = box.getAttribute("data-check-all");
    var boxes = box.form ? box.form.elements : document.querySelectorAll("input");
    Array.prototype.forEach.call(boxes, function (b) {
      if (b.name === name && b.type === "checkbox") b.checked = box.checked;
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
  // Offers' deadlines: the server writes the time left; this keeps it running to the second.
  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }
  function countdowns() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-deadline")) - Date.now()) / 1000);
      if (isNaN(left)) return;
      if (left <= 0) {
        el.textContent = "已过答复期限";
        el.classList.add("overdue");
        return;
      }
      var days = Math.floor(left / 86400), hours = Math.floor((left % 86400) / 3600);
      var text = "剩余" + (days > 0 ? days + "天" : "") + hours + "小时" + pad(Math.floor((left % 3600) / 60)) + "分" + pad(left % 60) + "秒";
      el.textContent = text;
    });
  }
  document.addEventListener("DOMContentLoaded", countdowns);
  document.addEventListener("htmx:afterSwap", countdowns);
  setInterval(countdowns, 1000);
})();
