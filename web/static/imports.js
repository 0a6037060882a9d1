/* An import's progress bar: polls the job until it is done (or failed), then shows its refused rows. */
(function () {
  "use strict";
  var box = document.getElementById("import");
  if (!box) return;
  var FA = "۰۱۲۳۴۵۶۷۸۹";
  function fa(n) { return String(n).replace(/[0-9]/g, function (d) { return FA[+d]; }); }
  var NAMES = { pending: "در صف", reading: "در حال خواندن", running: "در حال ثبت", done: "انجام‌شده", failed: "ناموفق" };
  function set(id, v) { var el = document.getElementById(id); if (el) el.textContent = v; }
  function poll() {
    fetch("/imports/" + box.dataset.job + ".json", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        var bar = document.getElementById("import-progress");
        bar.value = j.progress;
        set("import-percent", fa(Math.round(j.progress * 100)));
        set("import-status", NAMES[j.status] || j.status);
        set("import-done", fa(j.done_rows)); set("import-rows", fa(j.rows));
        set("import-accepted", fa(j.accepted)); set("import-duplicates", fa(j.duplicates)); set("import-refused", fa(j.refused));
        if (j.status === "done" || j.status === "failed") { window.location.reload(); return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.status !== "done" && box.dataset.status !== "failed") setTimeout(poll, 500);
})();
