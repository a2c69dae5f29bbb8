/* The desk's softphone: Twilio's Voice SDK (vendored) registers the agent's browser while they
   take calls; the server holds, records and files the calls; this script shows and drives them. */
(function () {
  "use strict";
  var root = document.getElementById("softphone");
  if (!root || root.dataset.off || !window.Twilio || !window.Twilio.Device) { return; }
  var texts = JSON.parse(document.getElementById("softphone-texts").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var TAKING = ["available", "reserved", "on_call", "wrap_up"];
  var MIC_DENIED = [31401, 31208], MIC_MISSING = [31402, 31201, 31202, 31203];
  var TOKEN_ERRORS = [20101, 20103, 20104, 31204, 31205];
  var device = null, call = null, timer = null, started = 0, muted = false, refreshing = null;

  function $(selector) { return root.querySelector(selector); }
  function show(selector, on) { $(selector).hidden = !on; }
  function status(text) { $(".sp-status").textContent = text; }
  function error(text) { var e = $(".sp-error"); e.textContent = text || ""; e.hidden = !text; }
  root.dataset.phase = "starting";

  function post(url, fields) {
    var body = new FormData();
    Object.keys(fields || {}).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-CSRF-Token": csrf, "X-Requested-With": "XMLHttpRequest"}})
      .then(function (r) {
        return r.json().then(function (data) { if (!r.ok) { throw data; } return data; });
      });
  }

  function token() {
    return fetch(root.dataset.token, {credentials: "same-origin",
                                      headers: {"X-Requested-With": "XMLHttpRequest"}})
      .then(function (r) { return r.json().then(function (d) { if (!r.ok) { throw d; } return d; }); });
  }

  // ---- the device: registered while the agent takes calls --------------------------------
  function start() {
    token().then(function (data) {
      device = new Twilio.Device(data.token, {closeProtection: true, codecPreferences: ["opus", "pcmu"]});
      device.on("registered", function () { root.dataset.registered = "1"; idle(); });
      device.on("unregistered", function () { root.dataset.registered = ""; idle(); });
      device.on("incoming", ringing);
      device.on("error", deviceError);
      device.on("tokenWillExpire", refresh);
      follow(root.dataset.state);
      root.dataset.phase = "idle";
      idle();
    }).catch(function (data) { error((data && data.error) || texts.token_failed); });
  }

  function refresh() {
    if (refreshing) { return refreshing; }
    refreshing = token().then(function (data) { device.updateToken(data.token); })
      .catch(function () { error(texts.token_failed); })
      .then(function () { refreshing = null; });
    return refreshing;
  }

  function follow(state) {
    root.dataset.state = state;
    if (!device) { return; }
    var taking = TAKING.indexOf(state) >= 0;
    if (taking && device.state !== "registered" && device.state !== "registering") { device.register(); }
    if (!taking && device.state === "registered") { device.unregister(); }
    idle();
  }

  function idle() {
    if (call) { return; }
    if (root.dataset.phase === "wrap_up") { status(texts.wrap_up); return; }
    status(root.dataset.registered ? texts.ready : texts.not_taking);
  }

  function deviceError(twilioError) {
    var code = twilioError && twilioError.code;
    if (TOKEN_ERRORS.indexOf(code) >= 0) { refresh(); return; }
    error(explain(code));
  }

  function explain(code) {
    if (MIC_DENIED.indexOf(code) >= 0) { return texts.mic_denied; }
    if (MIC_MISSING.indexOf(code) >= 0) { return texts.mic_missing; }
    if (code === 31005 || code === 31009 || code === 53000) { return texts.connection; }
    return texts.error.replace("{code}", code || "?");
  }

  // ---- one call ------------------------------------------------------------------------------
  function ringing(incoming) {
    if (call) { incoming.reject(); return; }
    adopt(incoming);
    root.dataset.phase = "ringing";
    $(".sp-from").textContent = (incoming.parameters && incoming.parameters.From || "").replace("client:", "");
    status(texts.ringing);
    show(".sp-incoming", true);
    incoming.on("cancel", ended);
    incoming.on("reject", ended);
  }

  function adopt(c) {
    call = c;
    error("");
    show(".sp-wrap", false);
    c.on("accept", connected);
    c.on("disconnect", ended);
    c.on("error", function (e) { error(explain(e && e.code)); });
    c.on("mute", function (isMuted) { muted = isMuted; pressed(".sp-mute", muted, texts.unmute, texts.mute); });
  }

  function connected() {
    root.dataset.phase = "connected";
    show(".sp-incoming", false);
    show(".sp-controls", true);
    show(".sp-dialer", false);
    status(texts.connected);
    started = Date.now();
    $(".sp-timer").hidden = false;
    tick();
    timer = setInterval(tick, 1000);
  }

  function tick() {
    var s = Math.floor((Date.now() - started) / 1000);
    $(".sp-timer").textContent = Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }

  function ended() {
    var wasConnected = root.dataset.phase === "connected" || root.dataset.phase === "dialing";
    call = null;
    clearInterval(timer);
    root.dataset.phase = "ended";
    show(".sp-incoming", false);
    show(".sp-controls", false);
    show(".sp-keypad", false);
    show(".sp-dialer", true);
    pressed(".sp-hold", false, texts.resume, texts.hold);
    pressed(".sp-mute", false, texts.unmute, texts.mute);
    status(texts.ended);
    if (wasConnected) { wrapUp(); } else { idle(); }
  }

  function pressed(selector, on, onText, offText) {
    var b = $(selector);
    b.setAttribute("aria-pressed", on ? "true" : "false");
    b.textContent = on ? onText : offText;
  }

  // ---- the server's side of the call ---------------------------------------------------------
  function serverCall(data) {
    var c = data.call;
    if (!c) { return; }
    root.dataset.callId = c.id;
    pressed(".sp-hold", c.on_hold, texts.resume, texts.hold);
    pressed(".sp-pause", c.recording_paused, texts.unpause, texts.pause);
    $(".sp-pause").hidden = !c.recorded;
    if (c.display) { $(".sp-party").textContent = c.display; $(".sp-party").title = c.number; }
    if (c.status === "connected" && call && root.dataset.phase !== "monitoring") {
      status(c.on_hold ? texts.on_hold : texts.connected);
    }
    transferState(c.transfer || null, c.transfer_mode);
  }

  function transferState(state, mode) {
    if (state && typeof state === "object") { mode = state.mode; state = state.status; }
    var busy = state === "ringing" || state === "answered";
    show(".sp-transferring", busy);
    if (busy) { show(".sp-transfer", false); }
    $(".sp-complete").hidden = !(state === "answered" && mode === "warm");
    root.dataset.transferState = state || "";
    var key = state === "answered" ? (mode === "conference" ? "transfer.joined" : "transfer.answered")
      : state === "ringing" ? "transfer.ringing" : null;
    $(".sp-transfer-state").textContent = key ? texts[key] : "";
  }

  function wrapUp() {
    fetch(root.dataset.call, {credentials: "same-origin", headers: {"X-Requested-With": "XMLHttpRequest"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.call || data.call.wrapped) { idle(); return; }
        var select = $(".sp-wrap select");
        while (select.options.length > 1) { select.remove(1); }
        data.dispositions.forEach(function (d) { select.add(new Option(d.label, d.code)); });
        select.required = data.dispositions.length > 0;
        $(".sp-saved").hidden = true;
        show(".sp-wrap", true);
        root.dataset.phase = "wrap_up";
        idle();
      });
  }

  $(".sp-accept").addEventListener("click", function () { if (call) { call.accept(); } });
  $(".sp-decline").addEventListener("click", function () { if (call) { call.reject(); } });
  $(".sp-hangup").addEventListener("click", function () { if (call) { call.disconnect(); } });
  $(".sp-mute").addEventListener("click", function () { if (call) { call.mute(!muted); } });
  $(".sp-hold").addEventListener("click", function () {
    var on = this.getAttribute("aria-pressed") !== "true";
    post(root.dataset.hold, {hold: on ? "1" : "0"}).then(serverCall)
      .catch(function (d) { error(d && d.error); });
  });
  $(".sp-pause").addEventListener("click", function () {
    var on = this.getAttribute("aria-pressed") !== "true";
    post(root.dataset.recording, {paused: on ? "1" : "0"}).then(serverCall)
      .catch(function (d) { error(d && d.error); });
  });
  $(".sp-keypad-toggle").addEventListener("click", function () {
    var open = $(".sp-keypad").hidden;
    show(".sp-keypad", open);
    this.setAttribute("aria-expanded", open ? "true" : "false");
  });
  $(".sp-transfer-toggle").addEventListener("click", function () {
    var open = $(".sp-transfer").hidden;
    show(".sp-transfer", open);
    this.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) { return; }
    fetch(root.dataset.agents, {credentials: "same-origin", headers: {"X-Requested-With": "XMLHttpRequest"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var select = $(".sp-transfer select[name=agent]");
        while (select.options.length) { select.remove(0); }
        var free = data.agents.filter(function (a) { return a.available; });
        free.forEach(function (a) { select.add(new Option(a.name, a.username)); });
        $(".sp-agents-none").hidden = free.length > 0;
        var queues = $(".sp-transfer select[name=queue]");
        while (queues.options.length) { queues.remove(0); }
        (data.queues || []).forEach(function (q) { queues.add(new Option(q, q)); });
      });
  });
  $(".sp-transfer").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target, kind = form.kind.value;
    var mode = event.submitter ? event.submitter.value : "cold";
    var target = kind === "agent" ? form.agent.value
      : kind === "queue" ? form.queue.value : form.number.value.trim();
    if (kind === "queue") { mode = "cold"; }       // a queue takes the customer as they are
    post(root.dataset.transfer, {kind: kind, target: target, mode: mode})
      .then(function (data) { show(".sp-transfer", false); serverCall(data); })
      .catch(function (d) { error(d && d.error); });
  });
  $(".sp-complete").addEventListener("click", function () {
    post(root.dataset.complete, {}).then(serverCall).catch(function (d) { error(d && d.error); });
  });
  $(".sp-cancel").addEventListener("click", function () {
    post(root.dataset.cancel, {}).catch(function (d) { error(d && d.error); });
  });
  $(".sp-keypad").addEventListener("click", function (event) {
    var digit = event.target.dataset.digit;
    if (digit && call) { call.sendDigits(digit); }
  });

  $(".sp-wrap").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    post(root.dataset.wrapUp, {disposition: form.disposition.value, note: form.note.value})
      .then(function () {
        $(".sp-saved").hidden = false;                  // a visible "saved", for a moment
        setTimeout(function () { $(".sp-saved").hidden = true; }, 4000);
        form.note.value = "";
        show(".sp-wrap", false);
        root.dataset.phase = "idle";
        idle();
      })
      .catch(function (d) { error(d && d.error); });
  });

  // ---- placing calls: the dialer, and every [data-dial-to] button of the page --------------
  function place(to, ticket) {
    if (call || !device) { return; }
    error("");
    post(root.dataset.dial, {to: to, ticket: ticket || ""}).then(function (plan) {
      var params = {To: plan.to, lang: root.dataset.lang};
      if (plan.ticket) { params.ticket = String(plan.ticket); }
      if (plan.queue) { params.queue = plan.queue; }
      root.dataset.phase = "dialing";
      status(texts.dialing + " " + plan.display);
      $(".sp-party").textContent = plan.display;
      $(".sp-party").title = plan.to;
      return device.connect({params: params}).then(function (outgoing) {
        adopt(outgoing);
        show(".sp-controls", true);
        show(".sp-dialer", false);
      });
    }).catch(function (d) {
      root.dataset.phase = "idle";
      error((d && d.error) || explain(d && d.code));
    });
  }

  $(".sp-dialer").addEventListener("submit", function (event) {
    event.preventDefault();
    place(event.target.to.value.trim(), null);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dial-to]");
    if (button) { place(button.dataset.dialTo, button.dataset.dialTicket); }
    var watch = event.target.closest("[data-monitor]");
    if (watch && watch !== root) { monitor(watch.dataset.monitor, watch.dataset.mode); }
  });

  // ---- supervisors: listen, whisper, barge (the same call: the mode changes) ---------------
  function monitor(callId, mode) {
    if (root.dataset.phase === "monitoring" && root.dataset.watching === callId) {
      post(root.dataset.monitorMode, {mode: mode}).then(function () { root.dataset.watchMode = mode; })
        .catch(function (d) { error(d && d.error); });
      return;
    }
    if (call || !device) { return; }
    error("");
    post(root.dataset.monitor, {call: callId, mode: mode}).then(function (data) {
      root.dataset.phase = "monitoring";
      root.dataset.watching = callId;
      root.dataset.watchMode = mode;
      status(texts.monitoring);
      return device.connect({params: data.params}).then(function (outgoing) {
        call = outgoing;
        outgoing.on("disconnect", function () {
          call = null;
          root.dataset.phase = "idle";
          root.dataset.watching = "";
          show(".sp-controls", false);
          idle();
        });
        show(".sp-controls", true);
      });
    }).catch(function (d) { root.dataset.phase = "idle"; error((d && d.error) || explain(d && d.code)); });
  }

  // ---- live: the agent's state and their call, as the server sees them ----------------------
  function live() {
    var source = window.deskEvents;
    if (!source) { setTimeout(live, 200); return; }
    source.addEventListener("agent.state", function (m) { follow(JSON.parse(m.data).status); });
    source.addEventListener("voice.call", function (m) {
      var data = JSON.parse(m.data);
      if (data.status === "refused" || data.status === "failed") {
        error(data.text || texts.failed);
      }
      if (data.text && data.status !== "refused" && data.status !== "failed") { error(data.text); }
      serverCall({call: {id: data.call_id, status: data.status, on_hold: data.on_hold,
                         recording_paused: data.recording_paused, recorded: data.recorded,
                         display: data.display, number: data.number,
                         transfer: data.transfer, transfer_mode: data.transfer_mode}});
    });
  }

  window.addEventListener("beforeunload", function () { if (device) { device.destroy(); } });
  live();
  start();
}());
