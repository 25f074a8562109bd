/* kechuang: the print view's 打印 button opens the browser's print dialog (no inline scripts: the
 * CSP forbids them). Pages: any element with a `data-print` attribute. */
(function () {
  'use strict';
  Array.prototype.forEach.call(document.querySelectorAll('[data-print]'), function (el) {
    el.addEventListener('click', function () { window.print(); });
  });
})();
