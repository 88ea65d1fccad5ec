// roster console: form behaviour that the pages need, kept out of the HTML so that the
// Content-Security-Policy can forbid inline script.
//
// - form[data-require-valid]: its [data-submit-when-valid] buttons are enabled only while
//   the form is valid (required fields filled, confirmations matching).
// - input[name=method] radios switch which fields are required ([data-required-for]),
//   which asterisks and hints show ([data-req-for], [data-shown-for]); a hidden fieldset
//   is disabled, so its fields are neither checked nor sent.
// - input[data-same-as=ID] must equal the field with that id.
(function () {
  "use strict";

  function listed(attr, value) {
    return (attr || "").split(" ").indexOf(value) >= 0;
  }

  function sync(form) {
    var checked = form.querySelector('input[name="method"]:checked');
    if (checked) {
      var method = checked.value;
      form.querySelectorAll("[data-required-for]").forEach(function (el) {
        el.required = listed(el.getAttribute("data-required-for"), method);
      });
      form.querySelectorAll("[data-req-for]").forEach(function (el) {
        el.hidden = !listed(el.getAttribute("data-req-for"), method);
      });
      form.querySelectorAll("[data-shown-for]").forEach(function (el) {
        var on = listed(el.getAttribute("data-shown-for"), method);
        el.hidden = !on;
        if (el.tagName === "FIELDSET") {
          el.disabled = !on;
        }
      });
    }
    form.querySelectorAll("input[data-same-as]").forEach(function (el) {
      var other = document.getElementById(el.getAttribute("data-same-as"));
      var differs = other !== null && el.value !== "" && other.value !== el.value;
      el.setCustomValidity(differs ? "The two passwords differ." : "");
    });
    var valid = form.checkValidity();
    form.querySelectorAll("[data-submit-when-valid]").forEach(function (button) {
      button.disabled = !valid;
    });
  }

  function wire(form) {
    if (form.hasAttribute("data-wired")) {
      return;
    }
    form.setAttribute("data-wired", "");
    form.addEventListener("input", function () { sync(form); });
    form.addEventListener("change", function () { sync(form); });
    // New group checkboxes arrive by htmx inside the form.
    form.addEventListener("htmx:afterSwap", function () { sync(form); });
    sync(form);
  }

  function init(root) {
    if (root.matches && root.matches("form[data-require-valid]")) {
      wire(root);
    }
    if (root.querySelectorAll) {
      root.querySelectorAll("form[data-require-valid]").forEach(wire);
    }
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();

// [data-when="NAME=VALUE"]: shown only while the form's radio NAME has VALUE (the role type
// of a group's "Add a role" form). Without script every part shows and the server reads the
// one the radio names.
(function () {
  "use strict";

  function sync(form) {
    form.querySelectorAll("[data-when]").forEach(function (el) {
      var rule = el.getAttribute("data-when").split("=");
      var checked = form.querySelector('input[name="' + rule[0] + '"]:checked');
      el.hidden = checked !== null && checked.value !== rule[1];
    });
  }

  function init(root) {
    var forms = [];
    if (root.matches && root.matches("form")) {
      forms.push(root);
    }
    if (root.querySelectorAll) {
      root.querySelectorAll("form").forEach(function (f) { forms.push(f); });
    }
    forms.forEach(function (form) {
      if (form.hasAttribute("data-when-wired") || !form.querySelector("[data-when]")) {
        return;
      }
      form.setAttribute("data-when-wired", "");
      form.addEventListener("change", function () { sync(form); });
      sync(form);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
