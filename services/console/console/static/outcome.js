// Looks again for an action's outcome every few seconds and shows it in the status region,
// without reloading the page (a page that reloads itself breaks WCAG 2.2.1 and loses the
// reader's place); `aria-live` makes screen readers say the outcome when it arrives.
(function () {
  "use strict";
  var region = document.getElementById("uitkomst");
  if (!region || !region.dataset.wacht) {
    return;
  }
  var pause = Number(region.dataset.wacht) * 1000 || 2000;
  function look() {
    fetch(window.location.href, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("uitkomst");
        if (fresh && fresh.innerHTML !== region.innerHTML) {
          region.innerHTML = fresh.innerHTML;
        }
        if (fresh && !fresh.dataset.wacht) {
          delete region.dataset.wacht;
          return;
        }
        window.setTimeout(look, pause);
      })
      .catch(function () { window.setTimeout(look, pause); });
  }
  window.setTimeout(look, pause);
})();
