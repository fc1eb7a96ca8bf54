/* The web editor's set-up, loaded before the vendored Decap CMS bundle (decap/decap-cms.js).
   Settings come from the JSON that publisher/outputs/cms.py writes into the page: the site's stylesheets for the
   preview, and our wording for the editor's messages. */
(function () {
  "use strict";
  window.CMS_MANUAL_INIT = true; // registrations below must happen before Decap starts

  var settings = JSON.parse(document.getElementById("publisher-editor").textContent);

  function isEmpty(value) {
    return value === null || value === undefined || value === "" ||
      (typeof value === "object" && typeof value.size === "number" && value.size === 0);
  }

  // Decap writes a field that was typed in and cleared as "", which `publisher check` reads as an empty value;
  // a field left empty is one the file should not mention at all.
  function withoutEmpty(value) {
    if (value && typeof value === "object" && typeof value.filter === "function" && typeof value.map === "function") {
      return value.map(withoutEmpty).filter(function (item) { return !isEmpty(item); });
    }
    return value;
  }

  function useOurWording(CMS) {
    var english = CMS.getLocale("en");
    var widget = english.editor.editorControlPane.widget;
    widget.required = settings.messages.required;
    widget.processing = settings.messages.processing;
    CMS.registerLocale("en", english);
  }

  function registerPreviews(CMS) {
    var h = window.h;
    var Preview = window.createClass({
      render: function () {
        var data = this.props.entry.get("data");
        var summary = data.get("summary");
        return h("main", { className: "md-main" },
          h("article", { className: "md-content__inner md-typeset" },
            h("h1", null, data.get("title") || ""),
            summary ? h("p", { className: "pub-summary" }, summary) : null,
            this.props.widgetFor("body")));
      }
    });
    settings.stylesheets.forEach(function (href) { CMS.registerPreviewStyle(href); });
    settings.previews.forEach(function (name) { CMS.registerPreviewTemplate(name, Preview); });
  }

  window.addEventListener("DOMContentLoaded", function () {
    var CMS = window.CMS;
    useOurWording(CMS);
    registerPreviews(CMS);
    CMS.registerEventListener({
      name: "preSave",
      handler: function (event) {
        var data = event.entry.get("data");
        var body = data.get("body");
        var kept = withoutEmpty(data.delete("body"));
        return body === undefined ? kept : kept.set("body", body);
      }
    });
    CMS.init();
  });
})();
