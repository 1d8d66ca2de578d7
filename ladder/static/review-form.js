/* Ladder review form helpers (our own script, no dependencies; version 1.0).
 * - Focus the element marked data-focus-on-load (the error summary after a refused save), so
 *   keyboard and screen reader users start at the list of problems.
 * - A link of the error summary focuses its field and shows the field's label too.
 * - "Agree" and "Copy every self-rating I have not rated yet" set the manager's rating in place
 *   (autosave then saves it); without JavaScript they are submit buttons that save the draft. */
(function () {
  "use strict";
  var first = document.querySelector("[data-focus-on-load]");
  if (first) { first.focus(); }

  function setRating(select, value) {
    if (!select || select.value === value) { return false; }
    select.value = value;
    select.dispatchEvent(new Event("change", {bubbles: true}));
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#']");
    if (link) {
      var field = document.getElementById(link.getAttribute("href").slice(1));
      if (field) {
        event.preventDefault();
        var label = document.querySelector("label[for='" + field.id + "']");
        (label || field).scrollIntoView({block: "center"});
        field.focus({preventScroll: true});
      }
      return;
    }
    var agree = event.target.closest("button[data-agree-field]");
    if (agree) {
      event.preventDefault();
      setRating(document.getElementById(agree.getAttribute("data-agree-field")), agree.getAttribute("data-agree-rating"));
      return;
    }
    if (event.target.closest("button[data-agree-all]")) {
      event.preventDefault();
      document.querySelectorAll("button[data-agree-field]").forEach(function (button) {
        var select = document.getElementById(button.getAttribute("data-agree-field"));
        if (select && !select.value) { setRating(select, button.getAttribute("data-agree-rating")); }
      });
    }
  });
}());
