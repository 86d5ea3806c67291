// Progressive enhancement only: every page reads completely without this script.
(function () {
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var url = new URL(source.textContent.trim(), window.location.href).toString();
      navigator.clipboard.writeText(url).then(function () { button.textContent = "Copied"; });
    });
  });
})();
