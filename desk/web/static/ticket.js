/* Ticket page: viewing/replying presence, live timeline, templates, and the guarded reply. */
(function () {
  "use strict";
  var ticket = document.getElementById("ticket");
  if (!ticket) { return; }
  var id = Number(ticket.dataset.ticketId);
  var me = ticket.dataset.me;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var form = document.getElementById("reply-form");
  var text = document.getElementById("reply-text");
  var typing = false;
  var idleTimer = null;
  var HEARTBEAT_MS = 10000;
  var IDLE_MS = 15000;

  function others(names) { return (names || []).filter(function (n) { return n !== me; }); }

  function show(selector, template, names) {
    var el = ticket.querySelector(selector);
    var list = others(names);
    el.textContent = template.replace("{names}", list.join(", "));
    el.hidden = list.length === 0;
  }
  function showViewing(names) { show(".presence-viewing", ticket.dataset.msgViewing, names); }
  function showReplying(names) { show(".presence-replying", ticket.dataset.msgReplying, names); }

  function presence(state) {
    var body = new FormData();
    body.append("state", state);
    body.append("csrf_token", csrf);
    return fetch(ticket.dataset.presence, {method: "POST", body: body, credentials: "same-origin",
                                            headers: {"X-Requested-With": "XMLHttpRequest"}})
      .then(function (r) { return r.json(); })
      .then(function (data) { showViewing(data.viewing); showReplying(data.replying); });
  }

  function refreshTimeline() {
    return fetch(ticket.dataset.timeline, {credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("timeline");
        if (fresh) { document.getElementById("timeline").replaceWith(fresh); }
      });
  }

  function mine(message) {
    var data = JSON.parse(message.data);
    return data.ticket_id === id ? data : null;
  }
  if (window.deskEvents) {
    window.deskEvents.addEventListener("ticket.viewing", function (m) {
      var d = mine(m); if (d) { showViewing(d.viewing); }
    });
    window.deskEvents.addEventListener("ticket.replying", function (m) {
      var d = mine(m); if (d) { showReplying(d.replying); }
    });
    window.deskEvents.addEventListener("ticket.changed", function (m) {
      var d = mine(m);
      if (!d) { return; }
      refreshTimeline();
      if (d.by !== me) { ticket.querySelector(".ticket-changed").hidden = false; }
    });
  }

  function startTyping() {
    if (!typing) { typing = true; presence("replying"); }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { typing = false; presence("idle"); }, IDLE_MS);
  }
  text.addEventListener("input", startTyping);

  var select = document.getElementById("template-select");
  if (select) {
    select.addEventListener("change", function () {
      ticket.querySelectorAll("template.reply-template").forEach(function (tpl) {
        if (tpl.dataset.key === select.value) { text.value = tpl.content.textContent.trim(); }
      });
      if (select.value) { startTyping(); }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var refused = form.querySelector(".collision-refused");
    var result = form.querySelector(".form-result");
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"X-Requested-With": "XMLHttpRequest"}})
      .then(function (r) { return r.json().then(function (data) { return [r.status, data]; }); })
      .then(function (answer) {
        var status = answer[0], data = answer[1];
        if (status === 409) {
          refused.textContent = data.error;
          refused.hidden = false;
          form.querySelector("label.confirm").hidden = false;
          return;
        }
        if (status >= 400) { result.textContent = data.error; result.className = "form-result error"; return; }
        refused.hidden = true;
        form.querySelector("label.confirm").hidden = true;
        form.querySelector('input[name="confirm"]').checked = false;
        text.value = "";
        typing = false;
        clearTimeout(idleTimer);
        result.className = "form-result";
        result.textContent = result.dataset.ok;
        refreshTimeline();
      });
  });

  presence("viewing");
  setInterval(function () { presence(typing ? "replying" : "viewing"); }, HEARTBEAT_MS);
  window.addEventListener("pagehide", function () {
    var body = new FormData();
    body.append("state", "leave");
    body.append("csrf_token", csrf);
    navigator.sendBeacon(ticket.dataset.presence, body);
  });
}());
