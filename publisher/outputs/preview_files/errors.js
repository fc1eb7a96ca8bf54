// The preview's error page: reload as soon as a newer build has finished, so fixed content shows at once.
// The server holds each request until a build finishes (or about 20 s pass), so this is not busy polling.
(function () {
  "use strict";
  var seen = document.documentElement.getAttribute("data-preview-build");

  function poll() {
    fetch("/_publisher-preview/state?seen=" + encodeURIComponent(seen), { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (build) {
        if (build.trim() !== seen) { location.reload(); } else { poll(); }
      })
      .catch(function () { setTimeout(poll, 1000); });  // the server is restarting: try again shortly
  }

  poll();
}());
