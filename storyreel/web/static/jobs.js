// Jobs page: a job the live stream announces as new goes on top once; announced again
// (after the browser reconnected, the stream cannot know what the table shows) it
// replaces its row instead.
"use strict";

document.addEventListener("htmx:sseBeforeMessage", (event) => {
  if (event.detail.type !== "new") return;
  const found = /id="(job-[0-9A-Za-z]+)"/.exec(event.detail.data || "");
  const existing = found && document.getElementById(found[1]);
  if (!existing) return;
  event.preventDefault();
  htmx.swap(existing, event.detail.data, { swapStyle: "outerHTML" });
});
