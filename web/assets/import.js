// The import page's script. The form works without it (the Preview
// button posts the picker, Import posts the whole form); it only adds:
// the preview of who will read the result, redrawn as you choose, and
// the MISP mappings shown only for MISP events, and the upload's
// progress, sent with XMLHttpRequest, after which the
// result page replaces this one.
(function () {
  "use strict";
  var form = document.getElementById("import");
  if (!form || !window.XMLHttpRequest || !window.FormData || !window.DOMParser) {
    return;
  }
  var preview = document.getElementById("preview");
  var box = document.getElementById("progress");
  var bar = document.getElementById("upload-progress");
  var text = document.getElementById("progress-text");
  var submit = document.getElementById("i-submit");

  // pickerBody is the form without the file, as the Preview button sends it.
  function pickerBody() {
    var body = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.disabled) {
        return;
      }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) {
        return;
      }
      body.append(el.name, el.value);
    });
    return body;
  }

  // show puts a page's HTML in place of this one's main content and
  // banners: the result page, or an error page, in the same layout.
  function show(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.querySelector("main");
    if (!main) {
      return false;
    }
    document.querySelector("main").replaceWith(document.importNode(main, true));
    var mine = document.querySelectorAll(".banner");
    var theirs = doc.querySelectorAll(".banner");
    for (var i = 0; i < mine.length && i < theirs.length; i++) {
      mine[i].className = theirs[i].className;
      mine[i].textContent = theirs[i].textContent;
    }
    document.title = doc.title;
    document.querySelector("main").focus();
    return true;
  }

  // The MISP mappings show only while MISP events are chosen.
  var mispBox = document.getElementById("misp-fields");
  var mispOn = document.getElementById("i-format-misp");
  function mispShown() {
    if (mispBox && mispOn) {
      mispBox.hidden = !mispOn.checked;
    }
  }
  mispShown();
  form.addEventListener("change", mispShown);

  var pending = 0;
  function redraw() {
    var mine = ++pending;
    var req = new XMLHttpRequest();
    req.open("POST", "/import/preview");
    req.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    req.onload = function () {
      if (mine !== pending) {
        return; // a later choice is on its way
      }
      var doc = new DOMParser().parseFromString(req.responseText, "text/html");
      var fresh = doc.getElementById("preview");
      var alert = doc.querySelector("main [role=alert]");
      if (fresh) {
        preview.innerHTML = fresh.innerHTML;
      } else if (alert) {
        preview.textContent = alert.textContent;
      }
    };
    req.send(pickerBody().toString());
  }
  redraw();
  form.addEventListener("change", function (ev) {
    if (ev.target && ev.target.type !== "file") {
      redraw();
    }
  });
  document.getElementById("i-preview").addEventListener("click", function (ev) {
    ev.preventDefault();
    redraw();
  });

  form.addEventListener("submit", function (ev) {
    var file = document.getElementById("i-file");
    if (!file.files || file.files.length === 0) {
      return; // the browser's own check says what is missing
    }
    ev.preventDefault();
    var max = parseInt(form.getAttribute("data-max"), 10);
    if (max && file.files[0].size > max) {
      box.hidden = false;
      text.textContent = "This file is larger than the server takes; split it, or import it on the server.";
      return;
    }
    var req = new XMLHttpRequest();
    req.open("POST", form.action);
    box.hidden = false;
    submit.disabled = true;
    req.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        var pc = Math.floor((100 * e.loaded) / e.total);
        bar.value = pc;
        bar.textContent = pc + "%";
        document.documentElement.setAttribute("data-upload-sent", String(pc));
        text.textContent = pc + "% sent (" + (e.loaded / 1048576).toFixed(1) + " of " + (e.total / 1048576).toFixed(1) + " MiB); stored as it arrives";
      }
    };
    req.upload.onload = function () {
      bar.value = 100;
      text.textContent = "Sent; the last objects are being stored…";
    };
    req.onload = function () {
      if (!show(req.responseText)) {
        text.textContent = "The server answered " + req.status + "; reload the page.";
        submit.disabled = false;
      }
    };
    req.onerror = function () {
      text.textContent = "The upload failed: the connection was lost. Nothing after that point was stored.";
      submit.disabled = false;
    };
    req.send(new FormData(form));
  });
})();
