/* Directory filters: AND across groups, OR within a group; the state lives in the URL so views can be shared.
   Without JavaScript the form stays hidden and the full list remains. */
(function () {
  "use strict";

  var GROUPS = ["region", "topic", "approach", "audience", "evidence"];

  function selectionFromParams(params) {
    var selection = {};
    GROUPS.forEach(function (group) {
      var values = params.getAll(group).filter(Boolean);
      if (values.length) selection[group] = values;
    });
    return selection;
  }

  /* entry: {region: "london", topic: "a b", ...} as written in the card's data attributes. */
  function matches(entry, selection) {
    return Object.keys(selection).every(function (group) {
      var have = (entry[group] || "").split(" ");
      return selection[group].some(function (wanted) { return have.indexOf(wanted) !== -1; });
    });
  }

  if (typeof module !== "undefined") {
    module.exports = { matches: matches, selectionFromParams: selectionFromParams, GROUPS: GROUPS };
    return;
  }

  var form = document.getElementById("directory-filters");
  var list = document.getElementById("directory-entries");
  var count = document.getElementById("directory-count");
  if (!form || !list || !count) return;
  var cards = Array.prototype.slice.call(list.querySelectorAll("li[data-slug]"));

  function currentSelection() {
    return selectionFromParams(new URLSearchParams(new FormData(form)));
  }

  function apply(selection) {
    var shown = 0;
    cards.forEach(function (card) {
      var visible = matches(card.dataset, selection);
      card.hidden = !visible;
      if (visible) shown += 1;
    });
    count.textContent = shown === 1 ? "1 initiative matches" : shown + " initiatives match";
    if (!Object.keys(selection).length) count.textContent = cards.length + " initiatives";
  }

  function writeUrl(selection) {
    var params = new URLSearchParams();
    GROUPS.forEach(function (group) {
      (selection[group] || []).forEach(function (value) { params.append(group, value); });
    });
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
  }

  function restore() {
    var selection = selectionFromParams(new URLSearchParams(location.search));
    Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox]"), function (box) {
      box.checked = (selection[box.name] || []).indexOf(box.value) !== -1;
    });
    apply(selection);
  }

  form.hidden = false;
  form.addEventListener("change", function () {
    var selection = currentSelection();
    apply(selection);
    writeUrl(selection);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  document.getElementById("directory-clear").addEventListener("click", function () {
    form.reset();
    apply({});
    writeUrl({});
  });
  restore();
})();
