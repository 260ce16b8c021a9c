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

// Ages ("12 s ago") as the server words them, kept current without a request.
function ageText(then) {
  const seconds = Math.max(0, Math.floor((Date.now() - then) / 1000));
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60]]) {
    if (seconds >= size) return `${Math.floor(seconds / size)} ${unit} ago`;
  }
  return `${seconds} s ago`;
}

setInterval(() => {
  document.querySelectorAll(".job-row time[datetime]").forEach((el) => {
    const then = Date.parse(el.getAttribute("datetime"));
    if (!Number.isNaN(then)) el.textContent = ageText(then);
  });
}, 15000);
