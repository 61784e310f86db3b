// Presenter mode: one slide at a time, driven by the keyboard or the buttons.
// Everything is in the page already, so it keeps working if the connection drops.
(function () {
  var slides = Array.prototype.slice.call(document.querySelectorAll(".slide"));
  if (!slides.length) return;
  var script = document.currentScript;
  var template = script ? script.getAttribute("data-counter-template") : "{n} / {total}";
  var prev = document.querySelector("[data-prev]");
  var next = document.querySelector("[data-next]");
  var counter = document.querySelector("[data-counter]");
  var hint = document.querySelector("[data-hint]");
  var current = 0;
  document.documentElement.classList.add("js");

  function show(index) {
    current = Math.max(0, Math.min(slides.length - 1, index));
    slides.forEach(function (slide, i) {
      slide.hidden = i !== current;
    });
    counter.textContent = template.replace("{n}", current + 1).replace("{total}", slides.length);
    prev.disabled = current === 0;
    next.disabled = current === slides.length - 1;
    if (window.location.hash !== "#" + (current + 1)) {
      history.replaceState(null, "", "#" + (current + 1));
    }
  }

  prev.hidden = false;
  next.hidden = false;
  hint.hidden = false;
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var key = event.key;
    if (key === "ArrowRight" || key === "PageDown" || (key === " " && event.target === document.body)) {
      show(current + 1);
    } else if (key === "ArrowLeft" || key === "PageUp") {
      show(current - 1);
    } else if (key === "Home") {
      show(0);
    } else if (key === "End") {
      show(slides.length - 1);
    } else if ((key === "f" || key === "F") && document.documentElement.requestFullscreen) {
      if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen();
    } else {
      return;
    }
    event.preventDefault();
  });
  var start = parseInt((window.location.hash || "#1").slice(1), 10);
  show(isNaN(start) ? 0 : start - 1);
})();
