/* Jalali (Solar Hijri) arithmetic and an accessible date picker for inputs of class "jalali".
   The arithmetic is the jalaali-js algorithm (Borkowski's, MIT); the picker is keyboard-operable
   (Tab to the button, arrows between days, Enter to pick, Escape to close) and writes the date
   as ۱۴۰۵/۰۹/۱۶ in Persian digits (the server accepts any digits). */
(function () {
  "use strict";
  var BREAKS = [-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178];
  function div(a, b) { return ~~(a / b); }
  function mod(a, b) { return a - ~~(a / b) * b; }
  function jalCal(jy) {
    var gy = jy + 621, leapJ = -14, jp = BREAKS[0], jm, jump = 0, n, i;
    for (i = 1; i < BREAKS.length; i += 1) {
      jm = BREAKS[i]; jump = jm - jp;
      if (jy < jm) break;
      leapJ = leapJ + div(jump, 33) * 8 + div(mod(jump, 33), 4);
      jp = jm;
    }
    n = jy - jp;
    leapJ = leapJ + div(n, 33) * 8 + div(mod(n, 33) + 3, 4);
    if (mod(jump, 33) === 4 && jump - n === 4) leapJ += 1;
    var leapG = div(gy, 4) - div((div(gy, 100) + 1) * 3, 4) - 150;
    var march = 20 + leapJ - leapG;
    if (jump - n < 6) n = n - jump + div(jump + 4, 33) * 33;
    var leap = mod(mod(n + 1, 33) - 1, 4);
    if (leap === -1) leap = 4;
    return { leap: leap, gy: gy, march: march };
  }
  function g2d(gy, gm, gd) {
    var d = div((gy + div(gm - 8, 6) + 100100) * 1461, 4) + div(153 * mod(gm + 9, 12) + 2, 5) + gd - 34840408;
    return d - div(div(gy + 100100 + div(gm - 8, 6), 100) * 3, 4) + 752;
  }
  function d2g(jdn) {
    var j = 4 * jdn + 139361631;
    j = j + div(div(4 * jdn + 183187720, 146097) * 3, 4) * 4 - 3908;
    var i = div(mod(j, 1461), 4) * 5 + 308;
    var gd = div(mod(i, 153), 5) + 1, gm = mod(div(i, 153), 12) + 1;
    return { gy: div(j, 1461) - 100100 + div(8 - gm, 6), gm: gm, gd: gd };
  }
  function j2d(jy, jm, jd) {
    var r = jalCal(jy);
    return g2d(r.gy, 3, r.march) + (jm - 1) * 31 - div(jm, 7) * (jm - 7) + jd - 1;
  }
  function d2j(jdn) {
    var gy = d2g(jdn).gy, jy = gy - 621, r = jalCal(jy), k = jdn - g2d(gy, 3, r.march);
    if (k >= 0) {
      if (k <= 185) return { jy: jy, jm: 1 + div(k, 31), jd: mod(k, 31) + 1 };
      k -= 186;
    } else { jy -= 1; k += 179; if (r.leap === 1) k += 1; }
    return { jy: jy, jm: 7 + div(k, 30), jd: mod(k, 30) + 1 };
  }
  function monthLength(jy, jm) { return jm < 12 ? j2d(jy, jm + 1, 1) - j2d(jy, jm, 1) : j2d(jy + 1, 1, 1) - j2d(jy, 12, 1); }
  var FA = "۰۱۲۳۴۵۶۷۸۹";
  function fa(s) { return String(s).replace(/[0-9]/g, function (d) { return FA[+d]; }); }
  function latin(s) { return String(s).replace(/[۰-۹]/g, function (d) { return FA.indexOf(d); }).replace(/[٠-٩]/g, function (d) { return d.charCodeAt(0) - 0x660; }); }
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function format(j) { return fa(j.jy + "/" + pad(j.jm) + "/" + pad(j.jd)); }
  function parse(text) {
    var m = /^\s*(\d{4})[\/\-](\d{1,2})[\/\-](\d{1,2})\s*$/.exec(latin(text || ""));
    if (!m) return null;
    var j = { jy: +m[1], jm: +m[2], jd: +m[3] };
    if (j.jm < 1 || j.jm > 12 || j.jd < 1 || j.jd > monthLength(j.jy, j.jm)) return null;
    return j;
  }
  var MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"];
  var WEEK = ["ش", "ی", "د", "س", "چ", "پ", "ج"];
  function todayJ() { var n = new Date(); return d2j(g2d(n.getFullYear(), n.getMonth() + 1, n.getDate())); }

  function attach(input) {
    var wrap = document.createElement("div"); wrap.className = "jdp-wrap";
    input.parentNode.insertBefore(wrap, input.nextSibling);
    var open = document.createElement("button");
    open.type = "button"; open.className = "jdp-open"; open.textContent = "تقویم";
    open.setAttribute("aria-haspopup", "dialog"); open.setAttribute("aria-label", "انتخاب تاریخ از تقویم شمسی");
    wrap.appendChild(open);
    var box = null, shown = null;
    function close(focusBack) { if (box) { box.remove(); box = null; if (focusBack) open.focus(); } }
    function draw(jy, jm, focusDay) {
      close(false);
      shown = { jy: jy, jm: jm };
      box = document.createElement("div"); box.className = "jdp"; box.setAttribute("role", "dialog");
      box.setAttribute("aria-label", "تقویم " + MONTHS[jm - 1] + " " + fa(jy));
      var head = document.createElement("header");
      var prev = document.createElement("button"); prev.type = "button"; prev.textContent = "›"; prev.setAttribute("aria-label", "ماه قبل");
      var next = document.createElement("button"); next.type = "button"; next.textContent = "‹"; next.setAttribute("aria-label", "ماه بعد");
      var title = document.createElement("strong"); title.className = "jdp-title"; title.textContent = MONTHS[jm - 1] + " " + fa(jy);
      prev.onclick = function () { draw(jm === 1 ? jy - 1 : jy, jm === 1 ? 12 : jm - 1); };
      next.onclick = function () { draw(jm === 12 ? jy + 1 : jy, jm === 12 ? 1 : jm + 1); };
      head.appendChild(prev); head.appendChild(title); head.appendChild(next); box.appendChild(head);
      var table = document.createElement("table"), tr = document.createElement("tr");
      WEEK.forEach(function (w) { var th = document.createElement("th"); th.textContent = w; tr.appendChild(th); });
      var thead = document.createElement("thead"); thead.appendChild(tr); table.appendChild(thead);
      var body = document.createElement("tbody"); tr = document.createElement("tr");
      var first = (j2d(jy, jm, 1) + 2) % 7, len = monthLength(jy, jm), t = todayJ(), cell, focusBtn = null;
      for (var i = 0; i < first; i += 1) tr.appendChild(document.createElement("td"));
      for (var d = 1; d <= len; d += 1) {
        if ((first + d - 1) % 7 === 0 && d > 1) { body.appendChild(tr); tr = document.createElement("tr"); }
        cell = document.createElement("td");
        var b = document.createElement("button"); b.type = "button"; b.textContent = fa(d); b.dataset.day = d;
        b.setAttribute("aria-label", fa(d) + " " + MONTHS[jm - 1] + " " + fa(jy));
        if (t.jy === jy && t.jm === jm && t.jd === d) b.className = "today";
        b.onclick = (function (day) { return function () { input.value = format({ jy: jy, jm: jm, jd: day }); input.dispatchEvent(new Event("change")); close(true); }; })(d);
        if (d === (focusDay || 1)) focusBtn = b;
        cell.appendChild(b); tr.appendChild(cell);
      }
      body.appendChild(tr); table.appendChild(body); box.appendChild(table);
      box.addEventListener("keydown", function (e) {
        var cur = document.activeElement && document.activeElement.dataset.day ? +document.activeElement.dataset.day : null;
        if (e.key === "Escape") { e.preventDefault(); close(true); return; }
        if (cur === null) return;
        var step = { ArrowLeft: 1, ArrowRight: -1, ArrowDown: 7, ArrowUp: -7 }[e.key];
        if (!step) return;
        e.preventDefault();
        var target = cur + step;
        if (target < 1) { var pm = jm === 1 ? 12 : jm - 1, py = jm === 1 ? jy - 1 : jy; draw(py, pm, monthLength(py, pm) + target); }
        else if (target > len) { draw(jm === 12 ? jy + 1 : jy, jm === 12 ? 1 : jm + 1, target - len); }
        else { box.querySelector('button[data-day="' + target + '"]').focus(); }
      });
      wrap.appendChild(box);
      (focusBtn || box.querySelector("button[data-day]")).focus();
    }
    open.addEventListener("click", function () {
      if (box) { close(true); return; }
      var j = parse(input.value) || todayJ();
      draw(j.jy, j.jm, j.jd);
    });
    input.addEventListener("blur", function () { var j = parse(input.value); if (j) input.value = format(j); });
  }
  window.Jalali = { j2d: j2d, d2j: d2j, g2d: g2d, d2g: d2g, monthLength: monthLength, parse: parse, format: format, fa: fa };
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input.jalali"), attach);
  });
})();
