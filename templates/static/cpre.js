// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  // Move the focus to the error summary (or the notice) shown after a refused form, so
  // that screen readers read it first; `autofocus` does the same where browsers honour it.
  var target = document.querySelector("[data-focus]");
  if (target) {
    target.focus();
  }
  // « Imprimer » buttons (hidden without JavaScript: the browser's own print still works).
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
