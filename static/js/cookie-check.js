// Inside the platform's frame, check the browser keeps Qadam's cookies before signing in;
// if it does not, offer to open Qadam in a new window instead of failing later.
(function () {
  var box = document.getElementById("cookie-check");
  if (!box) return;
  var name = "qadam_cookie_check=1";
  document.cookie = name + "; path=/; SameSite=None; Secure; Partitioned";
  var kept = document.cookie.indexOf(name) !== -1;
  document.cookie = name + "; path=/; max-age=0; SameSite=None; Secure; Partitioned";
  if (kept) {
    window.location.replace(box.getAttribute("data-continue-url"));
    return;
  }
  document.getElementById("cookie-check-loading").hidden = true;
  document.getElementById("cookie-check-blocked").hidden = false;
})();
