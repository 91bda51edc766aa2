(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  function pick(rows, key) { return rows.map(function (r) { return r[key]; }); }
  var charts = {
    "chart-registrations": {labels: pick(data.registrations, "date"), stacked: true, series: [
      {name: "teachers", values: pick(data.registrations, "teachers"), color: "#417690"},
      {name: "students", values: pick(data.registrations, "students"), color: "#79aec8"},
      {name: "parents", values: pick(data.registrations, "parents"), color: "#f5a623"}]},
    "chart-lessons": {labels: pick(data.lessons, "date"), series: [
      {name: "all", values: pick(data.lessons, "total"), color: "#417690"},
      {name: "done", values: pick(data.lessons, "done"), color: "#5cb85c"},
      {name: "cancelled", values: pick(data.lessons, "cancelled"), color: "#ba2121"}]},
    "chart-referrals": {labels: data.referrals.map(function (r) { return r.source || "(none)"; }), series: [
      {name: "users", values: pick(data.referrals, "count"), color: "#417690"}]},
    "chart-requests": {labels: pick(data.requests, "time"), stacked: true, series: [
      {name: "success", values: pick(data.requests, "success"), color: "#5cb85c"},
      {name: "errors", values: pick(data.requests, "errors"), color: "#ba2121"}]},
    "chart-error-rate": {labels: pick(data.requests, "time"), series: [
      {name: "error rate %", values: pick(data.requests, "errorRate"), color: "#ba2121"}]}
  };
  function shortDate(label) { return /^\d{4}-\d{2}-\d{2}/.test(label) ? label.slice(5) : label; }
  Object.keys(charts).forEach(function (id) {
    charts[id].tick = shortDate;
    var node = document.getElementById(id);
    if (node) window.BarChart.render(node, charts[id]);
  });
})();
