/* Day sheet: after a row saves, put the cursor on the next client's 出席 box (keyboard entry). */
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (e) {
    var row = e.detail.target;
    if (!row || !row.classList || !row.classList.contains("bl-row")) { return; }
    var fresh = document.getElementById(row.id);
    if (!fresh) { return; }
    if (fresh.classList.contains("has-error")) {
      var bad = fresh.querySelector("[aria-invalid=true]") || fresh.querySelector("input[type=checkbox]");
      if (bad) { bad.focus(); }
      return;
    }
    var next = fresh.nextElementSibling;
    while (next && !next.classList.contains("bl-row")) { next = next.nextElementSibling; }
    var target = next ? next.querySelector("input[type=checkbox]") : null;
    if (target) { target.focus(); }
  });
})();
