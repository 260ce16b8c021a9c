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

  // A storyboard action (regenerate, pick, finalize) starts a run: follow it in the run panel.
  document.addEventListener("htmx:afterRequest", (event) => {
    const config = event.detail.requestConfig;
    if (!event.detail.successful || !config || config.verb !== "post") return;
    if (!/\/board(\/|$)/.test(config.path)) return;
    const run = document.getElementById("run");
    if (run && run.dataset.panel) htmx.ajax("GET", run.dataset.panel, { target: "#run", swap: "outerHTML" });
  });
})();
