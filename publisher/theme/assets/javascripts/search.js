/* Search results from Pagefind's chunked index: a query downloads only the index chunks it needs.
   Results are real links in an ordered list; the count is announced through a polite live region. */
(function () {
  "use strict";

  var PAGE_SIZE = 10;
  var script = document.currentScript;
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-query");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  if (!script || !form || !input) return;

  var pagefind = null;
  var results = [];
  var shown = 0;
  var latest = 0;

  function loadPagefind() {
    if (!pagefind) {
      pagefind = import(script.dataset.pagefind).then(function (module) {
        return module.options({ excerptLength: 30 }).then(function () { return module; });
      });
    }
    return pagefind;
  }

  function filtersFromForm() {
    var filters = {};
    ["type", "topic", "year"].forEach(function (name) {
      var value = form.elements[name].value;
      if (value) filters[name] = value;
    });
    return filters;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  /* Pagefind's excerpt is page text with <mark> around matches. Parse it in an inert document and copy only text
     and <mark>, so nothing a contributor wrote can ever become markup on this page. */
  function excerptElement(excerptHtml) {
    var excerpt = element("p", "pub-result__excerpt");
    var parsed = new DOMParser().parseFromString(excerptHtml || "", "text/html");
    parsed.body.childNodes.forEach(function (node) {
      var isMark = node.nodeType === Node.ELEMENT_NODE && node.nodeName === "MARK";
      excerpt.appendChild(isMark ? element("mark", null, node.textContent)
                                 : document.createTextNode(node.textContent));
    });
    return excerpt;
  }

  function renderResult(data) {
    var item = element("li", "pub-card pub-result");
    var heading = element("h2", "pub-card__title");
    var link = element("a", null, data.meta.title || data.url);
    link.href = data.url;
    heading.appendChild(link);
    item.appendChild(heading);
    var facts = [data.meta.type, data.meta.date].filter(Boolean).join(" · ");
    if (facts) item.appendChild(element("p", "pub-card__meta", facts));
    item.appendChild(element("p", "pub-card__summary", data.meta.summary || ""));
    item.appendChild(excerptElement(data.excerpt));
    return item;
  }

  function showMore() {
    var batch = results.slice(shown, shown + PAGE_SIZE);
    var firstNew = null;
    return Promise.all(batch.map(function (result) { return result.data(); })).then(function (pages) {
      pages.forEach(function (data) {
        var node = renderResult(data);
        firstNew = firstNew || node;
        list.appendChild(node);
      });
      shown += batch.length;
      more.hidden = shown >= results.length;
      return firstNew;
    });
  }

  function describe(count, query) {
    if (!query) return "";
    if (count === 0) return "No results for \u201c" + query + "\u201d. Try other words, or remove a filter.";
    return (count === 1 ? "1 result" : count + " results") + " for \u201c" + query + "\u201d";
  }

  function run() {
    var query = input.value.trim();
    var filters = filtersFromForm();
    var ticket = ++latest;
    list.innerHTML = "";
    results = [];
    shown = 0;
    more.hidden = true;
    if (!query) { status.textContent = ""; return Promise.resolve(); }
    status.textContent = "Searching\u2026";
    return loadPagefind().then(function (module) {
      return module.search(query, { filters: filters });
    }).then(function (search) {
      if (ticket !== latest) return;
      results = search.results;
      return showMore().then(function () { status.textContent = describe(results.length, query); });
    }).catch(function () {
      status.textContent = "Search is not available right now. Browse the archive of bulletins instead.";
    });
  }

  /* The query shows in the header's search box and in the window title, as on GOV.UK's search page. */
  var baseTitle = document.title;
  function showQuery(query) {
    var headerBox = document.getElementById("pub-header-search-q");
    if (headerBox) headerBox.value = query;
    document.title = query ? query + " - " + baseTitle : baseTitle;
  }

  function syncUrl() {
    var params = new URLSearchParams();
    if (input.value.trim()) params.set("q", input.value.trim());
    ["type", "topic", "year"].forEach(function (name) {
      if (form.elements[name].value) params.set(name, form.elements[name].value);
    });
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
    showQuery(input.value.trim());
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    syncUrl();
    run();
  });
  ["type", "topic", "year"].forEach(function (name) {
    form.elements[name].addEventListener("change", function () { syncUrl(); run(); });
  });
  more.addEventListener("click", function () {
    showMore().then(function (firstNew) { if (firstNew) firstNew.querySelector("a").focus(); });
  });

  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  ["type", "topic", "year"].forEach(function (name) {
    if (params.get(name)) form.elements[name].value = params.get(name);
  });
  showQuery(input.value.trim());
  if (input.value) run();
})();
