// Inline validation of the forms marked data-validate: the browser's own
// constraint checks (required, pattern, maxlength, type) shown as the field's
// error while the citizen types. The server checks everything again and is
// the authority; without JavaScript its answer shows the same messages.
(function () {
  var form = document.querySelector("form[data-validate]");
  if (!form) return;
  function show(el) {
    var box = document.getElementById(el.id + "-error");
    if (!box) return true;
    var ok = el.checkValidity();
    el.classList.toggle("is-invalid", !ok);
    if (ok) {
      el.removeAttribute("aria-invalid");
      box.textContent = "";
      box.classList.remove("d-block");
    } else {
      el.setAttribute("aria-invalid", "true");
      box.textContent = el.validationMessage;
      box.classList.add("d-block");
    }
    var described = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (x) { return x && x !== box.id; });
    if (!ok) described.push(box.id);
    if (described.length) el.setAttribute("aria-describedby", described.join(" "));
    else el.removeAttribute("aria-describedby");
    return ok;
  }
  var inputs = form.querySelectorAll("input[id], select[id], textarea[id]");
  Array.prototype.forEach.call(inputs, function (el) {
    if (el.type === "hidden" || el.type === "radio") return;
    el.addEventListener("blur", function () { if (el.value !== "") show(el); });
    el.addEventListener("change", function () { show(el); });
    // A flagged field is cleared as soon as it is right, while the citizen
    // types: clearing it only when the field is left would move the page
    // under the pointer between mousedown and mouseup on the next control
    // (the error line above it disappears), and that click would be lost.
    el.addEventListener("input", function () {
      if (el.getAttribute("aria-invalid") === "true" && el.checkValidity()) show(el);
    });
  });
  form.addEventListener("submit", function (e) {
    var first = null;
    Array.prototype.forEach.call(inputs, function (el) {
      if (el.type === "hidden" || el.type === "radio") return;
      if (!show(el) && !first) first = el;
    });
    if (first) {
      e.preventDefault();
      first.focus();
    }
  });
})();
