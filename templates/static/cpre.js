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
// The questionnaire editor: live messages while typing (the « Enregistrer et vérifier »
// button does the same without JavaScript). Nothing is saved by the live check.
(function () {
  "use strict";
  var form = document.querySelector("form[data-live-check]");
  if (!form || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var text = form.querySelector("textarea[name=text]");
  var status = document.getElementById("live-status");
  var result = document.getElementById("check-result");
  if (!text || !status || !result) {
    return;
  }
  var timer = null;
  var last = text.value;
  // Puts the caret at a line and column of the text (the messages' links).
  function place(lineNumber, column) {
    if (!lineNumber) {
      text.focus();
      return;
    }
    var lines = text.value.split("\n");
    var start = 0;
    for (var i = 0; i < lineNumber - 1 && i < lines.length; i++) {
      start += lines[i].length + 1;
    }
    start += Math.max(0, (column || 1) - 1);
    text.focus();
    text.setSelectionRange(start, start);
  }
  Array.prototype.forEach.call(result.querySelectorAll("a[data-line]"), function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      place(parseInt(a.getAttribute("data-line"), 10), parseInt(a.getAttribute("data-column"), 10));
    });
  });
  function line(d) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = "#f-text";
    a.textContent = (d.place ? d.place + " : " : "") + d.message;
    a.addEventListener("click", function (e) {
      e.preventDefault();
      place(d.line, d.column);
    });
    li.appendChild(a);
    return li;
  }
  function show(answer) {
    result.innerHTML = "";
    var box = document.createElement("div");
    var errors = answer.diagnostics.filter(function (d) { return d.error; });
    var warnings = answer.diagnostics.filter(function (d) { return !d.error; });
    box.className = errors.length ? "error-summary" : "notice success";
    var h = document.createElement("h2");
    h.textContent = errors.length
      ? errors.length + " erreur(s) à corriger avant de publier"
      : "Le questionnaire est valide (vérification en direct, pas encore enregistré)";
    box.appendChild(h);
    var ul = document.createElement("ul");
    errors.concat(warnings).forEach(function (d) { ul.appendChild(line(d)); });
    if (ul.children.length) {
      box.appendChild(ul);
    }
    result.appendChild(box);
    status.textContent = errors.length
      ? "Vérifié : " + errors.length + " erreur(s), " + warnings.length + " avertissement(s)."
      : "Vérifié : aucune erreur, " + warnings.length + " avertissement(s).";
  }
  function check() {
    if (text.value === last) {
      return;
    }
    last = text.value;
    var body = new URLSearchParams();
    body.set("csrf", form.querySelector("input[name=csrf]").value);
    body.set("file_name", (form.querySelector("input[name=file_name]") || {}).value || "");
    body.set("text", text.value);
    status.textContent = "Vérification…";
    fetch(form.getAttribute("data-live-check"), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (answer) {
      if (answer) {
        show(answer);
      } else {
        status.textContent = "";
      }
    }).catch(function () {
      status.textContent = "";
    });
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 800);
  });
})();
