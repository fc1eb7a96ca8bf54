/* The directory finder: AND across groups, OR within a group; the state lives in the URL so views can be shared.
   Each option's count is faceted: how many initiatives would show with it, given the other groups' choices.
   Without JavaScript the form stays hidden and the full list remains. No dependencies. */
(function () {
  "use strict";

  var GROUPS = ["region", "topic", "approach", "audience", "evidence"];
  var SORTS = ["", "newest"];

  function selectionFromParams(params) {
    var selection = {};
    GROUPS.forEach(function (group) {
      var values = params.getAll(group).filter(Boolean);
      if (values.length) selection[group] = values;
    });
    return selection;
  }

  function valuesOf(entry, group) {
    return (entry[group] || "").split(" ");
  }

  /* entry: {region: "london", topic: "a b", ...} as written in the card's data attributes. */
  function matches(entry, selection) {
    return Object.keys(selection).every(function (group) {
      var have = valuesOf(entry, group);
      return selection[group].some(function (wanted) { return have.indexOf(wanted) !== -1; });
    });
  }

  function without(selection, group) {
    var rest = {};
    Object.keys(selection).forEach(function (name) { if (name !== group) rest[name] = selection[name]; });
    return rest;
  }

  /* {group: {option: count}}: for each option, the entries that match every OTHER group's choices and have it.
     Within its own group an option adds to the results (OR), so its count is what choosing it would show. */
  function facetCounts(entries, selection) {
    var counts = {};
    GROUPS.forEach(function (group) {
      var others = without(selection, group);
      counts[group] = {};
      entries.forEach(function (entry) {
        if (!matches(entry, others)) return;
        valuesOf(entry, group).filter(Boolean).forEach(function (value) {
          counts[group][value] = (counts[group][value] || 0) + 1;
        });
      });
    });
    return counts;
  }

  /* "" is A to Z by title; "newest" by the date each card carries (last update, or when it was added or started). */
  function sortEntries(entries, order) {
    var sorted = entries.slice();
    sorted.sort(function (a, b) {
      if (order === "newest" && a.date !== b.date) return a.date < b.date ? 1 : -1;
      return a.title.localeCompare(b.title, "en", { sensitivity: "base" });
    });
    return sorted;
  }

  if (typeof module !== "undefined") {
    module.exports = { matches: matches, selectionFromParams: selectionFromParams, facetCounts: facetCounts,
                       sortEntries: sortEntries, GROUPS: GROUPS };
    return;
  }

  var form = document.getElementById("directory-filters");
  var list = document.getElementById("directory-entries");
  var count = document.getElementById("directory-count");
  var panel = document.getElementById("directory-filter-panel");
  var toggle = document.getElementById("directory-filter-toggle");
  var sortGroup = document.getElementById("directory-sort-group");
  var sort = document.getElementById("directory-sort");
  if (!form || !list || !count || !panel || !toggle || !sort) return;
  var cards = Array.prototype.slice.call(list.querySelectorAll("li[data-slug]"));
  var entries = cards.map(function (card) {
    var entry = { card: card, title: card.querySelector("a").textContent, date: card.dataset.date };
    GROUPS.forEach(function (group) { entry[group] = card.dataset[group]; });
    return entry;
  });
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]"));

  function currentSelection() {
    return selectionFromParams(new URLSearchParams(new FormData(form)));
  }

  function selectedCount(selection) {
    return Object.keys(selection).reduce(function (total, group) { return total + selection[group].length; }, 0);
  }

  function showCounts(selection) {
    var counts = facetCounts(entries, selection);
    boxes.forEach(function (box) {
      var shown = form.querySelector('[data-count-for="' + box.name + "-" + box.value + '"]');
      var number = counts[box.name][box.value] || 0;
      shown.textContent = "(" + number + ")";
      box.parentNode.classList.toggle("pub-filters__option--empty", number === 0 && !box.checked);
    });
    Array.prototype.forEach.call(form.querySelectorAll("[data-group]"), function (chosen) {
      var number = (selection[chosen.dataset.group] || []).length;
      chosen.textContent = number ? number + " selected" : "";
    });
    var total = selectedCount(selection);
    document.getElementById("directory-selected").textContent = total ? " (" + total + " selected)" : "";
  }

  function apply(selection) {
    var shown = 0;
    entries.forEach(function (entry) {
      var visible = matches(entry, selection);
      entry.card.hidden = !visible;
      if (visible) shown += 1;
    });
    if (!Object.keys(selection).length) count.textContent = entries.length + " initiatives";
    else count.textContent = shown === 1 ? "1 initiative matches" : shown + " initiatives match";
    showCounts(selection);
  }

  function order(value) {
    sortEntries(entries, value).forEach(function (entry) { list.appendChild(entry.card); });
  }

  function writeUrl(selection) {
    var params = new URLSearchParams();
    GROUPS.forEach(function (group) {
      (selection[group] || []).forEach(function (value) { params.append(group, value); });
    });
    if (sort.value) params.set("sort", sort.value);
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
  }

  function restore() {
    var params = new URLSearchParams(location.search);
    var selection = selectionFromParams(params);
    boxes.forEach(function (box) {
      box.checked = (selection[box.name] || []).indexOf(box.value) !== -1;
    });
    sort.value = SORTS.indexOf(params.get("sort") || "") !== -1 ? params.get("sort") || "" : "";
    order(sort.value);
    apply(selection);
  }

  function setOpen(open) {
    panel.classList.toggle("pub-finder__filters--open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  form.hidden = false;
  toggle.hidden = false;
  sortGroup.hidden = false;
  form.addEventListener("change", function (event) {
    if (event.target === sort) return;
    var selection = currentSelection();
    apply(selection);
    writeUrl(selection);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  sort.addEventListener("change", function () {
    order(sort.value);
    writeUrl(currentSelection());
  });
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  document.getElementById("directory-clear").addEventListener("click", function (event) {
    event.preventDefault();
    boxes.forEach(function (box) { box.checked = false; });
    apply({});
    writeUrl({});
  });
  restore();
})();
