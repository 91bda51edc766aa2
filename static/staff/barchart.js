/* Tiny SVG bar chart (vendored, no dependencies, ~90 lines): grouped or stacked bars with a legend and axis.
   BarChart.render(element, {labels: [...], series: [{name, values: [...], color}], stacked: bool, height}) */
(function (global) {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function niceMax(value) {
    if (value <= 0) return 1;
    var exp = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * exp >= value) return steps[i] * exp;
    return 10 * exp;
  }

  function render(target, spec) {
    var labels = spec.labels || [], series = spec.series || [];
    var width = spec.width || 600, height = spec.height || 220;  // viewBox units; the SVG scales to its box
    var pad = {top: 10, right: 10, bottom: 40, left: 44};
    var plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
    var totals = labels.map(function (_, i) {
      return spec.stacked
        ? series.reduce(function (s, ser) { return s + (ser.values[i] || 0); }, 0)
        : Math.max.apply(null, series.map(function (ser) { return ser.values[i] || 0; }).concat([0]));
    });
    var max = niceMax(Math.max.apply(null, totals.concat([0])));
    var svg = el("svg", {viewBox: "0 0 " + width + " " + (height + 20), width: "100%", role: "img",
      preserveAspectRatio: "xMinYMin meet", "aria-label": spec.title || "chart"});
    var tick = spec.tick || function (label) { return label; };
    for (var t = 0; t <= 4; t++) {  // grid and y axis
      var y = pad.top + plotH - (plotH * t) / 4;
      svg.appendChild(el("line", {x1: pad.left, x2: width - pad.right, y1: y, y2: y, stroke: "#ddd"}));
      svg.appendChild(el("text", {x: pad.left - 4, y: y + 4, "text-anchor": "end", "font-size": 10},
        String(Math.round((max * t) / 4 * 100) / 100)));
    }
    var slot = labels.length ? plotW / labels.length : plotW;
    var groups = spec.stacked ? 1 : Math.max(series.length, 1);
    var barW = Math.max(1, (slot * 0.8) / groups);
    var every = Math.ceil(labels.length / Math.max(1, Math.floor(plotW / 60)));
    labels.forEach(function (label, i) {
      var x0 = pad.left + i * slot + slot * 0.1, base = 0;
      series.forEach(function (ser, s) {
        var v = ser.values[i] || 0, h = (plotH * v) / max;
        var x = spec.stacked ? x0 : x0 + s * barW;
        var y = pad.top + plotH - h - (spec.stacked ? (plotH * base) / max : 0);
        var rect = el("rect", {x: x, y: y, width: Math.max(barW - 1, 1), height: h, fill: ser.color || "#417690",
          "data-series": ser.name, "data-label": label, "data-value": v});
        rect.appendChild(el("title", {}, label + " — " + ser.name + ": " + v));
        svg.appendChild(rect);
        base += v;
      });
      if (i % every === 0) {
        svg.appendChild(el("text", {x: pad.left + i * slot + slot / 2, y: height - pad.bottom + 14,
          "text-anchor": "middle", "font-size": 10}, tick(label)));
      }
    });
    var lx = pad.left;  // legend
    series.forEach(function (ser) {
      svg.appendChild(el("rect", {x: lx, y: height + 4, width: 10, height: 10, fill: ser.color || "#417690"}));
      svg.appendChild(el("text", {x: lx + 14, y: height + 13, "font-size": 11}, ser.name));
      lx += 24 + ser.name.length * 7;
    });
    target.innerHTML = "";
    target.appendChild(svg);
    return svg;
  }

  global.BarChart = {render: render};
})(window);
