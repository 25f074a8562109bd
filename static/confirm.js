// Asks before irreversible actions that take no input: any form with data-confirm="…".
// (Forms with input confirm on the server after validation: a hidden confirm_prompt field.)
// Loaded by the page frame; the guard makes a second copy on an old page harmless.
(function () {
  if (window.kcConfirmLoaded) return;
  window.kcConfirmLoaded = true;
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // "返回上一页" links (data-back): the browser's back, without an inline script (the CSP forbids one).
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-back]") : null;
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
