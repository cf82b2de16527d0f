// Follows a job on the worker: polls its status (JSON) and moves the progress bar; when
// the job is done, reloads the page, which then shows its result. A file of its own, not
// an inline script: the Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";
  var job = document.querySelector("[data-job-status]");
  if (!job) {
    return;
  }
  var bar = job.querySelector(".job-bar");
  var label = job.querySelector(".job-label");
  var percent = job.querySelector(".job-percent");
  var EVERY_MS = 700;

  function show(progress) {
    label.textContent = progress.label;
    if (progress.percent === null || progress.percent === undefined) {
      bar.removeAttribute("value"); // indeterminate: the job has no stages to count
      percent.textContent = "";
      return;
    }
    bar.value = progress.percent;
    bar.textContent = progress.percent + "%";
    var text = Math.floor(progress.percent) + "%";
    if (progress.total) {
      text += " · line " + progress.done.toLocaleString() + " of " + progress.total.toLocaleString();
    }
    percent.textContent = text;
  }

  function poll() {
    fetch(job.dataset.jobStatus, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (status) {
        if (status.finished) {
          job.classList.add("job-finished");
          window.location.reload();
          return;
        }
        show(status.progress);
        window.setTimeout(poll, EVERY_MS);
      })
      .catch(function () {
        window.setTimeout(poll, EVERY_MS * 4); // the server restarting: try again shortly
      });
  }

  poll();
})();
