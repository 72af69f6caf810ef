// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  // Forms that go on by themselves (the deep linking answer to Moodle); their button stays
  // visible for browsers without JavaScript.
  document.querySelectorAll("form[data-auto-submit]").forEach(function (form) {
    form.submit();
  });
  // The end of Dynamic Registration: tell Moodle to close its registration window.
  document.querySelectorAll("[data-lti-close]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = window.opener || window.parent;
      if (target && target !== window) {
        target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
      } else {
        window.close();
      }
    });
  });
})();
