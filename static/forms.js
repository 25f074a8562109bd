// After a failed submit: an error summary at the top of the form listing every message the
// server put next to a field (.field-error), each a link to its field, and the focus on the
// first one.
// A form-level error without field errors is scrolled into view. No inline script (CSP).
(function () {
  function labelOf(field) {
    var label = field.id ? document.querySelector('label[for="' + field.id + '"]') : null;
    label = label || field.closest("label");
    if (!label) return field.getAttribute("aria-label") || field.name || "";
    for (var i = 0; i < label.childNodes.length; i++) {
      var n = label.childNodes[i];
      if (n.nodeType === 3 && n.textContent.trim()) return n.textContent.trim();
    }
    return label.textContent.trim().split("\n")[0];
  }
  // The field an error message belongs to.
  function fieldOf(err) {
    if (err.id) {
      var by = document.querySelector('[aria-describedby~="' + err.id + '"]');
      // A group (fieldset) names the error: its first field takes the focus.
      if (by && !by.matches("input, select, textarea")) {
        by = by.querySelector("input:not([type=hidden]), select, textarea") || by;
      }
      if (by) return by;
      var named = document.getElementById(err.id.replace(/-error$/, ""));
      if (named && named.matches("input, select, textarea")) return named;
    }
    var box = err.closest("label, fieldset, td, .field");
    var inside = box && box.querySelector("input:not([type=hidden]), select, textarea");
    if (inside) return inside;
    for (var p = err.previousElementSibling; p; p = p.previousElementSibling) {
      var f = p.matches("input, select, textarea") ? p : p.querySelector("input:not([type=hidden]), select, textarea");
      if (f) return f;
    }
    return null;
  }
  function nameOf(field) {
    var set = field.closest("fieldset");
    var legend = set && set.querySelector("legend");
    if ((field.type === "radio" || field.type === "checkbox") && legend) return legend.textContent.trim();
    if (field.type === "radio" && set) {
      var before = set.previousElementSibling;
      if (before && before.matches("h2, h3, h4, p, label")) return before.textContent.trim();
    }
    return labelOf(field);
  }
  function run() {
    var errors = Array.prototype.slice.call(document.querySelectorAll("main .field-error"))
      .filter(function (e) { return e.textContent.trim() && e.getClientRects().length; });
    if (!errors.length) {
      var alert = document.querySelector("main .form-error[role=alert], main .error-summary");
      if (alert) {
        alert.setAttribute("tabindex", "-1");
        alert.scrollIntoView({ block: "center" });
        alert.focus({ preventScroll: true });
      }
      return;
    }
    var items = errors.map(function (e) { return { err: e, field: fieldOf(e) }; });
    var first = items[0].field;
    var form = (first || items[0].err).closest("form");
    var box = form && form.querySelector(".error-summary");
    if (form && !box) {
      box = document.createElement("div");
      box.className = "error-summary";
      box.setAttribute("role", "alert");
      var h = document.createElement("p");
      h.className = "error-summary-title";
      h.textContent = "提交未成功：有 " + items.length + " 处需要修改（您填写的内容已保留）";
      box.appendChild(h);
      var list = document.createElement("ul");
      items.forEach(function (it) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        var target = it.field || it.err;
        if (!target.id) target.id = "err-" + Math.random().toString(36).slice(2);
        a.href = "#" + target.id;
        a.textContent = (it.field ? nameOf(it.field) + "：" : "") + it.err.textContent.trim();
        a.addEventListener("click", function (e) { e.preventDefault(); if (it.field) it.field.focus(); else it.err.scrollIntoView(); });
        li.appendChild(a);
        list.appendChild(li);
      });
      box.appendChild(list);
      form.insertBefore(box, form.firstChild);
    }
    if (box) box.scrollIntoView({ block: "start" });
    if (first) {
      first.focus({ preventScroll: true });
      var r = first.getBoundingClientRect();
      // The summary and the first field both in view when they fit; otherwise the field.
      if (r.bottom > window.innerHeight || r.top < 0) first.scrollIntoView({ block: "center" });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
