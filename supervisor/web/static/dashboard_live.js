// Live dashboard: re-read the snapshot when the event stream says something happened
// (debounced), every 30 s anyway, and count the longest waits up every second.
(function () {
  "use strict";
  var root = document.getElementById("live");
  if (!root) { return; }
  var DEBOUNCE_MS = 300, REFRESH_MS = 30000;
  var offset = 0;          // server clock minus browser clock, in ms
  var timer = null;

  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? o : o[k]; }, obj);
  }

  function mmss(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function cell(text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    return td;
  }

  function timeOf(iso) {
    return new Date(iso).toLocaleTimeString();
  }

  function render(snap) {
    offset = Date.parse(snap.now) - Date.now();
    root.querySelectorAll("[data-field]").forEach(function (el) {
      var value = get(snap, el.getAttribute("data-field"));
      el.textContent = value == null ? (el.getAttribute("data-unknown") || "") : value;
    });
    var body = document.querySelector("#live-queues tbody");
    body.replaceChildren.apply(body, snap.queues.map(function (q) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-queue", q.queue);
      var longest = cell(mmss(q.longest_wait), "longest");
      longest.setAttribute("data-since", q.oldest_queued_at || "");
      var level = q.service_level && q.service_level.percent !== null && q.service_level.percent !== undefined
        ? q.service_level.percent + "% (" + q.service_level.within + "/" +
          (q.service_level.answered + q.service_level.abandoned) + ", " + q.service_level.threshold + "s)"
        : root.getAttribute("data-no-calls");
      tr.append(cell(q.queue), cell(String(q.waiting), "waiting"),
                cell(String(q.talking), "talking"), longest, cell(level, "service-level"));
      return tr;
    }));
    var states = JSON.parse(root.getAttribute("data-states") || "{}");
    var kinds = JSON.parse(root.getAttribute("data-kinds-text") || "{}");
    var lineRows = [];
    Object.keys(snap.lines || {}).sort().forEach(function (queue) {
      snap.lines[queue].forEach(function (row) {
        var tr = document.createElement("tr");
        var kind = (kinds[row.kind] || row.kind) +
          (row.offered ? " · " + root.getAttribute("data-ringing") : "");
        var since = cell(mmss(row.waited), "since");
        since.setAttribute("data-since", row.since);
        tr.append(cell(queue), cell(kind), cell(String(row.priority)), since);
        lineRows.push(tr);
      });
    });
    var lineBody = document.querySelector("#live-lines tbody");
    lineBody.replaceChildren.apply(lineBody, lineRows);
    var agentBody = document.querySelector("#live-agent-states tbody");
    agentBody.replaceChildren.apply(agentBody, (snap.agent_states || []).map(function (row) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-agent", row.username);
      var state = (states[row.status] || row.status) + (row.reason ? " (" + row.reason + ")" : "");
      var since = cell(mmss(row.seconds), "since");
      since.setAttribute("data-since", row.since);
      var monitor = cell("", "monitor");
      var modes = JSON.parse(root.getAttribute("data-monitor-modes") || "null");
      if (row.call && modes) {
        Object.keys(modes).forEach(function (mode) {
          var b = document.createElement("button");
          b.type = "button";
          b.textContent = modes[mode];
          b.setAttribute("data-monitor", row.call);
          b.setAttribute("data-mode", mode);
          monitor.append(b);
        });
      }
      tr.append(cell(row.name), cell(state, "state"), since, monitor);
      return tr;
    }));
    var talking = document.querySelector("#live-talking-agents tbody");
    talking.replaceChildren.apply(talking, snap.talking_agents.map(function (row) {
      var tr = document.createElement("tr");
      tr.append(cell(row.agent), cell(row.queue), cell(timeOf(row.since)));
      return tr;
    }));
    var updated = document.getElementById("live-updated");
    updated.setAttribute("datetime", snap.now);
    updated.textContent = timeOf(snap.now);
    root.setAttribute("data-now", snap.now);
  }

  function refresh() {
    timer = null;
    fetch(root.getAttribute("data-json"), {
      credentials: "same-origin", headers: {"Accept": "application/json"}
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    }).then(render).catch(function () {
      document.getElementById("live-offline").hidden = false;
    });
  }

  function soon() {
    if (timer === null) { timer = setTimeout(refresh, DEBOUNCE_MS); }
  }

  function tick() {
    var now = Date.now() + offset;
    root.querySelectorAll("#live-queues td.longest, td.since").forEach(function (td) {
      var since = td.getAttribute("data-since");
      td.textContent = since ? mmss((now - Date.parse(since)) / 1000) : mmss(0);
    });
  }

  var source = new EventSource(root.getAttribute("data-events"));
  root.getAttribute("data-kinds").split(" ").forEach(function (kind) {
    source.addEventListener(kind, soon);
  });
  source.onopen = function () {
    document.getElementById("live-offline").hidden = true;
    root.setAttribute("data-stream", "open");
    soon();  // catch up on anything missed while (re)connecting
  };
  source.onerror = function () {
    document.getElementById("live-offline").hidden = false;
  };
  offset = Date.parse(root.getAttribute("data-now")) - Date.now();
  setInterval(tick, 1000);
  setInterval(soon, REFRESH_MS);
  tick();
})();
