// Progressive enhancement of the console's import page: without JavaScript
// the page refreshes itself (<noscript> meta refresh); with it, the page asks
// the import's progress every second and updates the bar and the counts in
// place, reloading once when the import is over (to show errors and report).
(function () {
  var box = document.getElementById("import");
  var url = box && box.getAttribute("data-status-url");
  if (!url || !window.fetch) return;
  var bar = document.getElementById("import-progress");
  var pct = document.getElementById("import-percent");
  var badge = document.getElementById("import-status");
  function set(id, v) {
    var el = document.getElementById(id);
    if (el) el.textContent = String(v);
  }
  function poll() {
    fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) return setTimeout(poll, 3000);
        bar.value = s.percent;
        bar.textContent = s.percent + "%";
        pct.textContent = s.percent + "%";
        badge.textContent = s.statusLabel;
        badge.className = "badge " + s.statusClass;
        set("rows-done", s.rowsDone);
        set("rows-created", s.rowsCreated);
        set("rows-unchanged", s.rowsUnchanged);
        set("rows-failed", s.rowsFailed);
        if (s.final) window.location.reload();
        else setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
