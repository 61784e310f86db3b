// Class survey: answers in progress stay in this tab only (sessionStorage, never the server),
// survive a dropped connection until they are sent, and are erased once the survey is sent or
// declined, so the next child at a shared computer sees nothing.
(function () {
  "use strict";
  var PREFIX = "qadam-survey-";

  var done = document.querySelector("[data-survey-done]");
  if (done) {
    try { sessionStorage.removeItem(PREFIX + done.getAttribute("data-survey-done")); } catch (e) {}
    return;
  }
  var form = document.querySelector("form[data-survey]");
  if (!form) return;
  var key = PREFIX + form.getAttribute("data-survey");

  function load() {
    try { return JSON.parse(sessionStorage.getItem(key) || "{}"); } catch (e) { return {}; }
  }
  function save(all) {
    try { sessionStorage.setItem(key, JSON.stringify(all)); } catch (e) {}
  }

  var kept = load();
  Object.keys(kept).forEach(function (name) {
    var input = form.querySelector('input[name="' + name + '"][value="' + kept[name] + '"]');
    if (input) input.checked = true;
  });
  form.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.name || input.type !== "radio") return;
    var all = load();
    all[input.name] = input.value;
    save(all);
  });
  var decline = document.querySelector("form[data-survey-decline]");
  if (decline) {
    decline.addEventListener("submit", function () {
      try { sessionStorage.removeItem(key); } catch (e) {}
    });
  }
})();
