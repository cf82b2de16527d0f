// The menu button on narrow screens (templates/base.html, app.css): the menu folds
// behind it and opens on click, Enter or Space (a real <button>), with aria-expanded
// saying which. Escape closes it and gives focus back to the button. Without this
// script the button stays hidden and the whole menu shows, wrapped.
(function () {
  "use strict";
  var button = document.getElementById("menu-button");
  var menu = document.getElementById("menu");
  if (!button || !menu) {
    return;
  }
  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("nav-collapsed", !open);
  }
  setOpen(false);
  button.hidden = false;
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  function closeOnEscape(event) {
    if (event.key === "Escape" && button.offsetParent !== null) {
      setOpen(false);
      button.focus();
    }
  }
  // On the button too: Escape right after opening, focus still on it, left the menu
  // open (found by an audit of the pages).
  menu.addEventListener("keydown", closeOnEscape);
  button.addEventListener("keydown", closeOnEscape);
})();
