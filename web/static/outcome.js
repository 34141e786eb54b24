// Progressive enhancement of "Pagamento in verifica": without JavaScript the
// citizen uses the "Aggiorna" button; with it, the page asks the payment's
// status every few seconds and reloads once, when the receipt has arrived.
(function () {
  var title = document.getElementById("outcome-title");
  var id = title && title.getAttribute("data-payment");
  if (!id || !window.fetch) return;
  var tries = 0;
  function poll() {
    if (++tries > 60) return;
    fetch("/api/v1/payments/" + encodeURIComponent(id), { headers: { accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.status === "paid") window.location.reload();
        else setTimeout(poll, 3000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
