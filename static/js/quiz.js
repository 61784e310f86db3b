// Quiz pages: save each answer as soon as it changes, and keep unsent answers on this device
// until the server has them (reading aloud is listen.js).
(function () {
  "use strict";

  var form = document.getElementById("quiz-form");
  if (!form || !window.fetch || !window.FormData) return;
  var status = document.getElementById("save-status");
  var storeKey = "qadam-quiz-" + form.dataset.attempt;
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var retryTimer = null;

  function show(text) { status.textContent = text; }

  function pending() {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || "{}"); }
    catch (e) { return {}; }
  }
  function keep(all) {
    try {
      if (Object.keys(all).length) window.localStorage.setItem(storeKey, JSON.stringify(all));
      else window.localStorage.removeItem(storeKey);
    } catch (e) { /* private mode: the server copy is all there is */ }
  }
  function choiceOf(fieldset) {
    var name = "q-" + fieldset.dataset.question;
    return Array.prototype.map.call(
      form.querySelectorAll("input[name='" + name + "']:checked"), function (i) { return i.value; });
  }

  function send() {
    var all = pending();
    var ids = Object.keys(all);
    if (!ids.length) return Promise.resolve();
    var body = new FormData();
    body.append("csrf_token", csrf);
    body.append("action", "save");
    body.append("position", form.querySelector("input[name=position]").value);
    ids.forEach(function (id) {
      body.append("question", id);
      all[id].forEach(function (value) { body.append("q-" + id, value); });
    });
    show(form.dataset.savingText);
    // Not form.action: the form has buttons named "action".
    return fetch(form.getAttribute("action"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf }
    }).then(function (response) {
      if (response.ok) {
        var now = pending();
        ids.forEach(function (id) {
          if (JSON.stringify(now[id]) === JSON.stringify(all[id])) delete now[id];
        });
        keep(now);
        show(form.dataset.savedText);
      } else if (response.status === 401 || response.status === 400) {
        // The session ended (or its token did): answers stay here until the next launch.
        show(form.dataset.sessionText);
      } else if (response.status >= 500 || response.status === 429) {
        // Qadam or its database is busy for a moment: keep the answers and try again.
        throw new Error("retry");
      } else {
        var now2 = pending();
        ids.forEach(function (id) { delete now2[id]; });
        keep(now2);
        show(form.dataset.refusedText);
      }
    }).catch(function () {
      show(form.dataset.offlineText);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(send, 5000);
    });
  }

  form.addEventListener("change", function (event) {
    var fieldset = event.target.closest("fieldset[data-question]");
    if (!fieldset || fieldset.hasAttribute("data-checked")) return;
    var all = pending();
    all[fieldset.dataset.question] = choiceOf(fieldset);
    keep(all);
    send();
  });
  window.addEventListener("online", send);

  // Answers this device could not send last time (a dropped connection, a closed tab):
  // put them back on the page and send them now.
  var left = pending();
  Object.keys(left).forEach(function (id) {
    var fieldset = form.querySelector("fieldset[data-question='" + id + "']");
    if (!fieldset || fieldset.hasAttribute("data-checked")) return;
    fieldset.querySelectorAll("input[name='q-" + id + "']").forEach(function (input) {
      input.checked = left[id].indexOf(input.value) >= 0;
    });
  });
  send();
})();
