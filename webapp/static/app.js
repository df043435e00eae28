/* shownotes: progressive enhancement only. Every feature works without this file. */
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;
  // Timestamps, questions in search results, and the questions of an interview's page.
  var MOMENT_LINKS = ".moment a.timestamp, .moment a.question, .qa .moment a.anchor";

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  /* --- Keyboard: "/" to search, j/k or arrows between moments ------------------------------ */

  function moments() {
    return Array.prototype.slice.call(document.querySelectorAll(MOMENT_LINKS));
  }

  function moveFocus(step) {
    var links = moments();
    if (!links.length) return false;
    var index = links.indexOf(document.activeElement);
    var next = index === -1 ? (step > 0 ? 0 : links.length - 1) : index + step;
    if (next < 0) {
      var box = document.getElementById("q");
      if (box) box.focus();
      return true;
    }
    links[Math.min(next, links.length - 1)].focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    var target = event.target;
    var box = document.getElementById("q");
    if (event.key === "/" && !isTyping(target) && box) {
      event.preventDefault();
      box.focus();
      box.select();
      return;
    }
    var onMoment = target && target.matches && target.matches(MOMENT_LINKS);
    var step = 0;
    if ((event.key === "j" || event.key === "k") && !isTyping(target)) {
      step = event.key === "j" ? 1 : -1;
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && onMoment) {
      step = event.key === "ArrowDown" ? 1 : -1;
    } else if (event.key === "ArrowDown" && target === box && document.getElementById("results")) {
      step = 1;
    }
    if (step && moveFocus(step)) event.preventDefault();
  });

  /* --- Search as you type, filters without reloads ----------------------------------------- */

  function setUpSearch() {
    var form = document.getElementById("search-form");
    var results = document.getElementById("results");
    if (!form || !results || !window.fetch || !window.DOMParser) return;
    var box = document.getElementById("q");
    var status = document.getElementById("status");
    var timer = null;
    var pending = null;
    var PARTS = ["filters", "results", "facets"];

    function formUrl() {
      var params = new URLSearchParams(new FormData(form));
      if (!params.get("q")) params.delete("q");
      var query = params.toString();
      return form.action + (query ? "?" + query : "");
    }

    // A keyboard user who follows a facet, chip or sort link keeps their place: the link is
    // replaced by the fresh page's, so focus moves to its new copy (or to the results).
    function focusKey(element) {
      if (!element || !element.closest || !element.closest("#facets, #results")) return null;
      if (element === results || element.closest(".pagination")) return ""; // a new page: its top
      var group = element.closest("section");
      var part = element.closest(".modes, .chips, .sort, details, .suggestion, .empty");
      var label = element.querySelector(".label") || element;
      return [
        group ? group.className : "",
        part ? part.className || part.tagName : "",
        label.textContent.replace(/\s+/g, " ").trim(),
      ].join("|");
    }

    function restoreFocus(key) {
      if (key === null) return;
      var links = document.querySelectorAll("#facets a, #results a");
      for (var i = 0; key && i < links.length; i++) {
        if (focusKey(links[i]) === key) {
          links[i].focus({ preventScroll: true });
          return;
        }
      }
      results.focus({ preventScroll: true });
    }

    function swap(html) {
      var focused = focusKey(document.activeElement);
      var doc = new DOMParser().parseFromString(html, "text/html");
      PARTS.forEach(function (id) {
        var fresh = doc.getElementById(id);
        var current = document.getElementById(id);
        if (fresh && current) current.innerHTML = fresh.innerHTML;
      });
      var title = doc.querySelector("title");
      if (title) document.title = title.textContent;
      var summary = results.querySelector(".summary, [role=alert] p");
      if (status && summary) status.textContent = summary.textContent.replace(/\s+/g, " ").trim();
      restoreFocus(focused);
    }

    function load(url, how) {
      if (pending) pending.abort();
      var controller = window.AbortController ? new AbortController() : null;
      pending = controller;
      results.classList.add("loading");
      fetch(url, {
        headers: { "X-Requested-With": "fetch" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          return response.text();
        })
        .then(function (html) {
          swap(html);
          results.classList.remove("loading");
          if (how === "push") history.pushState({ search: true }, "", url);
          else if (how === "replace") history.replaceState({ search: true }, "", url);
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          window.location.href = url; // the plain page always works
        });
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        load(formUrl(), "replace");
      }, DEBOUNCE_MS);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      load(formUrl(), "push");
    });

    document.addEventListener("click", function (event) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
        return;
      }
      var link = event.target.closest("a");
      if (!link || !link.closest("#facets, .chips, .pagination, .sort, .suggestion, .empty")) return;
      if (link.origin !== window.location.origin || link.pathname !== new URL(form.action).pathname) {
        return;
      }
      event.preventDefault();
      load(link.href, "push");
      if (link.closest(".pagination")) results.scrollIntoView({ block: "start" });
    });

    window.addEventListener("popstate", function () {
      var params = new URLSearchParams(window.location.search);
      box.value = params.get("q") || "";
      load(window.location.href, null);
    });
  }

  /* --- Episode page: timestamps seek the player in place ------------------------------------ */

  function setUpPlayer() {
    var player = document.getElementById("player");
    if (!player) return;
    var source = player.querySelector("source");

    function markCurrent(row) {
      var old = document.querySelectorAll(".moment[aria-current]");
      Array.prototype.forEach.call(old, function (item) {
        item.removeAttribute("aria-current");
        item.classList.remove("current");
      });
      if (row) {
        row.setAttribute("aria-current", "true");
        row.classList.add("current");
      }
    }

    function play() {
      var started = player.play();
      if (started && started.catch) started.catch(function () {});
    }

    function seek(start) {
      // A media fragment with an end (#t=a,b) would pause at b: drop it before seeking elsewhere.
      if (source && /#t=[^,]*,/.test(source.getAttribute("src") || "")) {
        source.setAttribute("src", source.getAttribute("src").split("#")[0]);
        player.load();
        player.addEventListener(
          "loadedmetadata",
          function () {
            player.currentTime = start;
            play();
          },
          { once: true }
        );
        return;
      }
      player.currentTime = start;
      play();
    }

    document.addEventListener("click", function (event) {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
        return;
      }
      var link = event.target.closest("a.timestamp[data-start]");
      if (!link || link.pathname !== window.location.pathname) return;
      event.preventDefault();
      seek(parseInt(link.getAttribute("data-start"), 10));
      markCurrent(link.closest(".moment"));
      history.replaceState(null, "", link.href);
    });

    if (player.hasAttribute("data-start")) play(); // came from "play from this moment"
  }

  setUpSearch();
  setUpPlayer();
})();
