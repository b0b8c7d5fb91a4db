// Line dashboard: poll status.json and update the page in place (no reload).
// Served from this origin (no CDN, no inline script: the pages' CSP forbids both).
(function () {
  "use strict";
  var box = document.getElementById("line-live");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var every = 1000 * (parseFloat(box.getAttribute("data-refresh-s")) || 5);
  var records = box.getAttribute("data-record-url");
  var none = box.getAttribute("data-none") || "none";
  var sequence = box.getAttribute("data-sequence") || "sequence";
  var SVG = "http://www.w3.org/2000/svg";
  function text(id, value) {
    var node = document.getElementById(id);
    if (node) { node.textContent = value; }
  }
  function show(s) {
    text("state", s.state);
    var batch = document.getElementById("batch");
    if (batch) {
      batch.textContent = "";
      if (s.batch_number) {
        var a = document.createElement("a");
        a.href = records + encodeURIComponent(s.batch_number) + "/";
        a.textContent = s.batch_number;
        batch.appendChild(a);
      } else { batch.textContent = "—"; }
    }
    var parts = Object.keys(s.counts).map(function (k) { return k + " " + s.counts[k]; });
    text("counts", parts.length ? parts.join(", ") : "—");
    text("rate", String(s.vials_last_hour));
    text("journal", sequence + " " + s.last_sequence + (s.last_event_at ? ", " + s.last_event_at : ""));
    text("readings", String(s.particles.length));
    var c = s.chart;
    var trend = document.getElementById("trend");
    if (trend) { trend.setAttribute("points", c.points); }
    [["alert-line", c.alert_y], ["action-line", c.action_y]].forEach(function (l) {
      var node = document.getElementById(l[0]);
      if (node) { node.setAttribute("y1", l[1]); node.setAttribute("y2", l[1]); }
    });
    var marks = document.getElementById("excursions");
    if (marks) {
      while (marks.firstChild) { marks.removeChild(marks.firstChild); }
      c.excursions.forEach(function (e) {
        var dot = document.createElementNS(SVG, "circle");
        dot.setAttribute("cx", e.x); dot.setAttribute("cy", e.y);
        dot.setAttribute("r", "4"); dot.setAttribute("fill", "#b00");
        marks.appendChild(dot);
      });
    }
    var body = document.querySelector("#alarms tbody");
    if (body) {
      while (body.firstChild) { body.removeChild(body.firstChild); }
      var rows = s.open_alarms.length ? s.open_alarms : [null];
      rows.forEach(function (a) {
        var tr = document.createElement("tr");
        var cells = a ? [a.alarm_id, a.code, a.station, a.severity, a.raised_at] : [none];
        cells.forEach(function (v) {
          var td = document.createElement("td");
          td.textContent = v;
          if (!a) { td.colSpan = 5; }
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }
    text("refreshed", new Date().toISOString());
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) { show(s); } window.setTimeout(poll, every); })
      .catch(function () { window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);
})();
