// storyreel UI: the little JavaScript htmx does not cover. No framework, no build step.
"use strict";

// An error from an htmx request, shown in words (the API's {"detail": "..."}).
function showToast(message) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const toast = document.createElement("div");
  toast.className = "toast";
  toast.textContent = message;
  box.appendChild(toast);
  setTimeout(() => toast.remove(), 8000);
}

document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  let message = `Request failed (${xhr.status}).`;
  try {
    const body = JSON.parse(xhr.responseText);
    if (body && body.detail) message = body.detail;
  } catch (_) { /* not JSON: keep the status line */ }
  showToast(message);
});
document.addEventListener("htmx:sendError", () => showToast("The server did not answer. Is it running?"));

// Inputs with data-remember="key" keep their value in localStorage (e.g. the playground's mode).
function restoreRemembered(root) {
  root.querySelectorAll("[data-remember]").forEach((input) => {
    const key = "storyreel:" + input.dataset.remember;
    const saved = localStorage.getItem(key);
    if (input.type === "radio") {
      // Only the checked radio of a group reports a change (the others would overwrite it).
      if (saved !== null) input.checked = input.value === saved;
      input.addEventListener("change", () => { if (input.checked) localStorage.setItem(key, input.value); });
      if (saved !== null && input.checked) input.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    if (input.type === "checkbox") {
      if (saved !== null) input.checked = saved === "1";
      input.addEventListener("change", () => localStorage.setItem(key, input.checked ? "1" : "0"));
    } else {
      if (saved !== null) input.value = saved;
      input.addEventListener("change", () => localStorage.setItem(key, input.value));
    }
    if (saved !== null) input.dispatchEvent(new Event("change", { bubbles: true }));
  });
}
document.addEventListener("DOMContentLoaded", () => restoreRemembered(document));

window.storyreel = { showToast, restoreRemembered };
