// The pages' one script. Every page works without it; it only adds:
// on the comparison of two versions, a switch to hide unchanged lines.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var box = document.getElementById("only-changes");
  var diff = document.getElementById("diff");
  if (box && diff) {
    box.addEventListener("change", function () {
      diff.classList.toggle("only-changes", box.checked);
    });
  }
})();
// On a job's page: follow the job's progress in place (without the
// script, the page refreshes itself each second instead).
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.getAttribute("data-finished") === "true" || !window.fetch) {
    return;
  }
  var bar = document.getElementById("job-bar");
  var text = document.getElementById("job-text");
  var url = "/office/jobs/" + encodeURIComponent(box.getAttribute("data-job")) + "/state";
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (st) {
      if (!st) {
        return;
      }
      if (st.finished) {
        location.reload();
        return;
      }
      if (st.permille > Number(bar.value)) {
        bar.value = st.permille;
      }
      text.textContent = "Recomputing audiences: " + st.percent + "% (" + st.done + " of " + st.total + " steps so far)";
      setTimeout(poll, 300);
    }, function () {
      setTimeout(poll, 1000);
    });
  }
  setTimeout(poll, 200);
})();
