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
