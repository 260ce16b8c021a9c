// Story studio: tell the storyboard to refresh when the live run's panels change, and the
// plan ("would redo") when the run ends. htmx and its SSE extension do everything else.
"use strict";

(function () {
  let last = null;
  document.addEventListener("htmx:sseMessage", () => {
    const box = document.querySelector("#run-progress .run-live");
    if (!box) return;
    const key = `${box.dataset.panels}/${box.dataset.clips}/${box.dataset.state}`;
    if (key === last) return;
    last = key;
    htmx.trigger(document.body, "storyboard-refresh");
    if (box.dataset.state !== "running") htmx.trigger(document.body, "plan-refresh");
  });
})();
