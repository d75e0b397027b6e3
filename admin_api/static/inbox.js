// Enhances the inbox pages, which work without it: Ctrl+Enter (or Cmd+Enter) sends a form, and the
// pages look for changes every few seconds and refresh the list or the thread (the typed reply stays).
(function () {
  "use strict";

  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!field || field.tagName !== "TEXTAREA") return;
    var form = field.closest("form[data-submit-shortcut]");
    if (!form) return;
    event.preventDefault();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });

  // a canned reply goes into the answer as soon as it is chosen (without script: the "Utiliser" button
  // reloads the page with it), to be adapted before sending. What the adviser typed is never lost: an
  // empty box (or one holding only the previous canned reply, untouched) gets the reply; otherwise the
  // reply is inserted where the cursor was, the typed words kept around it.
  var lastCanned = null;
  function useCanned(select) {
    var target = document.getElementById(select.getAttribute("data-canned-target"));
    var option = select.options[select.selectedIndex];
    if (!target || !option || !option.value) return false;
    var text = option.getAttribute("data-text") || "";
    var value = target.value;
    if (!value.trim() || value === lastCanned) {
      target.value = text;
      target.setSelectionRange(text.length, text.length);
    } else if (value.indexOf(text) < 0) {
      var typed = target.getAttribute("data-typed") === "1";
      var start = typed ? target.selectionStart : value.length;
      var end = typed ? target.selectionEnd : value.length;
      var before = value.slice(0, start), after = value.slice(end);
      var glue = before && !/\s$/.test(before) ? "\n" : "";
      var tail = after && !/^\s/.test(after) ? "\n" : "";
      target.value = before + glue + text + tail + after;
      var caret = (before + glue + text).length;
      target.setSelectionRange(caret, caret);
    }
    lastCanned = target.value === text ? text : null;
    target.focus();
    return true;
  }
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field && field.tagName === "TEXTAREA") field.setAttribute("data-typed", "1");
  });
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select && select.matches && select.matches("select[data-canned-target]")) useCanned(select);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var select = form && form.querySelector ? form.querySelector("select[data-canned-target]") : null;
    if (select && useCanned(select)) event.preventDefault();
  });

  var STATES = {
    granted: "Activées sur ce navigateur.",
    denied: "Refusées : changez-le dans les réglages du navigateur.",
    "default": "Pas encore activées sur ce navigateur."
  };
  var enable = document.querySelector("[data-enable-notifications]");
  var state = document.getElementById("browser-state");
  if (enable && state && "Notification" in window) {
    state.textContent = STATES[Notification.permission] || "";
    enable.hidden = Notification.permission === "granted";
    enable.addEventListener("click", function () {
      Promise.resolve(Notification.requestPermission()).then(function (answer) {
        state.textContent = STATES[answer] || "";
        enable.hidden = answer === "granted";
      });
    });
  }

  var body = document.body;
  var every = parseInt(body.getAttribute("data-poll") || "0", 10);
  var url = body.getAttribute("data-updates");
  if (!every || !url) return;
  var parts = ["inbox-live", "handoff-live", "handoff-thread"];

  function refresh() {
    return fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return false;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var changed = false;
        parts.forEach(function (id) {
          var now = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (now && next) { now.innerHTML = next.innerHTML; changed = true; }
        });
        return changed;
      });
  }

  var before = null;

  function tell(state) {
    // a browser notification for more unassigned or urgent questions, as the staff member chose
    var counts = state.counts || {}, wants = state.notify || {};
    var earlier = before;
    before = counts;
    if (!earlier || !("Notification" in window) || Notification.permission !== "granted") return;
    if (wants.notify_urgent && counts.urgent > earlier.urgent) {
      new Notification("sixtcap : question urgente", { body: "Un jeune en danger attend une réponse.", tag: "urgent" });
    } else if (wants.notify_new && counts.unassigned > earlier.unassigned) {
      new Notification("sixtcap : nouvelle question", { body: "Une question attend un conseiller.", tag: "new" });
    }
  }

  function look() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state) tell(state);
        if (!state || state.version === body.getAttribute("data-version")) return;
        body.setAttribute("data-version", state.version);
        return refresh().then(function (changed) {
          var live = document.getElementById("live");
          if (changed && live) live.textContent = "Mis à jour : du nouveau dans les questions.";
        });
      })
      .catch(function () { /* offline for a moment: try again later */ })
      .then(function () { window.setTimeout(look, every); });
  }

  look();
})();
