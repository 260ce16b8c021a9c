// The library page: the lightbox (a <dialog>: Esc closes it, focus goes back to the card,
// arrow keys open the neighbours) and the selection for "download selected".
"use strict";
(() => {
  let opener = null;   // the card button that opened the lightbox: focus returns there
  let current = null;  // the item (job id.position) shown

  const $ = (id) => document.getElementById(id);
  const cards = () => Array.from(document.querySelectorAll("#grid .lib-card"));

  async function show(card) {
    const dialog = $("lightbox");
    current = card.dataset.item;
    opener = card.querySelector(".lib-open");
    await htmx.ajax("GET", `/ui/library/item/${encodeURIComponent(current)}`,
      { target: "#lightbox-body", swap: "innerHTML" });
    if (!dialog.open) dialog.showModal();
    const close = dialog.querySelector("[data-close]");
    if (close && !dialog.contains(document.activeElement)) close.focus();
  }

  // The next batch, when the lightbox steps past the last loaded card.
  function loadMore() {
    const more = document.querySelector("#grid .lib-more");
    if (!more || more.dataset.loading) return Promise.resolve(false);
    more.dataset.loading = "1";
    return htmx.ajax("GET", more.getAttribute("hx-get"), { source: more, target: more, swap: "outerHTML" })
      .then(() => true);
  }

  async function step(delta) {
    let all = cards();
    const at = all.findIndex((c) => c.dataset.item === current);
    if (at < 0) return;
    if (!all[at + delta] && delta > 0 && await loadMore()) all = cards();
    const next = all[at + delta];
    if (next) {
      next.scrollIntoView({ block: "nearest" });
      show(next);
    }
  }

  function updateSelection() {
    const picked = document.querySelectorAll("#grid .lib-pick:checked").length;
    const most = Number($("lib-zip").dataset.max);
    $("lib-selected").textContent = picked > most
      ? `${picked} selected: a zip holds at most ${most}` : `${picked} selected`;
    $("lib-zip-button").disabled = picked === 0 || picked > most;
  }

  function selectAll(on) {
    document.querySelectorAll("#grid .lib-pick").forEach((box) => { box.checked = on; });
    updateSelection();
  }

  document.addEventListener("click", (event) => {
    const target = event.target.closest(".lib-open, [data-close], [data-step], #lib-select-all, #lib-select-none");
    if (!target) return;
    if (target.classList.contains("lib-open")) show(target.closest(".lib-card"));
    else if (target.hasAttribute("data-close")) $("lightbox").close();
    else if (target.hasAttribute("data-step")) step(Number(target.dataset.step));
    else selectAll(target.id === "lib-select-all");
  });

  document.addEventListener("keydown", (event) => {
    const dialog = $("lightbox");
    if (!dialog || !dialog.open || event.target.closest("video, input, textarea, select")) return;
    if (event.key === "ArrowRight") { event.preventDefault(); step(1); }
    if (event.key === "ArrowLeft") { event.preventDefault(); step(-1); }
  });

  document.addEventListener("change", (event) => {
    if (event.target.classList && event.target.classList.contains("lib-pick")) updateSelection();
  });

  document.addEventListener("DOMContentLoaded", () => {
    const dialog = $("lightbox");
    if (!dialog) return;
    dialog.addEventListener("close", () => {
      $("lightbox-body").replaceChildren();  // stop a playing video
      if (opener && opener.isConnected) opener.focus();
    });
    // A click on the backdrop (outside the dialog's box) closes it too.
    dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); });
    updateSelection();
  });
  // A new grid (filters changed) or a new batch: recount what is selected.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && (event.detail.target.id === "grid" || event.detail.target.closest("#grid"))) updateSelection();
  });
})();
