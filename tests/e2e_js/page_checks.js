// What a user would see wrong on the rendered page, as a list of findings (strings).
// arguments[0]: true at phone width.
var phone = arguments[0];
var out = [];
function rgba(c) {
  var m = c && c.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  var p = m[1].split(",").map(parseFloat);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
}
function over(top, bottom) {
  var a = top.a;
  return { r: top.r * a + bottom.r * (1 - a), g: top.g * a + bottom.g * (1 - a), b: top.b * a + bottom.b * (1 - a), a: 1 };
}
function lum(c) {
  function f(v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
}
function background(el) {
  var layers = [];
  for (var e = el; e; e = e.parentElement) {
    var cs = getComputedStyle(e);
    if (cs.backgroundImage && cs.backgroundImage !== "none") return null; // gradients, images: not judged
    var c = rgba(cs.backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  var bg = { r: 255, g: 255, b: 255, a: 1 };
  for (var i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
  return bg;
}
function opacity(el) {
  var o = 1;
  for (var e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity || "1");
  return o;
}
function visible(el) {
  if (!el.getClientRects().length) return false;
  if (el.checkVisibility && !el.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true })) return false;
  var cs = getComputedStyle(el);
  return cs.visibility !== "hidden" && cs.display !== "none";
}
function where(el) {
  var s = el.tagName.toLowerCase();
  if (el.id) s += "#" + el.id;
  else if (el.className && typeof el.className === "string") s += "." + el.className.trim().split(/\s+/).join(".");
  return s;
}
function short(t) { t = t.replace(/\s+/g, " ").trim(); return t.length > 40 ? t.slice(0, 40) + "…" : t; }

// Text elements: parents of visible text, plus form controls showing a value.
var seen = new Set();
var texts = [];
var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (var n = walker.nextNode(); n; n = walker.nextNode()) {
  if (!n.textContent.trim()) continue;
  var el = n.parentElement;
  if (!el || el.closest("script, style, noscript, template, option, .chart canvas")) continue;
  if (!seen.has(el)) { seen.add(el); if (visible(el)) texts.push(el); }
}
document.querySelectorAll("select, input[type=text], input[type=number], input[type=date], input:not([type]), textarea").forEach(function (el) {
  if (visible(el) && (el.value || el.tagName === "SELECT") && !seen.has(el)) { seen.add(el); texts.push(el); }
});

// 1. Contrast >= 4.5 : 1 (3 : 1 for large text), disabled controls exempt.
texts.forEach(function (el) {
  if (el.closest("[disabled], [aria-disabled=true]")) return;
  var cs = getComputedStyle(el);
  var fg = rgba(cs.color);
  var bg = background(el);
  if (!fg || !bg) return;
  fg.a *= opacity(el);
  var shown = over(fg, bg);
  var l1 = lum(shown), l2 = lum(bg);
  var ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  var size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
  var need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  if (ratio < need) {
    out.push("对比度 " + ratio.toFixed(2) + " : 1 < " + need + "：「" + short(el.innerText || el.value || "") + "」 " + where(el) + " " + cs.color + " / rgb(" + [bg.r, bg.g, bg.b].map(Math.round).join(",") + ")");
  }
});

// 2. One character per line (table cells, menu items, labels, chips).
document.querySelectorAll("td, th, li, a, button, label, dt, dd, .status, summary").forEach(function (el) {
  if (!visible(el)) return;
  var text = (el.innerText || "").trim();
  if (text.replace(/\s/g, "").length < 2 || text.indexOf("\n") >= 0) return;
  var range = document.createRange();
  range.selectNodeContents(el);
  var rects = Array.prototype.filter.call(range.getClientRects(), function (r) { return r.width > 0 && r.height > 0; });
  var tops = new Set(rects.map(function (r) { return Math.round(r.top); }));
  if (tops.size < 2) return;
  var size = parseFloat(getComputedStyle(el).fontSize);
  var widest = Math.max.apply(null, rects.map(function (r) { return r.width; }));
  if (widest < 1.6 * size) out.push("一字一行：「" + short(text) + "」 " + where(el));
  else if (!phone && /^\d{4}-\d{2}-\d{2}$/.test(text)) out.push("日期断行：「" + text + "」 " + where(el));
});

// 3. Bare codes as visible text (ids may stand beside their Chinese name, marked .rule-id / .id / [data-id]).
var code = /(^|[^A-Za-z0-9_])([A-Z]{2,}-[A-Z][A-Z-]*)(?![A-Za-z0-9])|(^|[^A-Za-z0-9_.\/])([a-z][a-z0-9]*_[a-z0-9_]+)(?![A-Za-z0-9])|([\w.-]+\/[\w.-]+\.(?:txt|md|rs|html|json|sql))|([A-Za-z]{3,}(?:\s+[A-Za-z]{2,}){3,})/;
texts.forEach(function (el) {
  // Marked: an id beside its name (.rule-id, .id, [data-id]) or a value shown as recorded ([data-raw]).
  if (el.closest(".rule-id, .id, [data-id], [data-raw], input, textarea, select")) return;
  for (var i = 0; i < el.childNodes.length; i++) {
    var c = el.childNodes[i];
    if (c.nodeType !== 3) continue;
    var m = c.textContent.match(code);
    if (m) out.push("代码或英文：「" + (m[2] || m[4] || m[5] || m[6]) + "」 在「" + short(c.textContent) + "」 " + where(el));
  }
});

// 4. At desktop width a table shows all its columns without scrolling sideways, unless it is one
//    that is wide by nature (marked data-wide: the compliance matrix, a ledger).
if (!phone) {
  document.querySelectorAll(".table-wrap").forEach(function (w) {
    if (!visible(w) || w.closest("[data-wide]") || w.querySelector("[data-wide]")) return;
    if (w.scrollWidth > w.clientWidth + 1) {
      var t = w.querySelector("table");
      out.push("表格需横向滚动：" + (t ? where(t) : "table") + "（" + w.scrollWidth + " > " + w.clientWidth + " px）");
    }
  });
}

// 5. Nothing is wider than the screen (at any width).
{
  var width = window.innerWidth;
  if (document.documentElement.scrollWidth > width + 1) {
    var culprits = [];
    document.querySelectorAll("body *").forEach(function (el) {
      if (culprits.length >= 3 || !visible(el)) return;
      var r = el.getBoundingClientRect();
      if (r.right <= width + 1) return;
      for (var p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        var ox = getComputedStyle(p).overflowX;
        if (ox === "auto" || ox === "scroll" || ox === "hidden") return;
      }
      if (el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1 && el.parentElement !== document.body) return;
      culprits.push(where(el) + "（右缘 " + Math.round(r.right) + " px）");
    });
    out.push("页面宽于屏幕：" + document.documentElement.scrollWidth + " px > " + width + " px：" + culprits.join("，"));
  }
}
return { width: window.innerWidth, findings: out.slice(0, 40), total: out.length };
