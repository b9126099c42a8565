// School record sync admin screens: how much of a roster package has been sent while it uploads.
(function () {
  "use strict";

  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = document.getElementById("upload-bar");
    if (!bar || !event.detail || !event.detail.lengthComputable) return;
    bar.max = 100;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    bar.textContent = bar.value + "%";
  });
})();
