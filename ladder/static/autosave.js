/* Ladder autosave (our own script, no dependencies; version 1.2).
 * Saves a review draft while the person types, and keeps a copy in this browser until the
 * server has it, so neither an expired session nor a lost connection loses their words.
 * Progressive enhancement: without JavaScript the form's own Save draft button does the job. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-autosave-url");
  var storageKey = "ladder-draft:" + url;
  var status = document.querySelector("[data-autosave-status]");
  var timer = null;
  var saving = false;
  var again = false;
  var submitAfterSave = null;  // a Save/Submit click that arrived while an autosave was in flight
  var retryDelay = 0;  // grows while the server or the network cannot take the save
  // A save that got no answer may have been stored (the connection died after the commit): it is
  // retried exactly as sent, with its lock version, which the server recognises as already
  // stored; what was typed since is saved after it.
  var unanswered = null;
  var RETRY_FIRST = 2000, RETRY_LONGEST = 60000;
  var RETRYING = "Not saved yet, retrying; your text is safe in this browser.";

  function say(text, kind) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "autosave-status" + (kind ? " autosave-" + kind : "");
  }

  function answerFields() {
    return Array.prototype.slice.call(form.querySelectorAll("select[name^='rating-'], textarea[name^='evidence-'], textarea[name^='answer-']"));
  }

  function currentValues() {
    var values = {};
    answerFields().forEach(function (field) { values[field.name] = field.value; });
    return values;
  }

  function keepInBrowser() {
    try { window.localStorage.setItem(storageKey, JSON.stringify({at: Date.now(), values: currentValues()})); } catch (e) { /* private mode: server saves still work */ }
  }

  function forgetBrowserCopy() {
    try { window.localStorage.removeItem(storageKey); } catch (e) { /* nothing kept */ }
  }

  function restoreBrowserCopy() {
    var copy = null;
    try { copy = JSON.parse(window.localStorage.getItem(storageKey) || "null"); } catch (e) { copy = null; }
    if (!copy || !copy.values) { return; }
    var restored = 0;
    answerFields().forEach(function (field) {
      if (Object.prototype.hasOwnProperty.call(copy.values, field.name) && copy.values[field.name] !== field.value) {
        field.value = copy.values[field.name];
        restored += 1;
      }
    });
    if (restored) {
      say("Restored " + restored + " unsaved answer" + (restored > 1 ? "s" : "") + " from this browser; saving them now.", "restored");
      schedule(200);
    } else {
      forgetBrowserCopy();
    }
  }

  function showProgress(rated, total) {
    var text = document.querySelector(".progress-text strong");
    var bar = document.querySelector(".sticky-progress progress");
    if (text) { text.textContent = rated + " of " + total; }
    if (bar) { bar.value = rated; bar.setAttribute("aria-label", rated + " of " + total + " rated"); }
  }

  function retryLater(seconds) {
    // Back off (2 s, 4 s, 8 s ... up to a minute), or as long as the server's Retry-After asks.
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : RETRY_FIRST, RETRY_LONGEST);
    if (seconds) { retryDelay = Math.max(retryDelay, seconds * 1000); }
    say(RETRYING, "error");
    schedule(retryDelay);
  }

  function handle(result, attempt) {
    var data = result.data || {};
    if (result.status === 503 || result.status >= 500 || result.status === 408) {
      unanswered = attempt;
      retryLater(result.retryAfter);
      return;
    }
    unanswered = null;
    retryDelay = 0;
    if (result.status === 200) {
      form.querySelector("[name=lock_version]").value = data.lock_version;
      showProgress(data.rated, data.total);
      if (attempt.values !== JSON.stringify(currentValues())) {  // typed since this save was sent
        again = true;
        return;
      }
      forgetBrowserCopy();
      say("All changes saved at " + new Date().toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"}) + ".", "ok");
    } else if (result.status === 401) {
      say("Your session has ended. Your answers are kept in this browser: sign in again and reopen this page to save them.", "error");
    } else {
      say(data.message || "Not saved automatically; use Save draft to see what needs attention.", "error");
    }
  }

  function save() {
    if (saving) { again = true; return; }
    saving = true;
    say("Saving…", "busy");
    var attempt = unanswered;
    if (!attempt) {
      attempt = {body: new FormData(form), values: JSON.stringify(currentValues())};
      attempt.body.set("action", "save");
    }
    window.fetch(url, {
      method: "POST", body: attempt.body, credentials: "same-origin", redirect: "manual",
      headers: {"Accept": "application/json", "X-CSRFToken": form.querySelector("[name=csrf_token]").value}
    }).then(function (response) {
      var retryAfter = parseInt(response.headers.get("Retry-After") || "0", 10) || 0;
      return response.json().then(
        function (data) { return {status: response.status, data: data, retryAfter: retryAfter}; },
        function () { return {status: response.status === 0 ? 401 : response.status, data: {}, retryAfter: retryAfter}; });
    }).then(function (result) { handle(result, attempt); }, function () {
      unanswered = attempt;
      retryLater(0);  // offline or the server did not answer: the copy in this browser is kept
    }).then(function () {
      saving = false;
      if (submitAfterSave) {  // now the form carries the new lock version
        var button = submitAfterSave;
        submitAfterSave = null;
        if (form.requestSubmit) { form.requestSubmit(button); } else { form.submit(); }
      } else if (again) {
        again = false;
        schedule(500);
      }
    });
  }

  function schedule(delay) {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  }

  form.addEventListener("submit", function (event) {
    window.clearTimeout(timer);  // the form's own POST saves everything
    if (saving) {
      event.preventDefault();
      submitAfterSave = event.submitter || form.querySelector("button[type=submit]");
    }
  });
  form.addEventListener("input", function () { keepInBrowser(); schedule(1500); });
  form.addEventListener("change", function () { keepInBrowser(); schedule(600); });
  restoreBrowserCopy();
}());
