/* The 通報單 adapts to what is ticked (progressive: without JS every field stays visible
   and the server checks the same rules). */
(function () {
  "use strict";
  var form = document.getElementById("incident-form") || document.getElementById("report-form");
  if (!form) { return; }
  function checked(name, value) {
    return !!form.querySelector('input[name="' + name + '"][value="' + value + '"]:checked');
  }
  function anyChecked(name) { return !!form.querySelector('input[name="' + name + '"]:checked'); }
  function show(el, on) { if (el) { el.hidden = !on; } }
  function update() {
    var period = form.querySelector('input[name="period"]:checked');
    var outside = period && period.value === "non_service";
    var needsForm = !period || !outside || anyChecked("categories_anytime");
    form.querySelectorAll("[data-form-only]").forEach(function (el) { show(el, needsForm); });
    form.querySelectorAll("[data-learned]").forEach(function (el) { show(el, !period || outside); });
    var note = form.querySelector("[data-mode-note]");
    if (note && period) {
      note.hidden = false;
      note.className = "mode-note " + (needsForm ? "mode-form" : "mode-platform");
      note.textContent = needsForm
        ? "本事件須填寫通報單（服務時段或不限服務時段之事件）：依影響程度先行通報主管機關，並於 24 小時內遞交通報單。"
        : "非服務時段的服務期間類事件：只需於衛生福利部照顧服務管理資訊平台完成異動通報，免填紙本通報單。";
    }
    form.querySelectorAll("[data-show-if]").forEach(function (el) {
      var key = el.getAttribute("data-show-if");
      var on = key === "unit_caused" ? !!form.querySelector('input[name="unit_caused"]:checked')
        : checked("interventions", key);
      show(el, on);
    });
  }
  form.addEventListener("change", update);
  update();
})();
