// Jobs page: a job the live stream announces as new is put on top only once (after the
// browser reconnects, the stream may announce a job the table already shows).
"use strict";

document.addEventListener("htmx:sseBeforeMessage", (event) => {
  if (event.detail.type !== "new") return;
  const found = /id="(job-[0-9A-Za-z]+)"/.exec(event.detail.data || "");
  if (found && document.getElementById(found[1])) event.preventDefault();
});
