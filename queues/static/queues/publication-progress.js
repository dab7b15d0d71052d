/*
 * Kezek: keeps the <progress> bars of generating list publications current (templates/queues/publication/).
 * Each bar names its JSON endpoint in data-publication-progress; when a publication is no longer generating
 * the page reloads to show its files. Without JavaScript the page refreshes itself (<noscript> meta refresh).
 */
(function () {
  "use strict";
  var bars = Array.prototype.slice.call(document.querySelectorAll("[data-publication-progress]"));
  if (!bars.length || !window.fetch) {
    return;
  }
  var INTERVAL = 2000;

  function update(bar, data) {
    if (data.status !== "generating") {
      window.location.reload();
      return false;
    }
    if (data.total) {
      bar.max = data.total;
      bar.value = data.done;
    }
    bar.textContent = data.label;
    var label = document.getElementById(bar.getAttribute("aria-describedby"));
    if (label) {
      label.textContent = data.label;
    }
    return true;
  }

  function poll() {
    Promise.all(bars.map(function (bar) {
      return fetch(bar.getAttribute("data-publication-progress"), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store"
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (data) {
        return data ? update(bar, data) : true;
      }).catch(function () {
        return true;
      });
    })).then(function (results) {
      if (results.every(Boolean)) {
        window.setTimeout(poll, INTERVAL);
      }
    });
  }

  window.setTimeout(poll, INTERVAL);
})();
