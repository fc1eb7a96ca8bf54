/* Marks the section being read in the right-hand contents list (what Material's bundle did for toc.follow):
   the last heading above the top quarter of the window is current. A progressive enhancement only. */
(function () {
  "use strict";
  var links = Array.prototype.slice.call(document.querySelectorAll(".md-sidebar--secondary a.md-nav__link"));
  var targets = links.map(function (link) {
    return document.getElementById(decodeURIComponent(link.hash.slice(1)));
  });
  if (!links.length || !window.requestAnimationFrame) return;
  var pending = false;

  function update() {
    pending = false;
    var current = -1;
    targets.forEach(function (target, index) {
      if (target && target.getBoundingClientRect().top < window.innerHeight / 4) current = index;
    });
    links.forEach(function (link, index) {
      link.classList.toggle("md-nav__link--active", index === current);
    });
  }

  window.addEventListener("scroll", function () {
    if (!pending) { pending = true; window.requestAnimationFrame(update); }
  }, { passive: true });
  update();
})();
