/* Desk pages: one live event stream per tab; screen-pops are server-rendered HTML fragments. */
(function () {
  "use strict";
  var pops = document.getElementById("pops");
  if (!pops || !window.EventSource) { return; }
  var source = new EventSource(pops.dataset.events);
  window.deskEvents = source;

  source.addEventListener("stream.ready", function () { pops.dataset.ready = "1"; });
  source.addEventListener("error", function () { pops.dataset.ready = ""; });

  function fragment(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    return doc.body.firstElementChild;
  }

  function place(callSid, html) {
    var section = fragment(html);
    if (!section) { return; }
    var now = String(Date.now());
    var old = null;
    pops.querySelectorAll("section.pop").forEach(function (s) {
      if (s.dataset.callSid === callSid) { old = s; }
    });
    section.dataset.shownAt = now;
    if (old) {
      section.dataset.firstShownAt = old.dataset.firstShownAt;
      old.replaceWith(section);
    } else {
      section.dataset.firstShownAt = now;
      pops.prepend(section);
    }
  }

  // The header follows the calls: reserved, on a call, wrap-up, back to available.
  source.addEventListener("agent.state", function (message) {
    var data = JSON.parse(message.data);
    var state = document.querySelector("header .state, .state[data-state]");
    if (state) {
      state.textContent = data.text;
      state.className = "state state-" + data.status;
      state.dataset.state = data.status;
    }
    var inCall = data.status === "reserved" || data.status === "on_call";
    document.querySelectorAll(".state-choice").forEach(function (el) { el.hidden = inCall; });
    var select = document.querySelector("select.presence");
    if (select && !inCall) {
      var value = data.status === "break" && data.reason ? "break:" + data.reason : data.status;
      Array.prototype.forEach.call(select.options, function (o) { o.selected = o.value === value; });
    }
  });

  source.addEventListener("screen.pop", function (message) {
    var data = JSON.parse(message.data);
    place(data.call_sid, data.html);
  });

  pops.addEventListener("click", function (event) {
    if (event.target.classList.contains("pop-close")) {
      event.target.closest("section.pop").remove();
    }
  });

  // "New customer" / "link to existing": submitted in place; the answer is the refreshed pop.
  pops.addEventListener("submit", function (event) {
    var form = event.target;
    var section = form.closest("section.pop");
    event.preventDefault();
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"X-Requested-With": "XMLHttpRequest"}})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.html) { place(section.dataset.callSid, data.html); return; }
        var error = form.querySelector(".error") || document.createElement("p");
        error.className = "error";
        error.textContent = data.error || "";
        form.appendChild(error);
      });
  });
}());
