// The org picker: as one types into an "Org and below" field, offer the orgs within
// reach by their path of names, from the dashboards' JSON suggestions. Without this
// script the field is a plain one, and the server reads the typed name or path alike.
"use strict";

(function () {
  const WAIT_MS = 150;

  function attach(input) {
    const list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    let timer = null;
    let asked = null;
    let controller = null;

    function forget() {
      // A failed answer leaves no stale suggestions, and the same text is asked again:
      // the last ones stayed, and retyping it asked nothing (found by an audit of the pages).
      asked = null;
      list.replaceChildren();
    }

    async function suggest() {
      const typed = input.value.trim();
      if (typed === asked) return;
      asked = typed;
      if (controller) controller.abort();
      if (!typed) {
        list.replaceChildren();
        return;
      }
      controller = new AbortController();
      try {
        const url = input.dataset.orgSuggest + "?" + new URLSearchParams({ q: typed });
        const response = await fetch(url, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          signal: controller.signal,
        });
        if (!response.ok) {
          forget();
          return;
        }
        const answer = await response.json();
        list.replaceChildren(
          ...answer.orgs.map(function (org) {
            const option = document.createElement("option");
            option.value = org.path;
            return option;
          })
        );
      } catch (error) {
        if (error.name !== "AbortError") forget(); // a newer text's request took its place
      }
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(suggest, WAIT_MS);
    });
  }

  document.querySelectorAll("input[data-org-suggest]").forEach(attach);
})();
