// The console's only script: live refresh over server-sent events and pause countdowns.
// Every page works without it; with it, a page swaps in its own fresh copy when the
// middleware records something new (a call, a push, a webhook, a revision, a notice).
(function () {
  "use strict";
  var body = document.body;
  var live = body.getAttribute("data-live");

  function busy() {
    var active = document.activeElement;
    return active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName) && active.value;
  }

  function swap() {
    if (busy()) { return; }
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live");
        var current = document.getElementById("live");
        if (fresh && current) {
          current.replaceWith(fresh);
          var mark = doc.body.getAttribute("data-mark");
          if (mark) { body.setAttribute("data-mark", mark); }
        }
      })
      .catch(function () {});
  }

  if (live && window.EventSource) {
    var pending = null;
    var connect = function () {
      var url = live + "?since=" + encodeURIComponent(body.getAttribute("data-mark") || "");
      var source = new EventSource(url);
      source.addEventListener("change", function () {
        if (pending) { return; }
        pending = setTimeout(function () { pending = null; swap(); }, 150);
      });
      source.onerror = function () {
        source.close();
        setTimeout(connect, 1000);  // reconnect with the mark of the page shown now
      };
    };
    connect();
  }

  setInterval(function () {
    var counters = document.querySelectorAll(".countdown[data-seconds]");
    for (var i = 0; i < counters.length; i += 1) {
      var left = Math.max(0, parseInt(counters[i].getAttribute("data-seconds"), 10) - 1);
      counters[i].setAttribute("data-seconds", String(left));
      counters[i].textContent = String(left);
    }
  }, 1000);
}());
