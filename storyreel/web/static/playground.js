// The playground: reference images by drag and drop, the recent prompts' Add and Copy
// buttons, and refusals shown next to the form. Everything else is htmx.
"use strict";

(function () {
  // A link that names the kind (?kind=video, the library's "reuse settings") wins over the
  // remembered mode: store it before app.js restores remembered inputs.
  const params = new URLSearchParams(location.search);
  const kind = params.get("kind");
  if (kind === "image" || kind === "video") localStorage.setItem("storyreel:playground-mode", kind);

  function describeFiles(input) {
    const list = document.getElementById("pg-ref-list");
    const count = document.getElementById("pg-ref-count");
    if (!list || !count) return;
    list.replaceChildren();
    Array.from(input.files || []).forEach((file) => {
      const item = document.createElement("li");
      item.textContent = `${file.name} (${Math.ceil(file.size / 1024)} KB)`;
      list.appendChild(item);
    });
    count.value = String((input.files || []).length);
  }

  function setupDrop() {
    const zone = document.getElementById("pg-drop");
    const input = document.getElementById("pg-reference");
    if (!zone || !input) return;
    // Runs before the form's change listeners (the estimate), so the count is current.
    input.addEventListener("change", () => describeFiles(input));
    ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("pg-drop-over");
    }));
    ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, () => zone.classList.remove("pg-drop-over")));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function addPrompt(text) {
    const box = document.getElementById("pg-prompt");
    if (!box) return;
    box.value = box.value.trim() ? `${box.value.trimEnd()} ${text}` : text;
    box.focus();
  }

  // The clipboard API needs a secure context (https or localhost); elsewhere, the older
  // copy command on a hidden text area.
  function copyFallback(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    if (!done) throw new Error("copy refused");
  }

  async function copyPrompt(button, text) {
    try {
      if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
      else copyFallback(text);
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    } catch (_) {
      window.storyreel.showToast("The browser did not allow copying to the clipboard.");
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest(".pg-add, .pg-copy");
    if (!button) return;
    if (button.classList.contains("pg-add")) addPrompt(button.dataset.prompt);
    else copyPrompt(button, button.dataset.prompt);
  });

  // A refused submission (422, 402) is shown in words next to the form, not as a toast.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    if ((status === 422 || status === 402) && event.detail.xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // A submission that went through clears earlier refusals and the "nothing yet" line.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "pg-results") {
      const errors = document.getElementById("pg-errors");
      if (errors) errors.replaceChildren();
      const empty = document.querySelector("#pg-results .pg-empty");
      if (empty) empty.remove();
    }
  });

  document.addEventListener("DOMContentLoaded", setupDrop);
})();
