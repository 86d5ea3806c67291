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

  // Search as you type: an ARIA 1.2 combobox over /search.json. Without this script the form submits to /search.
  function suggest(input) {
    if (!input || !window.fetch) { return; }
    var form = input.form;
    var list = document.createElement("ul");
    var status = document.createElement("div");
    var active = -1, items = [], timer = null, controller = null;
    list.id = input.id + "-suggestions";
    list.className = "suggest";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    form.appendChild(list);
    form.appendChild(status);

    function close() {
      list.hidden = true; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(i) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (o, j) { o.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0 && options[i]) {
        input.setAttribute("aria-activedescendant", options[i].id);
        options[i].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function show(results, q) {
      items = results.slice(0, 8);
      list.textContent = "";
      items.forEach(function (r, i) {
        var li = document.createElement("li");
        var hint = document.createElement("span");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.appendChild(document.createTextNode(r.label));
        hint.className = "hint";
        var kinds = {area: "Area: ", indicator: "Indicator: ", place: "Place: ", postcode: "Postcode: "};
        hint.textContent = (kinds[r.kind] || "") + (r.detail || "");
        li.appendChild(hint);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); window.location.href = r.url; });
        list.appendChild(li);
      });
      status.textContent = items.length ? items.length + " suggestions; use the up and down arrows to choose" :
        "No suggestions for " + q + "; press Enter to search";
      if (items.length) {
        list.hidden = false; input.setAttribute("aria-expanded", "true"); highlight(-1);
      } else { close(); }
    }
    function lookup() {
      var q = input.value.trim();
      if (q.length < 2) { close(); status.textContent = ""; return; }
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      fetch("/search.json?q=" + encodeURIComponent(q), {signal: controller ? controller.signal : undefined,
                                                        headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {table: []}; })
        .then(function (data) { if (input.value.trim() === q) { show(data.table || [], q); } })
        .catch(function () {});
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 150); });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, -1)); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && active >= 0 && items[active]) {
        e.preventDefault(); window.location.href = items[active].url;
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }
  suggest(document.getElementById("site-search"));
  suggest(document.getElementById("search-page-q"));
})();
