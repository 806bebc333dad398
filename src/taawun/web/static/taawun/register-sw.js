/* Registers the service worker named by this script tag's data-sw; the site works without it. */
"use strict";
(function () {
  const tag = document.querySelector("script[data-sw]");
  if (!tag || !("serviceWorker" in navigator)) {
    return;
  }
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(tag.dataset.sw, { scope: "/" }).catch(function () {
      /* offline use is a bonus: the pages work the same without it */
    });
  });
})();
