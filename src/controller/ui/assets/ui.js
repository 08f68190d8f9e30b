// deckhand's web UI: keeps the page current without a reload. Every 2 s it
// asks for this page's <main> (?part=main) with the generation it shows; the
// controller answers 304 while nothing changed. Relative times are kept
// current in between. Without this script the page is complete, only static.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var live = document.getElementById("live");
  if (!main || !window.fetch) return;
  var generation = main.getAttribute("data-generation") || "";
  var url = new URL(window.location.href);
  url.searchParams.set("part", "main");
  var failures = 0;

  function ago(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return "just now";
    var n, unit;
    if (s < 3600) { n = Math.floor(s / 60); unit = "minute"; }
    else if (s < 86400) { n = Math.floor(s / 3600); unit = "hour"; }
    else { n = Math.floor(s / 86400); unit = "day"; }
    return n + " " + unit + (n === 1 ? "" : "s") + " ago";
  }

  function ages() {
    var times = document.querySelectorAll("time[data-age]");
    for (var i = 0; i < times.length; i++) {
      var at = Date.parse(times[i].getAttribute("datetime"));
      if (!isNaN(at)) times[i].textContent = ago(Date.now() - at);
    }
  }

  function say(text) {
    if (live && live.textContent !== text) live.textContent = text;
  }

  // Replace <main>'s content, keeping which <details> are open and where the
  // keyboard focus was.
  function swap(html) {
    var open = {};
    var details = main.querySelectorAll("details[id]");
    for (var i = 0; i < details.length; i++) open[details[i].id] = details[i].open;
    var focused = document.activeElement;
    var focusHref = focused && main.contains(focused) ? focused.getAttribute("href") : null;
    main.innerHTML = html;
    details = main.querySelectorAll("details[id]");
    for (var j = 0; j < details.length; j++) {
      if (details[j].id in open) details[j].open = open[details[j].id];
    }
    if (focusHref) {
      var again = main.querySelector('a[href="' + focusHref.replace(/"/g, "") + '"]');
      if (again) again.focus();
    }
  }

  function tick() {
    fetch(url.toString(), {
      headers: { "If-None-Match": '"' + generation + '"' },
      cache: "no-store",
      credentials: "same-origin"
    }).then(function (response) {
      if (response.status === 304) {
        failures = 0;
        return null;
      }
      if (!response.ok) throw new Error("the controller answered " + response.status);
      var tag = response.headers.get("ETag") || "";
      return response.text().then(function (html) {
        failures = 0;
        generation = tag.replace(/"/g, "");
        swap(html);
        say("Updated " + new Date().toLocaleTimeString());
      });
    }).catch(function (e) {
      failures += 1;
      say("Cannot reach the controller (" + (e && e.message ? e.message : e) + "); retrying");
    }).then(function () {
      ages();
      window.setTimeout(tick, failures ? Math.min(2000 * (failures + 1), 10000) : 2000);
    });
  }

  say("Live: updates every 2 s");
  window.setTimeout(tick, 2000);
})();
