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
  // Forms that go on by themselves (the deep linking answer to Moodle); their button stays
  // visible for browsers without JavaScript.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-auto-submit]"), function (form) {
    form.submit();
  });
  // The end of Dynamic Registration: tell Moodle to close its registration window.
  Array.prototype.forEach.call(document.querySelectorAll("[data-lti-close]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var opener = window.opener || window.parent;
      if (opener && opener !== window) {
        opener.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
      } else {
        window.close();
      }
    });
  });
})();
