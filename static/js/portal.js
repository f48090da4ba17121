/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  // Confirm before destructive or final actions: <button data-confirm="確定送出？">
  document.addEventListener("submit", function (e) {
    var btn = e.submitter, msg = (btn && btn.getAttribute("data-confirm")) || e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
    // Block double submits of plain forms (the server is idempotent anyway).
    if (!e.defaultPrevented && !e.target.hasAttribute("hx-post")) {
      var buttons = e.target.querySelectorAll("button[type=submit]");
      setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
    }
  });
  // Live countdowns: <span data-deadline="2025-01-15T10:00:00+08:00">
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-deadline")) - now;
      var sign = left < 0 ? "逾期 " : "剩 ";
      var s = Math.floor(Math.abs(left) / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
      el.textContent = sign + (d ? d + " 天 " : "") + pad(h) + ":" + pad(m);
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 3600 * 1000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
  document.addEventListener("htmx:afterSwap", tick);
})();
