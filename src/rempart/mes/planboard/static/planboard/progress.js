// Planning board: poll a run's progress while it solves; reload the page when it ends.
// Served from this origin (no CDN, no inline script: the pages' CSP forbids both).
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  function show(p) {
    var status = document.getElementById("run-status");
    var stage = document.getElementById("run-stage");
    var elapsed = document.getElementById("run-elapsed");
    var bar = document.getElementById("run-bar");
    if (status) { status.textContent = p.status; }
    if (stage) { stage.textContent = p.stage; }
    if (elapsed && p.elapsed_s !== null) { elapsed.textContent = p.elapsed_s; }
    if (bar && p.elapsed_s !== null) { bar.value = Math.min(p.elapsed_s, p.time_limit_s); }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) { window.setTimeout(poll, 5000); return; }
        show(p);
        if (p.status === "done" || p.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
