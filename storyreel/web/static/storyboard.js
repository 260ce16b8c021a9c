// The storyboard (templates/storyboard/): keep the keyboard where it was when htmx replaces
// a card (after an action) or the whole board (after a run): the focus goes back to the
// card that held it instead of falling to the top of the page.
"use strict";
(() => {
  if (window.storyreelStoryboard) return; // the board's fragment loads this on every refresh
  window.storyreelStoryboard = true;
  let kept = null;
  // Before the request: its button is disabled while it runs (hx-disabled-elt), which
  // already takes the focus away.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const active = document.activeElement;
    const target = event.detail.target;
    const card = active && target && target.contains(active) ? active.closest(".sb-card") : null;
    if (card) kept = card.id;
  });
  document.addEventListener("htmx:afterSettle", () => {
    if (!kept) return;
    const card = document.getElementById(kept);
    kept = null;
    const lost = !document.activeElement || document.activeElement === document.body;
    if (card && lost) card.focus();
  });
})();
