/* A test double of Twilio Voice SDK's Device (v2), installed before the real SDK loads: the
   SDK keeps an existing Twilio.Device, so everything else of it is the real one. The double
   talks to the fake Twilio cloud through window.__bridge (Playwright's exposed function)
   instead of Twilio's signalling servers, and emits the SDK's documented events:
   Device: registered, unregistered, incoming, error, tokenWillExpire;
   Call: accept, disconnect, cancel, reject, mute, error. */
(function () {
  "use strict";
  function Emitter() { this._handlers = {}; }
  Emitter.prototype.on = function (name, fn) {
    (this._handlers[name] = this._handlers[name] || []).push(fn);
    return this;
  };
  Emitter.prototype.emit = function (name) {
    var args = Array.prototype.slice.call(arguments, 1);
    (this._handlers[name] || []).slice().forEach(function (fn) { fn.apply(null, args); });
  };

  var calls = {};

  function Call(parameters, direction, customParameters) {
    Emitter.call(this);
    this.parameters = parameters;
    this.direction = direction;
    this.customParameters = new Map(Object.entries(customParameters || {}));
    this._muted = false;
    this._status = direction === "INCOMING" ? "pending" : "connecting";
    calls[parameters.CallSid] = this;
  }
  Call.prototype = Object.create(Emitter.prototype);
  Call.prototype.status = function () { return this._status; };
  Call.prototype.isMuted = function () { return this._muted; };
  Call.prototype.accept = function () {
    var self = this;
    window.__bridge("accept", this.parameters.CallSid, "").then(function () {
      self._status = "open";
      self.emit("accept", self);
    });
  };
  Call.prototype.reject = function () {
    var self = this;
    window.__bridge("reject", this.parameters.CallSid, "").then(function () {
      self._status = "closed";
      self.emit("reject");
    });
  };
  Call.prototype.disconnect = function () {
    var self = this;
    if (self._status === "closed") { return; }
    window.__bridge("hangup", this.parameters.CallSid, "").then(function () { self._closed(); });
  };
  Call.prototype._closed = function () {
    if (this._status === "closed") { return; }
    this._status = "closed";
    this.emit("disconnect", this);
  };
  Call.prototype.mute = function (on) {
    this._muted = on !== false;
    this.emit("mute", this._muted, this);
  };
  Call.prototype.sendDigits = function (digits) {
    window.__bridge("digits", this.parameters.CallSid, digits);
  };

  function Device(token, options) {
    Emitter.call(this);
    this.token = token;
    this.options = options || {};
    this.state = "unregistered";
    this.calls = [];
    window.__device = this;
  }
  Device.prototype = Object.create(Emitter.prototype);
  Device.prototype.register = function () {
    var self = this;
    self.state = "registering";
    return window.__bridge("register", "", self.token).then(function () {
      self.state = "registered";
      self.emit("registered");
    });
  };
  Device.prototype.unregister = function () {
    var self = this;
    return window.__bridge("unregister", "", "").then(function () {
      self.state = "unregistered";
      self.emit("unregistered");
    });
  };
  Device.prototype.updateToken = function (token) {
    this.token = token;
    this.updates = (this.updates || 0) + 1;
  };
  Device.prototype.connect = function (options) {
    var params = (options && options.params) || {};
    return window.__bridge("connect", "", JSON.stringify(params)).then(function (sid) {
      var call = new Call({CallSid: sid, To: params.To || ""}, "OUTGOING", params);
      setTimeout(function () { call._status = "open"; call.emit("accept", call); }, 0);
      return call;
    });
  };
  Device.prototype.destroy = function () { this.state = "destroyed"; };

  // What the test drives on Twilio's behalf: a call rings the browser, or its far end hangs up.
  window.__ring = function (sid, from) {
    var call = new Call({CallSid: sid, From: from, To: "client"}, "INCOMING");
    window.__device.emit("incoming", call);
  };
  window.__remoteHangup = function (sid) { if (calls[sid]) { calls[sid]._closed(); } };
  window.__deviceError = function (code, message) {
    window.__device.emit("error", {code: code, message: message});
  };

  window.Twilio = window.Twilio || {};
  window.Twilio.Device = Device;
}());
