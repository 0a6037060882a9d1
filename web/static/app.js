/* The menu that folds behind a button on a phone; the column names a table's cells carry when it is
   shown as cards; and the charts of a unit's page: each figure carries its data as JSON (the same
   numbers as its table) and is drawn with Chart.js, right to left, in Persian digits. */
(function () {
  "use strict";
  var COLORS = ["#0b6e4f", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#264653", "#8ab17d", "#b5838d", "#6d597a", "#457b9d"];
  function fa(n) { return window.Jalali ? window.Jalali.fa(n) : String(n); }
  function draw(figure) {
    var data = JSON.parse(figure.querySelector("script.chart-data").textContent);
    var canvas = figure.querySelector("canvas");
    var datasets = [{ label: data.series ? data.series[0] : data.unit, data: data.values,
                      backgroundColor: data.type === "line" ? COLORS[0] : COLORS.slice(0, Math.max(1, data.values.length)),
                      borderColor: data.type === "line" ? COLORS[0] : undefined }];
    if (data.second) datasets.push({ label: data.series[1], data: data.second, borderColor: COLORS[3], backgroundColor: COLORS[3] });
    var chart = new window.Chart(canvas, {
      type: data.type,
      data: { labels: data.labels, datasets: datasets },
      options: {
        maintainAspectRatio: false, animation: false, locale: "fa-IR",
        plugins: { legend: { display: data.type !== "bar", rtl: true, labels: { font: { family: "Vazirmatn" } } },
                   tooltip: { rtl: true, bodyFont: { family: "Vazirmatn" }, titleFont: { family: "Vazirmatn" } } },
        scales: data.type === "doughnut" ? {} : {
          x: { reverse: true, ticks: { font: { family: "Vazirmatn" } } },
          y: { position: "right", beginAtZero: true, ticks: { precision: 0, font: { family: "Vazirmatn" }, callback: function (v) { return fa(v); } } }
        }
      }
    });
    figure.dataset.drawn = "1";
    return chart;
  }
  function menu(button) {
    var panel = document.getElementById(button.getAttribute("aria-controls"));
    if (!panel) return;
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      panel.classList.toggle("open", open);
    }
    button.addEventListener("click", function () { show(button.getAttribute("aria-expanded") !== "true"); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && button.getAttribute("aria-expanded") === "true") { show(false); button.focus(); }
    });
  }
  // A cell the template did not name takes its column's header, so that a card still says what each
  // value is (a row spanning the columns, such as "nothing here", is left as it is).
  function label(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    var names = Array.prototype.map.call(head.cells, function (c) { return c.textContent.trim(); });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        if (row.cells.length !== names.length) return;
        Array.prototype.forEach.call(row.cells, function (cell, i) {
          if (cell.tagName === "TD" && names[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[i]);
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".menu-toggle[aria-controls]"), menu);
    Array.prototype.forEach.call(document.querySelectorAll("table.data"), label);
    if (!window.Chart) return;
    window.Chart.defaults.font.family = "Vazirmatn";
    Array.prototype.forEach.call(document.querySelectorAll("figure.chart"), draw);
  });
})();
