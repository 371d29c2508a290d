// The site's only script on first load. Everything works without it (pages, links, hints and the
// solution as <details>); with it you also get: the dark-mode switch, copy buttons, the lesson menu
// on small screens, and search (whose index loads only when you start typing).
(function () {
  "use strict";
  var html = document.documentElement;
  var root = html.getAttribute("data-root") || "";

  // The console (npm start serves it beside the site, at /console/: every conversation live).
  // Only a page that came over HTTP can have it next door; from file:// there is none to link.
  var header = document.querySelector(".topbar");
  if (header && /^https?:$/.test(location.protocol)) {
    var consoleLink = document.createElement("a");
    consoleLink.className = "console-link";
    consoleLink.href = "/console/";
    consoleLink.textContent = "Console";
    consoleLink.title = "The playground's console: every conversation live (npm start)";
    header.insertBefore(consoleLink, header.querySelector(".theme-button"));
  }

  // Dark mode: follows the system (prefers-color-scheme) until you press the switch; then your
  // choice is remembered (localStorage) and applied before the page paints (inline script in <head>).
  var themeButton = document.querySelector(".theme-button");
  function isDark() {
    var chosen = html.dataset.theme;
    return chosen ? chosen === "dark" : window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function showTheme() {
    if (themeButton) themeButton.setAttribute("aria-pressed", String(isDark()));
  }
  if (themeButton) {
    showTheme();
    themeButton.addEventListener("click", function () {
      html.dataset.theme = isDark() ? "light" : "dark";
      try { localStorage.setItem("theme", html.dataset.theme); } catch (e) { /* private mode: not remembered */ }
      showTheme();
    });
  }

  // The lesson list on small screens: hidden behind the "Lessons" button.
  var menuButton = document.querySelector(".menu-button");
  if (menuButton) {
    menuButton.addEventListener("click", function () {
      var open = menuButton.getAttribute("aria-expanded") !== "true";
      menuButton.setAttribute("aria-expanded", String(open));
      html.classList.toggle("menu-open", open);
    });
  }

  // Copy buttons on code blocks.
  document.querySelectorAll("div.code > pre").forEach(function (pre) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      var text = pre.innerText.replace(/\n$/, "");
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
      else fallback();
      function fallback() {
        var area = document.createElement("textarea");
        area.value = text;
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } catch (e) { /* nothing to do */ }
        area.remove();
      }
    });
    pre.parentNode.insertBefore(button, pre);
  });

  // A first line long enough to run under the Copy button gets room above it instead (the button
  // must never hide code). Checked again when the window's width changes.
  function makeRoomForCopyButtons() {
    document.querySelectorAll("div.code > .copy-button").forEach(function (button) {
      var block = button.parentNode;
      var first = block.querySelector("pre .line") || block.querySelector("pre code");
      if (!first) return;
      block.classList.remove("code-roomy");
      var range = document.createRange();
      range.selectNodeContents(first);
      var textRight = range.getBoundingClientRect().right;
      if (textRight > button.getBoundingClientRect().left - 8) block.classList.add("code-roomy");
    });
  }
  makeRoomForCopyButtons();
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(makeRoomForCopyButtons, 150);
  });

  // Printing: open every hint and the solution, so paper shows them.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });

  // Search: the first keystroke loads MiniSearch, the tokenizer and the index (plain scripts, so it
  // works from file:// too), then every keystroke searches.
  var input = document.getElementById("search-input");
  var results = document.getElementById("search-results");
  if (!input || !results) return;
  var index = null;
  var loading = null;

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = root + src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }
  function loadIndex() {
    loading = loading || loadScript("assets/minisearch.js")
      .then(function () { return loadScript("assets/tokenize.js"); })
      .then(function () { return loadScript("assets/search-index.js"); })
      .then(function () {
        // the same options as site/search.ts searchOptions()
        index = window.MiniSearch.loadJS(window.SITE_SEARCH_INDEX, {
          fields: ["title", "heading", "text", "code", "zh"],
          storeFields: ["title", "heading", "url", "text", "code"],
          tokenize: window.siteTokenize,
          searchOptions: { boost: { title: 3, heading: 2, code: 0.3 }, prefix: true, fuzzy: 0.1 },
        });
      });
    return loading;
  }

  function escape(text) {
    return String(text).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }
  // A few words of the section around the first place a search term occurs, the term marked.
  function snippet(hit) {
    var text = (String(hit.text || "") + " " + String(hit.code || "")).replace(/\s+/g, " ");
    var lower = text.toLowerCase();
    var at = -1, length = 0;
    (hit.terms || []).forEach(function (term) {
      var i = lower.indexOf(term.toLowerCase());
      if (i !== -1 && (at === -1 || i < at)) { at = i; length = term.length; }
    });
    if (at === -1) return escape(text.slice(0, 120)) + (text.length > 120 ? "…" : "");
    var start = Math.max(0, at - 50), end = Math.min(text.length, at + length + 90);
    return (start > 0 ? "…" : "") + escape(text.slice(start, at)) + "<mark>" + escape(text.slice(at, at + length)) + "</mark>" +
      escape(text.slice(at + length, end)) + (end < text.length ? "…" : "");
  }
  function show() {
    var query = input.value.trim();
    if (!query) { results.hidden = true; results.innerHTML = ""; return; }
    if (!index) { results.hidden = false; results.innerHTML = '<p class="search-status">Loading the index…</p>'; return; }
    var found = index.search(query).slice(0, 8);
    results.hidden = false;
    results.innerHTML =
      '<p class="search-status" role="status">' + (found.length ? found.length + " results" : "Nothing found for “" + escape(query) + "”") + "</p>" +
      (found.length ? '<ul class="search-list">' + found.map(function (hit) {
        return '<li><a href="' + escape(root + hit.url) + '"><span class="r-title">' + escape(hit.title) + "</span>" +
          (hit.heading ? '<span class="r-heading">' + escape(hit.heading) + "</span>" : "") +
          '<span class="r-snippet">' + snippet(hit) + "</span></a></li>";
      }).join("") + "</ul>" : "");
  }

  input.addEventListener("focus", loadIndex, { once: true });
  input.addEventListener("input", function () { loadIndex().then(show, function (error) { results.hidden = false; results.textContent = error.message; }); show(); });
  input.addEventListener("keydown", function (event) {
    var links = Array.prototype.slice.call(results.querySelectorAll("a"));
    if (event.key === "Enter" && links[0]) { event.preventDefault(); location.href = links[0].href; }
    else if (event.key === "ArrowDown" && links[0]) { event.preventDefault(); links[0].focus(); }
    else if (event.key === "Escape") { input.value = ""; show(); }
  });
  results.addEventListener("keydown", function (event) {
    var links = Array.prototype.slice.call(results.querySelectorAll("a"));
    var at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < links.length - 1) { event.preventDefault(); links[at + 1].focus(); }
    else if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? links[at - 1] : input).focus(); }
    else if (event.key === "Escape") { input.focus(); input.value = ""; show(); }
  });
  document.addEventListener("click", function (event) {
    if (!results.contains(event.target) && event.target !== input) results.hidden = true;
  });
})();
