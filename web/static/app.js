/* The charts of a unit's page: each figure carries its data as JSON (the same numbers as its table)
   and is drawn with Chart.js, right to left, in Persian digits. */
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
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.Chart) return;
    window.Chart.defaults.font.family = "Vazirmatn";
    Array.prototype.forEach.call(document.querySelectorAll("figure.chart"), draw);
  });
})();
