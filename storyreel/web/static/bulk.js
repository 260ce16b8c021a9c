// Bulk page: a refused dry run or run (422) is shown where its answer goes, in words,
// instead of only as a toast.
"use strict";
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  const target = event.detail.target;
  if (status === 422 && target && (target.id === "plan" || target.id === "run-result")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
