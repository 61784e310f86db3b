// "Listen" buttons ([data-speak]): read a question aloud with the browser's own speech
// (nothing is sent anywhere), only when the device has a voice for the page's language.
(function () {
  "use strict";

  // Read aloud, only with a voice for the page's language (Kazakh voices are rare): without
  // one the button stays hidden and a note says the teacher can read the question instead.
  var listenButtons = document.querySelectorAll("[data-speak]");
  var speech = "speechSynthesis" in window ? window.speechSynthesis : null;

  function voiceFor(lang) {
    if (!speech) return null;
    var voices = speech.getVoices() || [];
    for (var i = 0; i < voices.length; i++) {
      var voiceLang = String(voices[i].lang || "").toLowerCase().replace("_", "-");
      if (voiceLang === lang || voiceLang.indexOf(lang + "-") === 0) return voices[i];
    }
    return null;
  }

  function showListen() {
    listenButtons.forEach(function (button) {
      var found = voiceFor(button.dataset.lang) !== null;
      button.hidden = !found;
      var note = button.parentNode.querySelector("[data-no-voice]");
      if (note) note.hidden = found;
    });
  }

  listenButtons.forEach(function (button) {
    button.addEventListener("click", function () {
      var lang = button.dataset.lang;
      var voice = voiceFor(lang);
      if (!voice) return;
      speech.cancel();
      var utterance = new SpeechSynthesisUtterance(button.dataset.speak);
      utterance.lang = voice.lang || lang;
      try {
        utterance.voice = voice;
      } catch (error) {
        // Keep the language only; the browser picks its voice.
      }
      utterance.rate = 0.9;
      speech.speak(utterance);
    });
  });
  if (listenButtons.length) {
    if (speech && !(speech.getVoices() || []).length) {
      // Voices often load after the page: decide when they arrive, or after a moment.
      speech.addEventListener("voiceschanged", showListen);
      window.setTimeout(showListen, 1500);
    } else {
      showListen();
      if (speech) speech.addEventListener("voiceschanged", showListen);
    }
  }
})();
